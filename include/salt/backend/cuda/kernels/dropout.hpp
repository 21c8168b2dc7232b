// salt/backend/cuda/kernels/dropout.hpp — inverted dropout, forward and backward, one functor per
// element. The mask comes from the counter-based stream of core/rng.hpp (ops::dropout_keeps, a
// function of (seed, i) only), so the GPU draws exactly the reference's mask in any thread order.
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/backend/cuda/kernels/elementwise.hpp"
#include "salt/core/hd.hpp"
#include "salt/ops/dropout.hpp"

namespace salt::backend::cuda {
namespace kernels {

// ops/dropout.hpp dropout_forward:
//   keep = dropout_keeps(seed, i, k); mask[i] = keep; y[i] = keep ? (p == 0 ? x[i] : x[i] * scale) : 0
struct DropoutForward {
    std::uint64_t seed, keep_threshold;
    bool p_zero;
    float scale;
    const float* x;
    float* y;
    std::uint8_t* mask;
    SALT_HD void operator()(std::size_t i) const {
        const bool keep = ops::dropout_keeps(seed, i, keep_threshold);
        mask[i] = keep ? 1 : 0;
        y[i] = keep ? (p_zero ? x[i] : x[i] * scale) : 0.f;
    }
};
// ops/dropout.hpp dropout_backward: dx[i] = mask[i] ? dy[i] * scale : 0
struct DropoutBackward {
    float scale;
    const std::uint8_t* mask;
    const float* dy;
    float* dx;
    SALT_HD void operator()(std::size_t i) const { dx[i] = mask[i] ? dy[i] * scale : 0.f; }
};

}  // namespace kernels

// The scale as the reference computes it: T(1 / (1 - p)), 0 when everything is dropped.
inline float dropout_scale(double p) { return p < 1.0 ? float(1.0 / (1.0 - p)) : 0.f; }

template <class Ex>
void dropout_forward(Ex& ex, std::size_t n, double p, std::uint64_t seed, const float* x, float* y,
                     std::uint8_t* mask) {
    constexpr const char* op = "dropout_forward";
    ops::detail::check_dropout(op, p);
    if (n == 0) return;
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, y, "y");
    ops::detail::check_ptr(op, mask, "mask");
    launch_each(ex, op, n,
                kernels::DropoutForward{seed, ops::dropout_keep_threshold(p), p == 0.0, dropout_scale(p), x, y, mask});
}
template <class Ex>
void dropout_backward(Ex& ex, std::size_t n, double p, const std::uint8_t* mask, const float* dy, float* dx) {
    constexpr const char* op = "dropout_backward";
    ops::detail::check_dropout(op, p);
    if (n == 0) return;
    ops::detail::check_ptr(op, mask, "mask");
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, dx, "dx");
    launch_each(ex, op, n, kernels::DropoutBackward{dropout_scale(p), mask, dy, dx});
}

}  // namespace salt::backend::cuda
