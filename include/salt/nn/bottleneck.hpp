// salt/nn/bottleneck.hpp — ResNet's Bottleneck block, v1.5 (torchvision): 1x1 -> BN -> ReLU ->
// 3x3 (stride, dilation, padding = dilation) -> BN -> ReLU -> 1x1 (x4) -> BN -> + identity -> ReLU.
// The identity is a 1x1 conv (with the stride) + BN whenever the stride is not 1 or the channel
// count changes. Member names are torchvision's, so state_dict names follow.
#pragma once

#include <algorithm>
#include <string>

#include "salt/nn/activation.hpp"
#include "salt/nn/batch_norm.hpp"
#include "salt/nn/conv2d.hpp"
#include "salt/nn/merge.hpp"
#include "salt/core/backend.hpp"

namespace salt::nn {

template <class T, Shape In, int Planes, int Stride, int Dilation, class B>
class Bottleneck {
public:
    using scalar_type = T;
    using backend_type = B;
    static constexpr int expansion = 4;
    static constexpr int out_channels = Planes * expansion;
    static constexpr bool has_downsample = Stride != 1 || In.c != out_channels;

private:
    using Conv1 = Conv2d<T, In, Conv2dParams{In.c, Planes, 1}, B>;
    using BN1 = BatchNorm2d<T, Conv1::out_shape, B>;
    using Conv2 = Conv2d<T, Conv1::out_shape, Conv2dParams{Planes, Planes, 3, Stride, Dilation, Dilation}, B>;
    using BN2 = BatchNorm2d<T, Conv2::out_shape, B>;
    using Conv3 = Conv2d<T, Conv2::out_shape, Conv2dParams{Planes, out_channels, 1}, B>;
    using BN3 = BatchNorm2d<T, Conv3::out_shape, B>;
    using DownConv = Conv2d<T, In, Conv2dParams{In.c, out_channels, 1, Stride}, B>;
    using DownBN = BatchNorm2d<T, DownConv::out_shape, B>;
    static constexpr Shape S1 = Conv1::out_shape, S2 = Conv2::out_shape, S3 = Conv3::out_shape;
    static constexpr Shape identity_shape = has_downsample ? DownConv::out_shape : In;
    static_assert(check::add_compatible<S3, identity_shape>());

    template <Shape S>
    static constexpr std::size_t bytes(int batch) { return aligned_bytes<T>(S.size() * batch); }
    // bn1 + relu1 and bn2 + relu2 as one op each (training), when the backend has it.
    static constexpr bool fuse_bn_relu = BN1::fused_relu;
    // Conv + BN (+ residual) (+ ReLU) as one op in inference, when the backend has it.
    static constexpr bool fuse_conv_bn = has_op<B, Op::conv2d_bn_forward_eval>;

public:
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = S3;

