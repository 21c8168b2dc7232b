// salt/models/deeplabv3.hpp — DeepLabV3 with a ResNet backbone, the same network as torchvision's
// deeplabv3_resnet50 (and _resnet101): same layers, same parameter names, same numbers.
//
// The configuration is one compile-time value, so every intermediate shape is a constant; the backend
// is chosen once, here, and everything that runs the model (trainer, inference, the CLI) takes it
// from the model type:
//   salt::models::DeepLabV3<float, {.height = 101, .width = 101, .in_channels = 3}, salt::backend::Simd> model(seed);
// The model owns its backend device (threads, bf16, stream, ...; built from B::options) and one
// parameter store in the backend's memory.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/core/backend.hpp"
#include "salt/nn/standalone.hpp"
#include "salt/nn/aspp.hpp"
#include "salt/nn/deeplabv3plus.hpp"
#include "salt/nn/resnet.hpp"
#include "salt/nn/spec.hpp"
#include "salt/models/deeplabv3_config.hpp"

namespace salt::models {

namespace check {
template <int in_channels>
constexpr bool deeplab_input_channels() {
    static_assert(in_channels >= 1, "DeepLabV3: the input needs at least one channel");
    return in_channels >= 1;
}
template <int classes>
constexpr bool deeplab_classes() {
    static_assert(classes >= 1, "DeepLabV3: the model needs at least one class");
    return classes >= 1;
}
template <int output_stride>
constexpr bool deeplab_output_stride() {
    static_assert(output_stride == 8 || output_stride == 16, "DeepLabV3: the output stride must be 8 or 16");
    return output_stride == 8 || output_stride == 16;
}
}  // namespace check

template <class T, DeepLabV3Config C, class B>
class DeepLabV3 {
    static_assert(check::deeplab_input_channels<C.in_channels>() && check::deeplab_classes<C.classes>() &&
                  check::deeplab_output_stride<C.output_stride>());
    static_assert(salt::check::backend_supports_scalar<B, T>());
    static constexpr nn::ConvInit HeadInit = nn::ConvInit::torch_default;

public:
    using backend = B;
    using scalar_type = T;
    using device_type = typename B::device;
    static constexpr DeepLabV3Config config = C;
    static constexpr Shape in_shape{C.height, C.width, C.in_channels};
    using Backbone = nn::ResNetBackbone<T, in_shape, B, C.blocks[0], C.blocks[1], C.blocks[2], C.blocks[3], C.output_stride,
                                        C.block>;
    static constexpr Shape feature_shape = Backbone::out_shape;
    static constexpr bool plus = C.decoder == Decoder::deeplabv3plus;
    // torchvision's DeepLabHead ("classifier") or the DeepLabV3+ decoder ("decoder", "segmentation_head").
    using V3Head =
        nn::Sequential<T, feature_shape, B, nn::spec::aspp<256, C.rates[0], C.rates[1], C.rates[2]>,
                       nn::spec::conv<256, 256, 3, 1, 1, 1, false, HeadInit>, nn::spec::batch_norm, nn::spec::relu,
                       nn::spec::conv<256, C.classes, 1, 1, 0, 1, true, HeadInit>>;
    using PlusDecoder = nn::DeepLabV3PlusDecoder<T, feature_shape, Backbone::Layer1::out_shape, C.classes, C.rates[0],
                                                 C.rates[1], C.rates[2], B>;
    using Classifier = std::conditional_t<plus, PlusDecoder, V3Head>;
    using Upsample = nn::Upsample<T, Classifier::out_shape, C.height, C.width, B>;
    using AuxClassifier =
        nn::Sequential<T, Backbone::layer3_shape, B, nn::spec::conv<Backbone::layer3_shape.c, 256, 3, 1, 1, 1, false, HeadInit>,
                       nn::spec::batch_norm, nn::spec::relu, nn::spec::dropout<0.1>,
                       nn::spec::conv<256, C.classes, 1, 1, 0, 1, true, HeadInit>>;
    using AuxUpsample = nn::Upsample<T, AuxClassifier::out_shape, C.height, C.width, B>;
    using ClassificationHead =
        nn::Sequential<T, feature_shape, B, nn::spec::global_avg_pool,
                       nn::spec::conv<feature_shape.c, 1, 1, 1, 0, 1, true, HeadInit>>;
    static constexpr Shape out_shape = Upsample::out_shape;
    static constexpr Shape cls_shape = ClassificationHead::out_shape;  // 1x1x1: one logit per image

    struct Output {
        TensorView<T, out_shape> out;
        TensorView<T, out_shape> aux;  // empty unless C.aux
        TensorView<T, cls_shape> cls;  // empty unless C.classification_head
    };

