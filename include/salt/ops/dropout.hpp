// salt/ops/dropout.hpp — inverted dropout, reference backend.
//   forward:  for each element, one draw u = rng.uniform() in [0, 1); kept (mask 1) when u >= p.
//             y = x * mask / (1 - p). p == 0 keeps everything and draws nothing (y = x);
//             p == 1 drops everything (y = 0, no division by zero) and draws nothing.
//             p outside [0, 1] (or NaN) throws. y may alias x.
//   backward: dx = dy * mask / (1 - p) (0 where dropped; all zero when p == 1). dx is OVERWRITTEN
//             and may alias dy.
// The mask makes the backward pass independent of the generator; the generator's state after a
// forward pass depends only on its state before and n (exactly n draws when 0 < p < 1).
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/backend/reference/reference.hpp"
#include "salt/core/rng.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

namespace detail {
inline void check_dropout(const char* op, double p) {
    if (!(p >= 0.0 && p <= 1.0)) fail(op, "drop probability must be in [0, 1], got ", p);
}
}  // namespace detail

template <class T>
void dropout_forward(backend::reference, std::size_t n, double p, salt::Rng& rng, const T* x, T* y,
                     std::uint8_t* mask) {
    constexpr const char* op = "dropout_forward";
    detail::check_dropout(op, p);
    if (n == 0) return;
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, y, "y");
    detail::check_ptr(op, mask, "mask");
    if (p == 0.0) {
        for (std::size_t i = 0; i < n; ++i) {
            mask[i] = 1;
            y[i] = x[i];
        }
        return;
    }
    if (p == 1.0) {
        for (std::size_t i = 0; i < n; ++i) {
            mask[i] = 0;
            y[i] = T(0);
        }
        return;
    }
    const T scale = T(1.0 / (1.0 - p));
    for (std::size_t i = 0; i < n; ++i) {
        const bool keep = rng.uniform() >= p;
        mask[i] = keep ? 1 : 0;
        y[i] = keep ? x[i] * scale : T(0);
    }
}

template <class T>
void dropout_backward(backend::reference, std::size_t n, double p, const std::uint8_t* mask, const T* dy, T* dx) {
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
