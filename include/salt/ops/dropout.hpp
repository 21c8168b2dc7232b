// salt/ops/dropout.hpp — inverted dropout, reference kernels.
//   forward:  element i is kept (mask 1) when u_i >= p, where u_i = (counter_u64(seed, i) >> 11)
//             * 2^-53 is uniform in [0, 1) and depends only on (seed, i) (core/rng.hpp), so every
//             backend draws the same mask in any order. y = x * mask / (1 - p). p == 0 keeps
//             everything (y = x); p == 1 drops everything (y = 0, no division by zero). p outside
//             [0, 1] (or NaN) throws. y may alias x. The layer takes a fresh seed per call from
//             its generator.
//   backward: dx = dy * mask / (1 - p) (0 where dropped; all zero when p == 1). dx is OVERWRITTEN
//             and may alias dy.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "salt/core/hd.hpp"
#include "salt/core/rng.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

namespace detail {
inline void check_dropout(const char* op, double p) {
    if (!(p >= 0.0 && p <= 1.0)) fail(op, "drop probability must be in [0, 1], got ", p);
}
}  // namespace detail

// u_i >= p  <=>  (h >> 11) >= ceil(p * 2^53): the integer form every backend compares with (p * 2^53
// is exact in double). 0 keeps everything; 2^53 (p == 1) drops everything.
inline std::uint64_t dropout_keep_threshold(double p) { return std::uint64_t(std::ceil(p * 9007199254740992.0)); }
SALT_HD inline bool dropout_keeps(std::uint64_t seed, std::uint64_t i, std::uint64_t keep_threshold) {
    return (counter_u64(seed, i) >> 11) >= keep_threshold;
}

template <class T>
void dropout_forward(std::size_t n, double p, std::uint64_t seed, const T* x, T* y, std::uint8_t* mask) {
    constexpr const char* op = "dropout_forward";
    detail::check_dropout(op, p);
    if (n == 0) return;
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, y, "y");
    detail::check_ptr(op, mask, "mask");
    const std::uint64_t k = dropout_keep_threshold(p);
    const T scale = p < 1.0 ? T(1.0 / (1.0 - p)) : T(0);
    for (std::size_t i = 0; i < n; ++i) {
        const bool keep = dropout_keeps(seed, i, k);
        mask[i] = keep ? 1 : 0;
        y[i] = keep ? (p == 0.0 ? x[i] : x[i] * scale) : T(0);
    }
}

template <class T>
void dropout_backward(std::size_t n, double p, const std::uint8_t* mask, const T* dy, T* dx) {
    constexpr const char* op = "dropout_backward";
    detail::check_dropout(op, p);
    if (n == 0) return;
    detail::check_ptr(op, mask, "mask");
    detail::check_ptr(op, dy, "dy");
    detail::check_ptr(op, dx, "dx");
    const T scale = p < 1.0 ? T(1.0 / (1.0 - p)) : T(0);
    for (std::size_t i = 0; i < n; ++i) dx[i] = mask[i] ? dy[i] * scale : T(0);
}

}  // namespace salt::ops