    static constexpr std::size_t parameter_count() {
        return Backbone::parameter_count() + Classifier::parameter_count() +
               (C.aux ? AuxClassifier::parameter_count() : 0) +
               (C.classification_head ? ClassificationHead::parameter_count() : 0);
    }
    static constexpr nn::ParamSizes param_sizes() {
        return Backbone::param_sizes() + Classifier::param_sizes() +
               (C.aux ? AuxClassifier::param_sizes() : nn::ParamSizes{}) +
               (C.classification_head ? ClassificationHead::param_sizes() : nn::ParamSizes{});
    }
    // Every op a forward and backward pass runs; instantiating the model with a backend that lacks
    // one stops the build with the op's name.
    static constexpr OpSet ops_used = Backbone::ops_used | Classifier::ops_used | Upsample::ops_used |
                                      (C.aux ? AuxClassifier::ops_used : OpSet{}) |
                                      (C.classification_head ? ClassificationHead::ops_used : OpSet{});
    static_assert(salt::check::backend_implements<B, ops_used>());

    // Bytes of workspace a forward pass (inference) or a training step (forward, the loss gradients
    // of the main output and, with the aux head, of the aux output, backward) takes at this batch,
    // exactly (tests/models: the measured high-water mark equals it, fused paths included); a
    // Workspace of this size is all the memory a step needs besides the parameters.
    static constexpr std::size_t workspace_bytes(int batch, nn::Mode m) {
        using BB = Backbone;
        std::size_t below = 0, peak = 0;
        auto step = [&](std::size_t p, std::size_t k) { peak = std::max(peak, below + p), below += k; };
        step(BB::Stem::forward_peak(batch, m), BB::Stem::forward_keep(batch, m));
        step(BB::Layer1::forward_peak(batch, m), BB::Layer1::forward_keep(batch, m));
        step(BB::Layer2::forward_peak(batch, m), BB::Layer2::forward_keep(batch, m));
        step(BB::Layer3::forward_peak(batch, m), BB::Layer3::forward_keep(batch, m));
        if constexpr (C.aux) {
            step(AuxClassifier::forward_peak(batch, m), AuxClassifier::forward_keep(batch, m));
            step(AuxUpsample::forward_peak(batch, m), AuxUpsample::forward_keep(batch, m));
        }
        step(BB::Layer4::forward_peak(batch, m), BB::Layer4::forward_keep(batch, m));
        if constexpr (C.classification_head)
            step(ClassificationHead::forward_peak(batch, m), ClassificationHead::forward_keep(batch, m));
        step(Classifier::forward_peak(batch, m), Classifier::forward_keep(batch, m));
        step(Upsample::forward_peak(batch, m), Upsample::forward_keep(batch, m));
        if (m == nn::Mode::eval) return peak;
        // The loss gradients (main and aux), then backward with everything forward kept below it.
        below += aligned_bytes<T>(out_shape.size() * batch) * (C.aux ? 2 : 1) +
                 (C.classification_head ? aligned_bytes<T>(cls_shape.size() * batch) : 0);
        auto bytes = [&](Shape s) { return aligned_bytes<T>(s.size() * batch); };
        // With the V3+ decoder the gradient of layer1's output from the decoder stays at the bottom
        // until layer1 is reached.
        const std::size_t low = plus ? bytes(BB::Layer1::out_shape) : 0;
        const std::size_t back = std::max(
            {Upsample::backward_peak(batch), bytes(Classifier::out_shape) + Classifier::backward_peak(batch),
             low + bytes(feature_shape) + BB::Layer4::backward_peak(batch),
             low + bytes(feature_shape) + (C.classification_head ? ClassificationHead::backward_peak(batch) : 0),
             low + bytes(BB::layer3_shape) + (C.aux ? bytes(out_shape) + std::max(AuxUpsample::backward_peak(batch),
                                                                                bytes(AuxClassifier::out_shape) +
                                                                                    AuxClassifier::backward_peak(batch))
                                                    : 0),
             low + bytes(BB::layer3_shape) + BB::Layer3::backward_peak(batch),
             low + bytes(BB::Layer2::out_shape) + BB::Layer2::backward_peak(batch),
             bytes(BB::Layer1::out_shape) + BB::Layer1::backward_peak(batch),
             bytes(BB::Stem::out_shape) + BB::Stem::backward_peak(batch)});
        return std::max(peak, below + back);
    }

