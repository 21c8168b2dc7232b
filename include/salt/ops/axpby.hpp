// salt/ops/axpby.hpp — y = a x + b y, element-wise, reference kernel (averaging predictions).
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/core/op_params.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

template <class T>
void axpby(std::size_t n, T a, const T* x, T b, T* y) {
    if (n == 0) return;
    detail::check_ptr("axpby", x, "x");
    detail::check_ptr("axpby", y, "y");
    for (std::size_t i = 0; i < n; ++i) y[i] = a * x[i] + b * y[i];
}

}  // namespace salt::ops