    // The block's output is bn3's output, with the identity added and the ReLU applied in place.
    static constexpr std::size_t forward_keep(int batch, Mode m) {
        if (m == Mode::eval) return bytes<S3>(batch);
        std::size_t k = Conv1::forward_keep(batch, m) + BN1::forward_keep(batch, m) + Conv2::forward_keep(batch, m) +
                        BN2::forward_keep(batch, m) + Conv3::forward_keep(batch, m) + BN3::forward_keep(batch, m);
        if (has_downsample) k += DownConv::forward_keep(batch, m) + DownBN::forward_keep(batch, m);
        return k;
    }
    static constexpr std::size_t forward_peak(int batch, Mode m) {
        if (m == Mode::train) return forward_keep(batch, m);
        // Inference compacts only at the end of the block. Fused: each conv takes only its output
        // (h, h2, the identity, out); else every conv and BN output (the BNs keep no statistics).
        const std::size_t down = has_downsample ? bytes<S3>(batch) : 0;
        if (fuse_conv_bn) return bytes<S1>(batch) + bytes<S2>(batch) + bytes<S3>(batch) + down;
        return 2 * (bytes<S1>(batch) + bytes<S2>(batch) + bytes<S3>(batch) + down);
    }
    static constexpr std::size_t backward_peak(int batch) {
        // Main path, compacted after each layer to the block's mark.
        std::size_t main = std::max({BN3::backward_peak(batch), bytes<S3>(batch) + Conv3::backward_peak(batch),
                                     bytes<S2>(batch) + BN2::backward_peak(batch),
                                     bytes<S2>(batch) + Conv2::backward_peak(batch),
                                     bytes<S1>(batch) + BN1::backward_peak(batch),
                                     bytes<S1>(batch) + Conv1::backward_peak(batch)});
        // Then the identity branch above the main path's input gradient.
        std::size_t skip = has_downsample ? bytes<In>(batch) + bytes<S3>(batch) + bytes<In>(batch) : bytes<In>(batch);
        return std::max(main, skip);
    }
    static constexpr std::size_t parameter_count() {
        std::size_t n = Conv1::parameter_count() + BN1::parameter_count() + Conv2::parameter_count() +
                        BN2::parameter_count() + Conv3::parameter_count() + BN3::parameter_count();
        if (has_downsample) n += DownConv::parameter_count() + DownBN::parameter_count();
        return n;
    }
    static constexpr ParamSizes param_sizes() {
        ParamSizes s = Conv1::param_sizes() + BN1::param_sizes() + Conv2::param_sizes() + BN2::param_sizes() +
                       Conv3::param_sizes() + BN3::param_sizes();
        if (has_downsample) s += DownConv::param_sizes() + DownBN::param_sizes();
        return s;
    }
    static constexpr OpSet ops_used = Conv1::ops_used | BN1::ops_used | ReLU<T, S1, B>::ops_used |
                                      OpSet{Op::add_forward, Op::accumulate};

    void bind(ParamBinder<T>& b) {
        conv1_.bind(b), bn1_.bind(b), conv2_.bind(b), bn2_.bind(b), conv3_.bind(b), bn3_.bind(b);
        if constexpr (has_downsample) down_conv_.bind(b), down_bn_.bind(b);
    }
    void init(Rng& rng, HostParams<T>& h) {
        conv1_.init(rng, h), bn1_.init(rng, h), conv2_.init(rng, h), bn2_.init(rng, h), conv3_.init(rng, h),
            bn3_.init(rng, h);
        if constexpr (has_downsample) down_conv_.init(rng, h), down_bn_.init(rng, h);
    }

    TensorView<T, S3> forward(TensorView<const T, In> x, Context<B>& ctx) {
        const std::size_t mark = ctx.workspace.mark();
        if constexpr (fuse_conv_bn) {
            // Inference on a backend with the fused op: each conv runs with its BN (and ReLU, and for
            // conv3 the residual add) in the GEMM's store. Live at most: h, h2, the identity, out
            // (less than the training keep, which forward_peak declares).
            if (!ctx.training()) {
                auto h = conv1_.forward_bn_eval(x, ctx, bn1_, nullptr, true);
                auto h2 = conv2_.forward_bn_eval(h, ctx, bn2_, nullptr, true);
                const T* identity = x.data();
                if constexpr (has_downsample) identity = down_conv_.forward_bn_eval(x, ctx, down_bn_, nullptr, false).data();
                auto out = conv3_.forward_bn_eval(h2, ctx, bn3_, identity, true);
                return compact_to(ctx, mark, out);
            }
        }
        TensorView<T, S1> h;
        TensorView<T, S2> h2;
        if constexpr (fuse_bn_relu) {
            h = bn1_.forward_relu(conv1_.forward(x, ctx), ctx);
            h2 = bn2_.forward_relu(conv2_.forward(h, ctx), ctx);
        } else {
            h = bn1_.forward(conv1_.forward(x, ctx), ctx);
            relu1_.forward(h, ctx);
            h2 = bn2_.forward(conv2_.forward(h, ctx), ctx);
            relu2_.forward(h2, ctx);
        }
        auto out = bn3_.forward(conv3_.forward(h2, ctx), ctx);
        if constexpr (has_downsample) {
            auto id = down_bn_.forward(down_conv_.forward(x, ctx), ctx);
            run<Op::add_forward>(ctx.device(), out.size(), static_cast<const T*>(out.data()),
                                 static_cast<const T*>(id.data()), out.data());
        } else {
            run<Op::add_forward>(ctx.device(), out.size(), static_cast<const T*>(out.data()), x.data(), out.data());
        }
        relu_out_.forward(out, ctx);
        if (!ctx.training()) out = compact_to(ctx, mark, out);
        return out;
    }

