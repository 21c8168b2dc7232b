// salt/ops/max_pool.hpp — 2-D max pooling (square window, stride, implicit padding), reference
// backend, with PyTorch's MaxPool2d semantics (ceil_mode=False, dilation 1):
//   * the output extent is pool2d_out_shape (salt/core/shape.hpp);
//   * padding never wins: only real input positions compete (padding is -inf, not 0), so an
//     all-negative window still yields its largest real value;
//   * ties: the first maximum in row-major scan order of the window wins; a NaN wins over numbers;
//   * padding must be at most kernel/2 (as torch), which guarantees every window holds a real position.
// argmax[i] (one per output element) is the index y*W + x of the winner inside the input plane of the
// same sample and channel. Backward scatters dy to those positions; dx is OVERWRITTEN.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

namespace detail {
inline void check_pool2d(const char* op, Shape in, int batch, const Pool2dParams& p) {
    check_shape_batch(op, in, batch);
    if (p.kernel <= 0) fail(op, "kernel must be positive, got ", p.kernel);
    if (p.stride <= 0) fail(op, "stride must be positive, got ", p.stride);
    if (p.padding < 0 || p.padding > p.kernel / 2)
        fail(op, "padding must be in [0, kernel/2] (torch: pad should be at most half of kernel size), got padding=",
             p.padding, " with kernel=", p.kernel);
    const Shape out = pool2d_out_shape(in, p);
    if (!out.valid())
        fail(op, "the window (kernel=", p.kernel, ") does not fit the padded input ", str(in), " with padding ",
             p.padding, " (output would be ", out.h, "x", out.w, ")");
}
}  // namespace detail

template <class T>
void max_pool2d_forward(Shape in, int batch, const Pool2dParams& p, const T* x, T* y,
                        std::int32_t* argmax) {
    constexpr const char* op = "max_pool2d_forward";
    detail::check_pool2d(op, in, batch, p);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, y, "y");
    detail::check_ptr(op, argmax, "argmax");
    const Shape out = pool2d_out_shape(in, p);
    const int C = in.c;
    for (int n = 0; n < batch; ++n) {
        const T* xn = x + std::size_t(n) * in.size();
        T* yn = y + std::size_t(n) * out.size();
        std::int32_t* an = argmax + std::size_t(n) * out.size();
        for (int oy = 0; oy < out.h; ++oy) {
            const int y0 = oy * p.stride - p.padding;
            const int ys = y0 < 0 ? 0 : y0;
            const int ye = (y0 + p.kernel < in.h) ? y0 + p.kernel : in.h;
            for (int ox = 0; ox < out.w; ++ox) {
                const int x0 = ox * p.stride - p.padding;
                const int xs = x0 < 0 ? 0 : x0;
                const int xe = (x0 + p.kernel < in.w) ? x0 + p.kernel : in.w;
                for (int c = 0; c < C; ++c) {
                    // Start from the first real position of the window, then scan the rest.
                    std::int32_t best_i = ys * in.w + xs;
                    T best = xn[std::size_t(best_i) * C + c];
                    for (int iy = ys; iy < ye; ++iy)
                        for (int ix = xs; ix < xe; ++ix) {
                            const std::int32_t i = iy * in.w + ix;
                            const T v = xn[std::size_t(i) * C + c];
                            if (v > best || (std::isnan(v) && !std::isnan(best))) {
                                best = v;
                                best_i = i;
                            }
                        }
                    const std::size_t o = (std::size_t(oy) * out.w + ox) * C + c;
                    yn[o] = best;
                    an[o] = best_i;
                }
            }
        }
    }
}

template <class T>
void max_pool2d_backward(Shape in, int batch, const Pool2dParams& p, const T* dy,
                         const std::int32_t* argmax, T* dx) {
    constexpr const char* op = "max_pool2d_backward";
    detail::check_pool2d(op, in, batch, p);
    detail::check_ptr(op, dy, "dy");
    detail::check_ptr(op, argmax, "argmax");
    detail::check_ptr(op, dx, "dx");
    const Shape out = pool2d_out_shape(in, p);
    const int C = in.c;
    const std::int32_t plane = std::int32_t(in.pixels());
    for (std::size_t i = 0; i < std::size_t(batch) * in.size(); ++i) dx[i] = T(0);
    for (int n = 0; n < batch; ++n) {
        const T* dyn = dy + std::size_t(n) * out.size();
        const std::int32_t* an = argmax + std::size_t(n) * out.size();
        T* dxn = dx + std::size_t(n) * in.size();
        for (std::size_t o = 0; o < out.pixels(); ++o)
            for (int c = 0; c < C; ++c) {
                const std::int32_t a = an[o * C + c];
                if (a < 0 || a >= plane)
                    detail::fail(op, "argmax ", a, " at output element ", o * C + c, " of sample ", n,
                                 " is outside the input plane of ", plane, " positions");
                dxn[std::size_t(a) * C + c] += dyn[o * C + c];
            }
    }
}

}  // namespace salt::ops
