// salt/backend/simd/dropout.hpp — dropout for the simd backend (fp32), the same semantics as
// salt/ops/dropout.hpp: element i is kept when its counter-based draw (ops::dropout_keeps) says so,
// y = keep ? x / (1 - p) : 0. The draws depend only on (seed, i), so the mask is made by all
// threads at once and equals the reference's bit for bit; applying it is a vector loop.
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/backend/simd/detail.hpp"
#include "salt/ops/dropout.hpp"

namespace salt::backend::simd {

namespace simd_dropout {

// out[i] = mask[i] ? in[i] * scale : 0 over [begin, end).
inline void apply(std::size_t b, std::size_t e, const std::uint8_t* mask, const float* in, float scale, float* out) {
    const vfloat s(scale), zero(0.f);
    alignas(64) float m[kLanes];
    std::size_t i = b;
    for (; i + kLanes <= e; i += kLanes) {
        for (int j = 0; j < kLanes; ++j) m[j] = float(mask[i + j]);
        const vfloat v = vfloat::load_unaligned(in + i) * s;
        xsimd::select(vfloat::load_aligned(m) != zero, v, zero).store_unaligned(out + i);
    }
    for (; i < e; ++i) out[i] = mask[i] ? in[i] * scale : 0.f;
}

}  // namespace simd_dropout

inline void dropout_forward(Device& dev, std::size_t n, double p, std::uint64_t seed, const float* x, float* y,
                            std::uint8_t* mask) {
    constexpr const char* op = "dropout_forward";
    ops::detail::check_dropout(op, p);
    if (n == 0) return;
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, y, "y");
    ops::detail::check_ptr(op, mask, "mask");
    const std::uint64_t k = ops::dropout_keep_threshold(p);
    const float scale = p < 1.0 ? float(1.0 / (1.0 - p)) : 0.f;
    parallel_range(dev, n, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) mask[i] = ops::dropout_keeps(seed, i, k) ? 1 : 0;
        simd_dropout::apply(b, e, mask, x, scale, y);
    });
}

inline void dropout_backward(Device& dev, std::size_t n, double p, const std::uint8_t* mask, const float* dy,
                             float* dx) {
    constexpr const char* op = "dropout_backward";
    ops::detail::check_dropout(op, p);
    if (n == 0) return;
    ops::detail::check_ptr(op, mask, "mask");
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, dx, "dx");
    const float scale = p < 1.0 ? float(1.0 / (1.0 - p)) : 0.f;
    parallel_range(dev, n, [&](std::size_t b, std::size_t e) { simd_dropout::apply(b, e, mask, dy, scale, dx); });
}

}  // namespace salt::backend::simd