    // Parameters zero and BatchNorm reset: a model to load weights into.
    explicit DeepLabV3(typename B::options o = {}) : dev_(o) { setup(); }
    // torchvision's initialisation, seeded.
    explicit DeepLabV3(std::uint64_t seed, typename B::options o = {}) : dev_(o) {
        setup();
        init(seed);
    }
    DeepLabV3(const DeepLabV3&) = delete;
    DeepLabV3& operator=(const DeepLabV3&) = delete;

    // torchvision's initialisation: Kaiming normal (fan_out) for the backbone's convs, PyTorch's
    // default for the head's, BN weight 1 and bias 0; seeded. Drawn on the host, uploaded once.
    void init(std::uint64_t seed) {
        Rng rng(seed);
        nn::HostParams<T> host(store_.values(), std::vector<T>(store_.sizes().total(), T(0)));
        backbone_.init(rng, host);
        classifier_.init(rng, host);
        if constexpr (C.aux) aux_classifier_.init(rng, host);
        if constexpr (C.classification_head) cls_head_.init(rng, host);
        store_.upload(host);
    }

    device_type& device() const { return dev_.get(); }
    nn::ParamStore<T, B>& parameters() { return store_; }
    void zero_grad() { store_.zero_grad(); }

    // x in backend memory (a Tensor<T, in_shape, B>, or a workspace view).
    Output forward(TensorView<const T, in_shape> x, nn::Context<B>& ctx) {
        trained_ = ctx.training();
        auto& bb = backbone_;
        auto f1 = bb.layer1().forward(bb.stem().forward(x, ctx), ctx);
        auto f3 = bb.layer3().forward(bb.layer2().forward(f1, ctx), ctx);
        Output o;
        if constexpr (C.aux) o.aux = aux_upsample_.forward(aux_classifier_.forward(f3, ctx), ctx);
        auto f4 = bb.layer4().forward(f3, ctx);
        if constexpr (C.classification_head) o.cls = cls_head_.forward(f4, ctx);
        if constexpr (plus) o.out = upsample_.forward(classifier_.forward(f4, f1, ctx), ctx);
        else o.out = upsample_.forward(classifier_.forward(f4, ctx), ctx);
        return o;
    }

    // Gradients of the loss with respect to the logits (and the aux logits when C.aux) in, the
    // gradient with respect to the input out; parameter gradients accumulate. May overwrite dout.
    TensorView<T, in_shape> backward(TensorView<T, out_shape> dout, nn::Context<B>& ctx,
                                     TensorView<T, out_shape> daux = {}, TensorView<T, cls_shape> dcls = {}) {
        if (!trained_) nn::backward_without_training_forward("DeepLabV3");
        auto& bb = backbone_;
        const std::size_t mark = ctx.workspace.mark();
        auto g = nn::compact_to(ctx, mark, upsample_.backward(dout, ctx));
        // V3+: the decoder's gradient of layer1's output waits at `mark` until layer1 (`upper` is the
        // mark above it); V3: nothing waits.
        std::size_t upper = mark;
        TensorView<T, Backbone::Layer1::out_shape> g_low;
        TensorView<T, feature_shape> g4;
        if constexpr (plus) {
            // The decoder leaves both gradients above g (its output gradient, no longer needed).
            auto gd = classifier_.backward(g, ctx);
            std::tie(g_low, g4) = nn::compact_pair_to(ctx, mark, gd.low, gd.features);
            upper = mark + aligned_bytes<T>(g_low.size());
        } else {
            g4 = nn::compact_to(ctx, mark, classifier_.backward(g, ctx));
        }
        if constexpr (C.classification_head) {
            // The image classifier's gradient adds into layer4's output gradient.
            if (dcls.batch() > 0) {
                const std::size_t m = ctx.workspace.mark();
                auto gc = cls_head_.backward(dcls, ctx);
                run<Op::accumulate>(ctx.device(), g4.size(), static_cast<const T*>(gc.data()), g4.data());
                ctx.workspace.release(m);
            }
        }
        auto g3 = nn::compact_to(ctx, upper, bb.layer4().backward(g4, ctx));
        if constexpr (C.aux) {
            // Without an aux gradient (a loss on the main output only) the aux head adds nothing.
            if (daux.batch() > 0) {
                const std::size_t m = ctx.workspace.mark();
                auto ga = aux_classifier_.backward(aux_upsample_.backward(daux, ctx), ctx);
                run<Op::accumulate>(ctx.device(), g3.size(), static_cast<const T*>(ga.data()), g3.data());
                ctx.workspace.release(m);
            }
        }
        auto g2 = nn::compact_to(ctx, upper, bb.layer3().backward(g3, ctx));
        auto g1 = nn::compact_to(ctx, upper, bb.layer2().backward(g2, ctx));
        if constexpr (plus) {
            run<Op::accumulate>(ctx.device(), g1.size(), static_cast<const T*>(g_low.data()), g1.data());
            g1 = nn::compact_to(ctx, mark, g1);
        }
        auto g0 = nn::compact_to(ctx, mark, bb.layer1().backward(g1, ctx));
        return nn::compact_to(ctx, mark, bb.stem().backward(g0, ctx));
    }

