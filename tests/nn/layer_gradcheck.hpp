// Numeric gradient checks of whole layers (composites included), in double: the loss is
// L = sum(y * r) for a fixed random r, so dL/dy = r; the analytic gradients from backward are
// compared with central differences of L for a sample of input elements and parameters.
// It also checks the layer's workspace arithmetic against the measured high-water mark, with no
// slack: a step takes exactly the bytes it declares (a declaration that over-reserves is as wrong as
// one that under-reserves, which the workspace would refuse with an exception anyway).
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/backend/reference/reference.hpp"
#include "salt/core/rng.hpp"
#include "salt/nn/context.hpp"
#include "salt/nn/standalone.hpp"

namespace salt::test {

// |a - n| / max(|a|, |n|, floor): the floor keeps gradients that are zero analytically (and ~1e-10
// numerically, from rounding in the difference quotient) from dividing by zero. With h = 1e-5 in
// double, the truncation error of central differences is O(h^2 * f''') ~ 1e-10 and the rounding
// error ~ eps * |L| / h ~ 1e-11 * |L|; a floor of 1e-4 keeps those below the 1e-6 bound.
inline double grad_rel_error(double analytic, double numeric, double floor = 1e-4) {
    return std::abs(analytic - numeric) / std::max({std::abs(analytic), std::abs(numeric), floor});
}

template <class Layer>
struct LayerGradcheck {
    using B = backend::Reference;
    static constexpr Shape In = Layer::in_shape;
    static constexpr Shape Out = Layer::out_shape;

    int batch = 2;
    int input_samples = 40;   // input elements checked
    int param_samples = 6;    // elements checked per parameter tensor
    std::uint64_t seed = 7;

    double max_input_error = 0, max_param_error = 0;
    std::size_t peak_bytes = 0, declared_bytes = 0;

    void run() {
        auto layer = std::make_unique<nn::Standalone<Layer>>();
        Rng rng(seed);
        layer->init(rng);
        // Non-trivial BN affine parameters, so gamma and beta gradients are exercised off their defaults.
        // (The reference backend's memory is the host's, so the test may write it directly.)
        layer->visit("", [&](const auto& p) {
            if (p.trainable())
                for (std::size_t i = 0; i < p.count; ++i) p.value[i] += 0.1 * rng.normal();
        });
        std::vector<double> x(In.size() * batch), r(Out.size() * batch);
        for (auto& v : x) v = rng.normal();
        for (auto& v : r) v = rng.normal();

        const std::size_t need = Layer::forward_keep(batch, nn::Mode::train) +
                                 aligned_bytes<double>(Out.size() * batch) + Layer::backward_peak(batch);
        const std::size_t declared = std::max(Layer::forward_peak(batch, nn::Mode::train), need);
        declared_bytes = declared;
        Workspace<B> ws(layer->device(), declared + 4096);
        Rng drop_rng(99);
        nn::Context<B> ctx{ws, nn::Mode::train, &drop_rng};

        auto loss = [&]() {
            ws.reset();
            drop_rng.reseed(99);
            TensorView<double, In> xv(x.data(), batch);
            auto y = layer->forward(xv, ctx);
            double s = 0;
            for (std::size_t i = 0; i < y.size(); ++i) s += y.data()[i] * r[i];
            return s;
        };

        // Analytic.
        std::vector<std::pair<double*, std::vector<double>>> grads;
        layer->visit("", [&](const auto& p) {
            if (p.trainable()) std::fill_n(p.grad, p.count, 0.0);
        });
        ws.reset();
        drop_rng.reseed(99);
        TensorView<double, In> xv(x.data(), batch);
        auto y = layer->forward(xv, ctx);
        auto dy = ctx.template take<double, Out>(batch);
        std::copy(r.begin(), r.end(), dy.data());
        auto dx = layer->backward(dy, ctx);
        std::vector<double> dxa(dx.data(), dx.data() + dx.size());
        peak_bytes = ws.high_water();
        CHECK(peak_bytes == declared);
        (void)y;

        const double h = 1e-5;
        Rng pick(seed + 1);
        for (int k = 0; k < input_samples; ++k) {
            const std::size_t i = pick.below(x.size());
            const double keep = x[i];
            x[i] = keep + h;
            const double lp = loss();
            x[i] = keep - h;
            const double lm = loss();
            x[i] = keep;
            max_input_error = std::max(max_input_error, grad_rel_error(dxa[i], (lp - lm) / (2 * h)));
        }
        // Parameters: copy the analytic gradients first (the loss evaluations above did not touch
        // them, since only backward accumulates).
        layer->visit("", [&](const auto& p) {
            if (!p.trainable()) return;
            std::vector<double> g(p.grad, p.grad + p.count);
            for (int k = 0; k < param_samples; ++k) {
                const std::size_t i = pick.below(p.count);
                const double keep = p.value[i];
                p.value[i] = keep + h;
                const double lp = loss();
                p.value[i] = keep - h;
                const double lm = loss();
                p.value[i] = keep;
                const double e = grad_rel_error(g[i], (lp - lm) / (2 * h));
                if (e > 1e-6) WARN(p.name << "[" << i << "]: analytic " << g[i] << " numeric " << (lp - lm) / (2 * h));
                max_param_error = std::max(max_param_error, e);
            }
        });
    }
};

}  // namespace salt::test
