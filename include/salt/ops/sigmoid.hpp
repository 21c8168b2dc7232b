// salt/ops/sigmoid.hpp — logistic sigmoid, element-wise, reference backend.
//   forward:  y = 1 / (1 + exp(-x)), evaluated as exp(x) / (1 + exp(x)) for x < 0 so that no
//             intermediate overflows for large |x| (y -> 0 or 1 without NaN). x == y allowed.
//   backward: dx = dy * y * (1 - y), from the OUTPUT y; dx == dy allowed. dx is OVERWRITTEN.
#pragma once

#include <cmath>
#include <cstddef>

#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

template <class T>
void sigmoid_forward(std::size_t n, const T* x, T* y) {
    if (n == 0) return;
    detail::check_ptr("sigmoid_forward", x, "x");
    detail::check_ptr("sigmoid_forward", y, "y");
    for (std::size_t i = 0; i < n; ++i) {
        const T v = x[i];
        if (v >= T(0)) {
            y[i] = T(1) / (T(1) + std::exp(-v));
        } else {
            const T e = std::exp(v);  // in (0, 1): no overflow
            y[i] = e / (T(1) + e);
        }
    }
}

template <class T>
void sigmoid_backward(std::size_t n, const T* y, const T* dy, T* dx) {
    if (n == 0) return;
    detail::check_ptr("sigmoid_backward", y, "y");
    detail::check_ptr("sigmoid_backward", dy, "dy");
    detail::check_ptr("sigmoid_backward", dx, "dx");
    for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (T(1) - y[i]);
}

}  // namespace salt::ops
