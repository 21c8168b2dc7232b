// salt/ops/flip_width.hpp — mirror NHWC maps left to right, reference kernel (test-time
// augmentation):  y[n, r, c, ch] = x[n, r, W-1-c, ch]; y must not alias x.
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/core/op_params.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

template <class T>
void flip_width(Shape s, int batch, const T* x, T* y) {
    constexpr const char* op = "flip_width";
    detail::check_shape_batch(op, s, batch);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, y, "y");
    if (x == y) detail::fail(op, "y must not alias x");
    for (int n = 0; n < batch; ++n)
        for (int r = 0; r < s.h; ++r)
            for (int c = 0; c < s.w; ++c)
                for (int ch = 0; ch < s.c; ++ch)
                    y[((std::size_t(n) * s.h + r) * s.w + c) * s.c + ch] =
                        x[((std::size_t(n) * s.h + r) * s.w + (s.w - 1 - c)) * s.c + ch];
}

}  // namespace salt::ops
