// salt/backend/simd/dropout.hpp — dropout for the simd backend (fp32), the same semantics as
// salt/ops/dropout.hpp: mask[i] = (rng.uniform() >= p), y = mask ? x / (1 - p) : 0, and the same
// masks for the same generator state (the conformance test checks them equal). The mask is drawn
// serially (the generator is one sequence); applying it, forward and backward, is a vector loop
// over threads.
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/backend/simd/detail.hpp"
#include "salt/backend/simd/simd.hpp"
#include "salt/core/rng.hpp"
#include "salt/ops/dropout.hpp"

namespace salt::ops {

namespace simd_dropout {

// out[i] = mask[i] ? in[i] * scale : 0 over [0, n), threads over lane-aligned pieces.
inline void apply(std::size_t n, const std::uint8_t* mask, const float* in, float scale, float* out) {
    using namespace backend::simd_kernels;
    parallel_range(n, [&](std::size_t b, std::size_t e) {
        const vfloat s(scale), zero(0.f);
        alignas(64) float m[kLanes];
        std::size_t i = b;
        for (; i + kLanes <= e; i += kLanes) {
            for (int j = 0; j < kLanes; ++j) m[j] = float(mask[i + j]);
            const vfloat v = vfloat::load_unaligned(in + i) * s;
            xsimd::select(vfloat::load_aligned(m) != zero, v, zero).store_unaligned(out + i);
        }
        for (; i < e; ++i) out[i] = mask[i] ? in[i] * scale : 0.f;
    });
}

}  // namespace simd_dropout

inline void dropout_forward(backend::simd, std::size_t n, double p, salt::Rng& rng, const float* x, float* y,
                            std::uint8_t* mask) {
    constexpr const char* op = "dropout_forward";
    detail::check_dropout(op, p);
    if (n == 0) return;
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, y, "y");
    detail::check_ptr(op, mask, "mask");
    if (p == 0.0 || p == 1.0) {  // no draws, as the reference
        for (std::size_t i = 0; i < n; ++i) mask[i] = p == 0.0 ? 1 : 0;
        simd_dropout::apply(n, mask, x, 1.f, y);
        return;
    }
    for (std::size_t i = 0; i < n; ++i) mask[i] = rng.uniform() >= p ? 1 : 0;
    simd_dropout::apply(n, mask, x, float(1.0 / (1.0 - p)), y);
}

inline void dropout_backward(backend::simd, std::size_t n, double p, const std::uint8_t* mask, const float* dy,
                             float* dx) {
    constexpr const char* op = "dropout_backward";
    detail::check_dropout(op, p);
    if (n == 0) return;
    detail::check_ptr(op, mask, "mask");
    detail::check_ptr(op, dy, "dy");
    detail::check_ptr(op, dx, "dx");
    simd_dropout::apply(n, mask, dy, p < 1.0 ? float(1.0 / (1.0 - p)) : 0.f, dx);
}

}  // namespace salt::ops
