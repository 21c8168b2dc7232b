// tests/cuda_host/model_compare.hpp — the whole DeepLabV3-ResNet50 on one backend against the same
// model on the reference backend: a training forward (outputs, aux outputs, the image classifier's
// logits where the model has one, the running statistics
// it updates), a backward from fixed output gradients (the input gradient and every parameter
// gradient), and an inference forward (on a backend with the fused conv + BN op, its fused path).
// Conv weights are compared in PyTorch's OIHW order, so backends with different kernel layouts
// (the reference's HWIO, the CUDA backend's OHWI) compare element by element. Used by the host
// emulation (cuda_host_model) and by the device test (tests/cuda).
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "salt/backend/reference/reference.hpp"
#include "salt/core/rng.hpp"
#include "salt/core/tensor.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/ops/conv2d.hpp"

namespace salt::test::model_compare {

struct Pass {
    std::vector<float> out, aux, cls, dx, eval_out, eval_cls;  // cls: the image classifier's logits
    std::map<std::string, std::vector<float>> tensors;  // "grad.<name>" and "after.<name>" (buffers)
    std::size_t train_high_water = 0, train_declared = 0, eval_high_water = 0, eval_declared = 0;
};

inline double rel_l2(const std::vector<float>& got, const std::vector<float>& ref) {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double d = double(got[i]) - double(ref[i]);
        num += d * d, den += double(ref[i]) * double(ref[i]);
    }
    return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}

template <class B, models::DeepLabV3Config C>
Pass run(int n, typename B::options o = {}) {
    using M = models::DeepLabV3<float, C, B>;
    auto m = std::make_unique<M>(21, o);
    auto& dev = m->device();
    Rng data(5);
    std::vector<float> x(M::in_shape.size() * n), dy(M::out_shape.size() * n), da(dy.size());
    for (auto& v : x) v = float(data.normal());
    for (auto& v : dy) v = float(data.normal() / double(dy.size()));
    for (auto& v : da) v = float(0.4 * data.normal() / double(da.size()));
    // The classifier's logit gradient, drawn after the others so the cases without it keep their data.
    std::vector<float> dc(C.classification_head ? std::size_t(n) : 0);
    for (auto& v : dc) v = float(0.5 * data.normal() / double(n));
    Tensor<float, M::in_shape, B> xt(dev, n);
    xt.upload(x);
    Pass p;
    {
        Workspace<B> ws(dev, M::workspace_bytes(n, nn::Mode::train));
        Rng drop(7);  // the same dropout masks on every backend (counter-based draws)
        nn::Context<B> ctx{ws, nn::Mode::train, &drop};
        m->zero_grad();
        auto out = m->forward(xt.view(), ctx);
        p.out = download<B>(dev, out.out.data(), out.out.size());
        if constexpr (C.aux) p.aux = download<B>(dev, out.aux.data(), out.aux.size());
        if constexpr (C.classification_head) p.cls = download<B>(dev, out.cls.data(), out.cls.size());
        auto g = ctx.template take<float, M::out_shape>(n);
        upload<B>(dev, g.data(), std::span<const float>(dy));
        TensorView<float, M::out_shape> ga;
        if constexpr (C.aux) {
            ga = ctx.template take<float, M::out_shape>(n);
            upload<B>(dev, ga.data(), std::span<const float>(da));
        }
        TensorView<float, M::cls_shape> gc;
        if constexpr (C.classification_head) {
            gc = ctx.template take<float, M::cls_shape>(n);
            upload<B>(dev, gc.data(), std::span<const float>(dc));
        }
        auto dx = m->backward(g, ctx, ga, gc);
        p.dx = download<B>(dev, dx.data(), dx.size());
        p.train_high_water = ws.high_water();
        p.train_declared = M::workspace_bytes(n, nn::Mode::train);
    }
    {
        Workspace<B> ws(dev, M::workspace_bytes(n, nn::Mode::eval));
        nn::Context<B> ctx{ws, nn::Mode::eval, nullptr};
        auto out = m->forward(xt.view(), ctx);
        p.eval_out = download<B>(dev, out.out.data(), out.out.size());
        if constexpr (C.classification_head) p.eval_cls = download<B>(dev, out.cls.data(), out.cls.size());
        p.eval_high_water = ws.high_water();
        p.eval_declared = M::workspace_bytes(n, nn::Mode::eval);
    }
    m->visit([&](const auto& prm) {
        if (!prm.value) return;  // num_batches_tracked lives on the host
        std::vector<float> v = download<B>(dev, prm.trainable() ? prm.grad : prm.value, prm.count);
        if (prm.kind == nn::ParamKind::conv_weight) {
            std::vector<float> oihw(v.size());
            ops::conv2d_weight_to_oihw(B::conv_weight_layout, prm.conv, v.data(), oihw.data());
            v = std::move(oihw);
        }
        p.tensors[(prm.trainable() ? "grad." : "after.") + prm.name] = std::move(v);
    });
    return p;
}

// Every output and tensor of `got` within `tolerance` relative L2 of `ref`; returns the worst.
inline double compare(const std::string& name, const Pass& got, const Pass& ref, double tolerance) {
    double worst = 0;
    std::string worst_name;
    auto check = [&](const std::string& what, const std::vector<float>& a, const std::vector<float>& b) {
        REQUIRE(a.size() == b.size());
        REQUIRE(!a.empty());
        const double e = rel_l2(a, b);
        INFO(name << " " << what << ": relative L2 " << e << " (tolerance " << tolerance << ")");
        CHECK(e <= tolerance);
        if (e > worst) worst = e, worst_name = what;
    };
    check("out", got.out, ref.out);
    if (!ref.aux.empty()) check("aux", got.aux, ref.aux);
    REQUIRE(got.cls.size() == ref.cls.size());
    if (!ref.cls.empty()) {
        check("cls", got.cls, ref.cls);
        check("eval.cls", got.eval_cls, ref.eval_cls);
    }
    check("grad.input", got.dx, ref.dx);
    check("eval.out", got.eval_out, ref.eval_out);
    REQUIRE(got.tensors.size() == ref.tensors.size());
    for (const auto& [k, v] : ref.tensors) {
        const auto it = got.tensors.find(k);
        REQUIRE(it != got.tensors.end());
        check(k, it->second, v);
    }
    CHECK(got.train_high_water == got.train_declared);
    CHECK(got.eval_high_water == got.eval_declared);
    WARN(name << ": " << got.tensors.size() + 4 + (ref.aux.empty() ? 0 : 1) + (ref.cls.empty() ? 0 : 2) << " tensors, worst relative L2 " << worst << " (" << worst_name << ")");
    return worst;
}

}  // namespace salt::test::model_compare