    // Every module, in torchvision's order, as (path, kind, output shape, parameters).
    template <class F>
    static void describe(F&& f) {
        Backbone::describe("backbone", f);
        Classifier::describe(plus ? "decoder" : "classifier", f);
        if constexpr (C.aux) AuxClassifier::describe("aux_classifier", f);
        if constexpr (C.classification_head) ClassificationHead::describe("classification_head", f);
        f("(interpolate)", "Upsample", out_shape, std::size_t(0));
    }

    // Every parameter and buffer under torchvision's state_dict name.
    template <class F>
    void visit(F&& f) {
        const nn::ParamVisitor<T> v(f);
        backbone_.visit("backbone", v);
        classifier_.visit(plus ? "decoder" : "classifier", v);
        if constexpr (C.aux) aux_classifier_.visit("aux_classifier", v);
        if constexpr (C.classification_head) cls_head_.visit("classification_head", v);
    }

    // Sets every Dropout's rate (ASPP's 0.5 and the aux head's 0.1); parity tests switch them off.
    void set_dropout(double p) {
        if constexpr (plus) classifier_.aspp().project().template get<3>().set_rate(p);
        else classifier_.template get<0>().project().template get<3>().set_rate(p);
        if constexpr (C.aux) aux_classifier_.template get<3>().set_rate(p);
    }

    Backbone& backbone() { return backbone_; }
    Classifier& classifier() { return classifier_; }

private:
    struct None {
        void bind(nn::ParamBinder<T>&) {}
        void init(Rng&, nn::HostParams<T>&) {}
    };
    void setup() {
        store_ = nn::ParamStore<T, B>(dev_.get(), param_sizes());
        auto b = store_.binder();
        backbone_.bind(b);
        classifier_.bind(b);
        if constexpr (C.aux) aux_classifier_.bind(b);
        if constexpr (C.classification_head) cls_head_.bind(b);
        if (!b.complete()) throw std::logic_error("salt::models::DeepLabV3: the layers took fewer parameters than declared");
        // Zero weights, BatchNorm reset (gamma 1, running variance 1).
        nn::HostParams<T> host(store_.values(), std::vector<T>(store_.sizes().total(), T(0)));
        visit([&](const auto& p) {
            if (p.kind == nn::ParamKind::bn_weight || p.kind == nn::ParamKind::bn_running_var)
                std::fill_n(host.at(p.value), p.count, T(1));
        });
        store_.upload(host);
    }

    nn::DeviceHolder<B> dev_;
    nn::ParamStore<T, B> store_;
    bool trained_ = false;
    Backbone backbone_;
    Classifier classifier_;
    Upsample upsample_;
    [[no_unique_address]] std::conditional_t<C.aux, AuxClassifier, None> aux_classifier_;
    [[no_unique_address]] std::conditional_t<C.aux, AuxUpsample, None> aux_upsample_;
    [[no_unique_address]] std::conditional_t<C.classification_head, ClassificationHead, None> cls_head_;
};

// The model's configuration as metadata, so eval/predict can rebuild the right compiled model.
template <class Model>
std::map<std::string, std::string> config_metadata() {
    constexpr auto C = Model::config;
    auto join = [](auto const& a) {
        std::string s;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (i) s += ',';
            s += std::to_string(a[i]);
        }
        return s;
    };
    return {{"salt.model", "deeplabv3"},
            {"salt.height", std::to_string(C.height)},
            {"salt.width", std::to_string(C.width)},
            {"salt.in_channels", std::to_string(C.in_channels)},
            {"salt.classes", std::to_string(C.classes)},
            {"salt.blocks", join(C.blocks)},
            {"salt.block", C.block == BlockKind::basic ? "basic" : "bottleneck"},
            {"salt.encoder", encoder_name(C)},
            {"salt.output_stride", std::to_string(C.output_stride)},
            {"salt.rates", join(C.rates)},
            {"salt.aux", C.aux ? "1" : "0"},
            {"salt.decoder", C.decoder == Decoder::deeplabv3plus ? "deeplabv3plus" : "deeplabv3"},
            {"salt.classification_head", C.classification_head ? "1" : "0"}};
}

}  // namespace salt::models
