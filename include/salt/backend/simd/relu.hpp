// salt/backend/simd/relu.hpp — ReLU for the simd backend (fp32), same semantics as salt/ops/relu.hpp:
// y = x < 0 ? 0 : x (NaN and -0 pass through), dx = y > 0 ? dy : 0; in place allowed.
#pragma once

#include <cstddef>

#include "salt/backend/simd/detail.hpp"
#include "salt/ops/relu.hpp"

namespace salt::backend::simd {

inline void relu_forward(Device& dev, std::size_t n, const float* x, float* y) {
    if (n == 0) return;
    ops::detail::check_ptr("relu_forward", x, "x");
    ops::detail::check_ptr("relu_forward", y, "y");
    parallel_range(dev, n, [&](std::size_t b, std::size_t e) {
        std::size_t i = b;
        const vfloat zero(0.f);
        for (; i + kLanes <= e; i += kLanes) {
            const vfloat v = vfloat::load_unaligned(x + i);
            xsimd::select(v < zero, zero, v).store_unaligned(y + i);
        }
        for (; i < e; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];
    });
}

inline void relu_backward(Device& dev, std::size_t n, const float* y, const float* dy, float* dx) {
    if (n == 0) return;
    ops::detail::check_ptr("relu_backward", y, "y");
    ops::detail::check_ptr("relu_backward", dy, "dy");
    ops::detail::check_ptr("relu_backward", dx, "dx");
    parallel_range(dev, n, [&](std::size_t b, std::size_t e) {
        std::size_t i = b;
        const vfloat zero(0.f);
        for (; i + kLanes <= e; i += kLanes) {
            const vfloat v = vfloat::load_unaligned(y + i);
            xsimd::select(v > zero, vfloat::load_unaligned(dy + i), zero).store_unaligned(dx + i);
        }
        for (; i < e; ++i) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
    });
}

}  // namespace salt::backend::simd
