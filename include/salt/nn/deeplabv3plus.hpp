// salt/nn/deeplabv3plus.hpp — the DeepLabV3+ decoder (Chen et al., ECCV 2018), as the Keras example
// this project started from builds it, with segmentation_models_pytorch's module names:
//
//   decoder.aspp       ASPP on the encoder's last features (256 channels, dropout 0.5), upsampled
//                      bilinearly (align_corners=false) to the low-level features' size
//   decoder.block1     the low-level features (layer1, stride 4): 1x1 conv to 48 channels, BN, ReLU
//   (concat)           [upsampled ASPP (256) | low-level (48)]
//   decoder.block2     3x3 conv 256, BN, ReLU, 3x3 conv 256, BN, ReLU (plain convolutions where SMP
//                      uses separable ones: the Keras model's form)
//   segmentation_head.0  1x1 conv to the classes, with bias
//
// forward(features, low) gives the logits at the low-level features' size; the model upsamples
// them to the input. backward(dy) gives both input gradients: the low-level one at the decoder's
// workspace mark and the features' one right above it (the model keeps the first until it reaches
// layer1). The workspace figures below mirror forward and backward step by step; the model test
// checks them against the measured high-water mark with no slack.
#pragma once

#include <algorithm>
#include <array>
#include <string>

#include "salt/core/backend.hpp"
#include "salt/nn/aspp.hpp"
#include "salt/nn/spec.hpp"

namespace salt::nn {

template <class T, Shape Feat, Shape Low, int Classes, int Rate1, int Rate2, int Rate3, class B>
class DeepLabV3PlusDecoder {
    static constexpr ConvInit I = ConvInit::torch_default;
    static constexpr int kAspp = 256, kLow = 48, kMid = 256;

public:
    using scalar_type = T;
    using backend_type = B;
    using Aspp = ASPP<T, Feat, kAspp, Rate1, Rate2, Rate3, B>;
    using Up = Upsample<T, Aspp::out_shape, Low.h, Low.w, B>;
    using Block1 = Sequential<T, Low, B, spec::conv<Low.c, kLow, 1, 1, 0, 1, false, I>, spec::batch_norm, spec::relu>;
    static constexpr Shape Cat{Low.h, Low.w, kAspp + kLow};
    static_assert(check::concat_compatible<Up::out_shape, Block1::out_shape>());
    using Block2 = Sequential<T, Cat, B, spec::conv<kAspp + kLow, kMid, 3, 1, 1, 1, false, I>, spec::batch_norm,
                              spec::relu, spec::conv<kMid, kMid, 3, 1, 1, 1, false, I>, spec::batch_norm, spec::relu>;
    using Head = Conv2d<T, Block2::out_shape, Conv2dParams{kMid, Classes, 1, 1, 0, 1, true}, B, I>;

    static constexpr Shape feature_shape = Feat;
    static constexpr Shape low_shape = Low;
    static constexpr Shape out_shape = Head::out_shape;

private:
    template <Shape S>
    static constexpr std::size_t bytes(int batch) { return aligned_bytes<T>(S.size() * batch); }

public:
    static constexpr std::size_t forward_keep(int batch, Mode m) {
        if (m == Mode::eval) return bytes<out_shape>(batch);
        return Aspp::forward_keep(batch, m) + Up::forward_keep(batch, m) + Block1::forward_keep(batch, m) +
               bytes<Cat>(batch) + Block2::forward_keep(batch, m) + Head::forward_keep(batch, m);
    }
    static constexpr std::size_t forward_peak(int batch, Mode m) {
        std::size_t below = 0, peak = 0;
        auto step = [&](std::size_t p, std::size_t k) { peak = std::max(peak, below + p), below += k; };
        step(Aspp::forward_peak(batch, m), Aspp::forward_keep(batch, m));
        step(Up::forward_peak(batch, m), Up::forward_keep(batch, m));
        step(Block1::forward_peak(batch, m), Block1::forward_keep(batch, m));
        step(bytes<Cat>(batch), bytes<Cat>(batch));
        step(Block2::forward_peak(batch, m), Block2::forward_keep(batch, m));
        step(Head::forward_peak(batch, m), Head::forward_keep(batch, m));
        return peak;
    }
    static constexpr std::size_t backward_peak(int batch) {
        const std::size_t split = bytes<Cat>(batch) + bytes<Up::out_shape>(batch) + bytes<Block1::out_shape>(batch);
        return std::max({Head::backward_peak(batch), bytes<Block2::out_shape>(batch) + Block2::backward_peak(batch),
                         split + Block1::backward_peak(batch),
                         split + bytes<Low>(batch) + Up::backward_peak(batch),
                         split + bytes<Low>(batch) + bytes<Aspp::out_shape>(batch) + Aspp::backward_peak(batch)});
    }
    static constexpr std::size_t parameter_count() {
        return Aspp::parameter_count() + Block1::parameter_count() + Block2::parameter_count() + Head::parameter_count();
    }
    static constexpr ParamSizes param_sizes() {
        return Aspp::param_sizes() + Block1::param_sizes() + Block2::param_sizes() + Head::param_sizes();
    }
    static constexpr OpSet ops_used = Aspp::ops_used | Up::ops_used | Block1::ops_used | Block2::ops_used |
                                      Head::ops_used | OpSet{Op::concat_channels_forward, Op::concat_channels_backward};

