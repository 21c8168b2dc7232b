// salt/ops/threshold.hpp — mask = x > t ? 1 : 0, element-wise, reference kernel (predicted masks).
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/core/op_params.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

template <class T>
void threshold(std::size_t n, const T* x, T t, std::uint8_t* mask) {
    if (n == 0) return;
    detail::check_ptr("threshold", x, "x");
    detail::check_ptr("threshold", mask, "mask");
    for (std::size_t i = 0; i < n; ++i) mask[i] = x[i] > t ? 1 : 0;
}

}  // namespace salt::ops