    TensorView<T, In> backward(TensorView<T, S3> dy, Context<B>& ctx) {
        const std::size_t mark = ctx.workspace.mark();
        auto g = relu_out_.backward(dy, ctx);  // in place: g is dy
        // Main path.
        auto d3 = compact_to(ctx, mark, bn3_.backward(g, ctx));
        TensorView<T, S1> d1;
        if constexpr (fuse_bn_relu) {
            auto d2 = compact_to(ctx, mark, bn2_.backward_relu(compact_to(ctx, mark, conv3_.backward(d3, ctx)), ctx));
            d1 = compact_to(ctx, mark, bn1_.backward_relu(compact_to(ctx, mark, conv2_.backward(d2, ctx)), ctx));
        } else {
            auto d2 = relu2_.backward(compact_to(ctx, mark, conv3_.backward(d3, ctx)), ctx);
            d2 = compact_to(ctx, mark, bn2_.backward(d2, ctx));
            d1 = relu1_.backward(compact_to(ctx, mark, conv2_.backward(d2, ctx)), ctx);
            d1 = compact_to(ctx, mark, bn1_.backward(d1, ctx));
        }
        auto dx = compact_to(ctx, mark, conv1_.backward(d1, ctx));
        // Identity path, added into the main path's input gradient.
        if constexpr (has_downsample) {
            const std::size_t skip_mark = ctx.workspace.mark();
            auto ds = down_conv_.backward(down_bn_.backward(g, ctx), ctx);
            run<Op::accumulate>(ctx.device(), dx.size(), static_cast<const T*>(ds.data()), dx.data());
            ctx.workspace.release(skip_mark);
        } else {
            run<Op::accumulate>(ctx.device(), dx.size(), static_cast<const T*>(g.data()), dx.data());
        }
        return dx;
    }

    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "Bottleneck", out_shape, parameter_count());
        Conv1::describe(join_name(prefix, "conv1"), f);
        BN1::describe(join_name(prefix, "bn1"), f);
        Conv2::describe(join_name(prefix, "conv2"), f);
        BN2::describe(join_name(prefix, "bn2"), f);
        Conv3::describe(join_name(prefix, "conv3"), f);
        BN3::describe(join_name(prefix, "bn3"), f);
        if constexpr (has_downsample) {
            DownConv::describe(join_name(prefix, "downsample.0"), f);
            DownBN::describe(join_name(prefix, "downsample.1"), f);
        }
    }

    void visit(const std::string& prefix, ParamVisitor<T> f) {
        conv1_.visit(join_name(prefix, "conv1"), f);
        bn1_.visit(join_name(prefix, "bn1"), f);
        conv2_.visit(join_name(prefix, "conv2"), f);
        bn2_.visit(join_name(prefix, "bn2"), f);
        conv3_.visit(join_name(prefix, "conv3"), f);
        bn3_.visit(join_name(prefix, "bn3"), f);
        if constexpr (has_downsample) {
            down_conv_.visit(join_name(prefix, "downsample.0"), f);
            down_bn_.visit(join_name(prefix, "downsample.1"), f);
        }
    }

private:
    struct None {};
    Conv1 conv1_;
    BN1 bn1_;
    ReLU<T, S1, B> relu1_;
    Conv2 conv2_;
    BN2 bn2_;
    ReLU<T, S2, B> relu2_;
    Conv3 conv3_;
    BN3 bn3_;
    ReLU<T, S3, B> relu_out_;
    [[no_unique_address]] std::conditional_t<has_downsample, DownConv, None> down_conv_;
    [[no_unique_address]] std::conditional_t<has_downsample, DownBN, None> down_bn_;
};

}  // namespace salt::nn

namespace salt::nn::spec {
template <int Planes, int Stride = 1, int Dilation = 1>
struct bottleneck {
    template <class T, Shape In, class B>
    using bind = Bottleneck<T, In, Planes, Stride, Dilation, B>;
};
}  // namespace salt::nn::spec
