// salt/ops/add.hpp — element-wise sum of two tensors (the residual connection), reference backend.
//   add_forward:  y = a + b (y may alias a or b).
//   add_backward: da = dy, db = dy (copies; OVERWRITTEN). Either output may be null to skip it,
//                 and either may alias dy.
//   accumulate:   dst += src (the building block for summing gradients of a tensor used twice).
#pragma once

#include <cstddef>
#include <type_traits>

#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

template <class T>
void add_forward(std::size_t n, const T* a, const T* b, T* y) {
    if (n == 0) return;
    detail::check_ptr("add_forward", a, "a");
    detail::check_ptr("add_forward", b, "b");
    detail::check_ptr("add_forward", y, "y");
    for (std::size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

template <class T>
void add_backward(std::size_t n, const T* dy, std::type_identity_t<T>* da,
                  std::type_identity_t<T>* db) {
    if (n == 0) return;
    detail::check_ptr("add_backward", dy, "dy");
    for (std::size_t i = 0; i < n; ++i) {
        const T g = dy[i];
        if (da) da[i] = g;
        if (db) db[i] = g;
    }
}

template <class T>
void accumulate(std::size_t n, const T* src, T* dst) {
    if (n == 0) return;
    detail::check_ptr("accumulate", src, "src");
    detail::check_ptr("accumulate", dst, "dst");
    for (std::size_t i = 0; i < n; ++i) dst[i] += src[i];
}

}  // namespace salt::ops
