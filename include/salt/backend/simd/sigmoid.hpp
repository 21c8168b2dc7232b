// salt/backend/simd/sigmoid.hpp — logistic sigmoid, simd backend (fp32), same semantics as
// salt/ops/sigmoid.hpp: with e = exp(-|x|), y = 1/(1+e) for x >= 0 and e/(1+e) otherwise (no
// overflow); dx = dy * y * (1 - y). xsimd's exp is within a few ulp of std::exp.
#pragma once

#include <cmath>
#include <cstddef>

#include "salt/backend/simd/detail.hpp"
#include "salt/ops/sigmoid.hpp"

namespace salt::backend::simd {

inline void sigmoid_forward(Device& dev, std::size_t n, const float* x, float* y) {
    if (n == 0) return;
    ops::detail::check_ptr("sigmoid_forward", x, "x");
    ops::detail::check_ptr("sigmoid_forward", y, "y");
    parallel_range(dev, n, [&](std::size_t s, std::size_t e) {
        std::size_t i = s;
        const vfloat one(1.f), zero(0.f);
        for (; i + kLanes <= e; i += kLanes) {
            const vfloat v = vfloat::load_unaligned(x + i);
            const vfloat ex = xsimd::exp(-xsimd::abs(v));
            const vfloat den = one + ex;
            xsimd::select(v >= zero, one / den, ex / den).store_unaligned(y + i);
        }
        for (; i < e; ++i) {
            const float v = x[i];
            if (v >= 0.f) {
                y[i] = 1.f / (1.f + std::exp(-v));
            } else {
                const float ex = std::exp(v);
                y[i] = ex / (1.f + ex);
            }
        }
    });
}

inline void sigmoid_backward(Device& dev, std::size_t n, const float* y, const float* dy, float* dx) {
    if (n == 0) return;
    ops::detail::check_ptr("sigmoid_backward", y, "y");
    ops::detail::check_ptr("sigmoid_backward", dy, "dy");
    ops::detail::check_ptr("sigmoid_backward", dx, "dx");
    parallel_range(dev, n, [&](std::size_t s, std::size_t e) {
        std::size_t i = s;
        const vfloat one(1.f);
        for (; i + kLanes <= e; i += kLanes) {
            const vfloat yv = vfloat::load_unaligned(y + i);
            (vfloat::load_unaligned(dy + i) * yv * (one - yv)).store_unaligned(dx + i);
        }
        for (; i < e; ++i) dx[i] = dy[i] * y[i] * (1.f - y[i]);
    });
}

}  // namespace salt::backend::simd
