// salt/ops/global_avg_pool.hpp — global average pooling (AdaptiveAvgPool2d(1)), reference backend.
//   forward:  y[n, c] = sum_{y, x} x[n, y, x, c] / (h * w); y holds batch * c values (a 1x1xC map).
//   backward: dx[n, y, x, c] = dy[n, c] / (h * w). dx is OVERWRITTEN.
#pragma once

#include <cstddef>
#include <vector>

#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

template <class T>
void global_avg_pool_forward(Shape in, int batch, const T* x, T* y) {
    constexpr const char* op = "global_avg_pool_forward";
    detail::check_shape_batch(op, in, batch);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, y, "y");
    using A = detail::acc_t<T>;
    const std::size_t P = in.pixels();
    const int C = in.c;
    std::vector<A> acc(static_cast<std::size_t>(C));
    for (int n = 0; n < batch; ++n) {
        const T* xn = x + std::size_t(n) * in.size();
        for (int c = 0; c < C; ++c) acc[c] = A(0);
        for (std::size_t p = 0; p < P; ++p)
            for (int c = 0; c < C; ++c) acc[c] += A(xn[p * C + c]);
        for (int c = 0; c < C; ++c) y[std::size_t(n) * C + c] = T(acc[c] / A(P));
    }
}

template <class T>
void global_avg_pool_backward(Shape in, int batch, const T* dy, T* dx) {
    constexpr const char* op = "global_avg_pool_backward";
    detail::check_shape_batch(op, in, batch);
    detail::check_ptr(op, dy, "dy");
    detail::check_ptr(op, dx, "dx");
    using A = detail::acc_t<T>;
    const std::size_t P = in.pixels();
    const int C = in.c;
    for (int n = 0; n < batch; ++n) {
        T* dxn = dx + std::size_t(n) * in.size();
        for (std::size_t p = 0; p < P; ++p)
            for (int c = 0; c < C; ++c) dxn[p * C + c] = T(A(dy[std::size_t(n) * C + c]) / A(P));
    }
}

}  // namespace salt::ops