    void bind(ParamBinder<T>& b) { aspp_.bind(b), block1_.bind(b), block2_.bind(b), head_.bind(b); }
    void init(Rng& rng, HostParams<T>& h) { aspp_.init(rng, h), block1_.init(rng, h), block2_.init(rng, h), head_.init(rng, h); }

    TensorView<T, out_shape> forward(TensorView<T, Feat> features, TensorView<const T, Low> low, Context<B>& ctx) {
        const std::size_t mark = ctx.workspace.mark();
        const int n = features.batch();
        auto a = aspp_.forward(features, ctx);
        auto u = up_.forward(a, ctx);
        auto l = block1_.forward(low, ctx);
        auto cat = ctx.template take<T, Cat>(n);
        const std::array<const T*, 2> parts{u.data(), l.data()};
        run<Op::concat_channels_forward>(ctx.device(), Low.pixels() * std::size_t(n), std::span<const int>(channels_),
                                         std::span<const T* const>(parts), cat.data());
        auto h = block2_.forward(cat, ctx);
        auto y = head_.forward(h, ctx);
        if (!ctx.training()) y = compact_to(ctx, mark, y);
        return y;
    }

    struct Gradients {
        TensorView<T, Low> low;       // at the workspace mark backward started from
        TensorView<T, Feat> features;  // right above it
    };
    Gradients backward(TensorView<T, out_shape> dy, Context<B>& ctx) {
        const std::size_t mark = ctx.workspace.mark();
        const int n = dy.batch();
        auto dh = compact_to(ctx, mark, head_.backward(dy, ctx));
        auto dcat = compact_to(ctx, mark, block2_.backward(dh, ctx));
        auto du = ctx.template take<T, Up::out_shape>(n);
        auto dl = ctx.template take<T, Block1::out_shape>(n);
        const std::array<T*, 2> parts{du.data(), dl.data()};
        run<Op::concat_channels_backward>(ctx.device(), Low.pixels() * std::size_t(n), std::span<const int>(channels_),
                                          static_cast<const T*>(dcat.data()), std::span<T* const>(parts));
        auto glow = block1_.backward(dl, ctx);
        auto gfeat = aspp_.backward(up_.backward(du, ctx), ctx);
        // Down to the mark: the low-level gradient first, then the features' (both lie above the
        // dead dcat, du and dl, so the first move cannot reach the second).
        auto [low, feat] = compact_pair_to(ctx, mark, glow, gfeat);
        return {low, feat};
    }

    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "DeepLabV3PlusDecoder", out_shape, parameter_count());
        Aspp::describe(join_name(prefix, "aspp"), f);
        f(prefix + ".(upsample)", "Upsample", Up::out_shape, std::size_t(0));
        Block1::describe(join_name(prefix, "block1"), f);
        Block2::describe(join_name(prefix, "block2"), f);
        Head::describe("segmentation_head.0", f);
    }
    void visit(const std::string& prefix, ParamVisitor<T> f) {
        aspp_.visit(join_name(prefix, "aspp"), f);
        block1_.visit(join_name(prefix, "block1"), f);
        block2_.visit(join_name(prefix, "block2"), f);
        head_.visit("segmentation_head.0", f);
    }

    Aspp& aspp() { return aspp_; }

private:
    static constexpr std::array<int, 2> channels_{kAspp, kLow};
    Aspp aspp_;
    Up up_;
    Block1 block1_;
    Block2 block2_;
    Head head_;
};

}  // namespace salt::nn
