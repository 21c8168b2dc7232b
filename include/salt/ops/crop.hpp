// salt/ops/crop.hpp — copy a rectangle out of each NHWC map, reference kernel (the image inside a
// padded prediction):  y[n, r, c, ch] = x[n, y0 + r, x0 + c, ch], y of shape {region.h, region.w, C}.
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/core/op_params.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

template <class T>
void crop(Shape in, int batch, const Region& reg, const T* x, T* y) {
    constexpr const char* op = "crop";
    detail::check_shape_batch(op, in, batch);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, y, "y");
    if (!reg.inside(in.h, in.w))
        detail::fail(op, "the region (rows ", reg.y0, "+", reg.h, ", columns ", reg.x0, "+", reg.w,
                     ") is empty or not inside the ", in.h, "x", in.w, " map");
    for (int n = 0; n < batch; ++n)
        for (int r = 0; r < reg.h; ++r)
            for (int c = 0; c < reg.w; ++c)
                for (int ch = 0; ch < in.c; ++ch)
                    y[((std::size_t(n) * reg.h + r) * reg.w + c) * in.c + ch] =
                        x[((std::size_t(n) * in.h + reg.y0 + r) * in.w + reg.x0 + c) * in.c + ch];
}

}  // namespace salt::ops
