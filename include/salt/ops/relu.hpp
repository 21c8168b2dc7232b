// salt/ops/relu.hpp — rectified linear unit, element-wise, reference backend.
//   forward:  y = max(x, 0) (NaN propagates, as torch); x == y (in place) is allowed.
//   backward: dx = y > 0 ? dy : 0, from the OUTPUT y (so an in-place forward needs no copy of x);
//             dx == dy is allowed. dx is OVERWRITTEN.
#pragma once

#include <cstddef>

#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

template <class T>
void relu_forward(std::size_t n, const T* x, T* y) {
    if (n == 0) return;
    detail::check_ptr("relu_forward", x, "x");
    detail::check_ptr("relu_forward", y, "y");
    for (std::size_t i = 0; i < n; ++i) {
        const T v = x[i];
        y[i] = (v < T(0)) ? T(0) : v;
    }
}

template <class T>
void relu_backward(std::size_t n, const T* y, const T* dy, T* dx) {
    if (n == 0) return;
    detail::check_ptr("relu_backward", y, "y");
    detail::check_ptr("relu_backward", dy, "dy");
    detail::check_ptr("relu_backward", dx, "dx");
    for (std::size_t i = 0; i < n; ++i) dx[i] = (y[i] > T(0)) ? dy[i] : T(0);
}

}  // namespace salt::ops
