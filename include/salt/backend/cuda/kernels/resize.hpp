// salt/backend/cuda/kernels/resize.hpp — bilinear resize (torch's F.interpolate, align_corners
// either way), forward and backward.
//
// linear_tap() is the reference's fill_linear_taps (ops/resize_bilinear.hpp) for one output index:
// the scale in T (float), the source coordinate and lambda in double, lambda rounded to float, so
// the weights are the reference's bit for bit (tests/cuda_host compares them). Each thread
// computes the taps it needs itself; there are no tables.
//
// Forward: one thread per output element, the reference's float expression.
// Backward without atomics, as a gather: the thread of input element (n, iy, ix, c) finds the range
// of output rows whose taps include row iy (i0 is non-decreasing in the output index, so they are
// the contiguous run with i0 in {iy - 1, iy}: two binary searches), likewise for columns, and sums
// w_row * w_col * dy over that rectangle in double, in a fixed order. Every input element is
// written by exactly one thread, so the result does not depend on scheduling: the same bits on
// every run (the reference scatters in double; the two sums differ only in the order of double
// additions).
#pragma once

#include <cstddef>

#include "salt/backend/cuda/kernels/elementwise.hpp"
#include "salt/core/hd.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/resize_bilinear.hpp"

namespace salt::backend::cuda {
namespace kernels {

struct Tap {
    int i0, i1;
    float l0, l1;
};

// ops/resize_bilinear.hpp detail::fill_linear_taps, entry d.
SALT_HD inline Tap linear_tap(int in, int out, bool align_corners, int d) {
    if (in == out) return Tap{d, d, 1.f, 0.f};
    float scale;
    if (align_corners) {
        scale = out > 1 ? float(in - 1) / float(out - 1) : 0.f;
    } else {
        scale = float(in) / float(out);
    }
    double src;
    if (align_corners) {
        src = double(scale) * double(d);
    } else {
        src = double(scale) * (double(d) + 0.5) - 0.5;
        if (src < 0.0) src = 0.0;
    }
    int i0 = int(src);
    if (i0 > in - 1) i0 = in - 1;
    double l = src - double(i0);
    l = l < 0.0 ? 0.0 : (l > 1.0 ? 1.0 : l);
    const float l1 = float(l);
    return Tap{i0, i0 < in - 1 ? i0 + 1 : i0, 1.f - l1, l1};
}

// The first output index o in [0, out) with linear_tap(o).i0 > bound (out if none).
SALT_HD inline int first_tap_above(int in, int out, bool align_corners, int bound) {
    int lo = 0, hi = out;
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (linear_tap(in, out, align_corners, mid).i0 > bound) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

// The weight output tap t gives input index i (both taps when they coincide at the edge).
SALT_HD inline double tap_weight(const Tap& t, int i) {
    return (t.i0 == i ? double(t.l0) : 0.0) + (t.i1 == i ? double(t.l1) : 0.0);
}

// ops/resize_bilinear.hpp resize_bilinear_forward, output element (n, oy, ox, c):
//   t0 = x[i0, j0] l0' + x[i0, j1] l1';  t1 = x[i1, j0] l0' + x[i1, j1] l1';  y = t0 l0 + t1 l1
struct ResizeForward {
    const float* x;
    float* y;
    int in_h, in_w, out_h, out_w, C;
    bool align_corners;
    SALT_HD void operator()(std::size_t i) const {
        const int c = int(i % std::size_t(C));
        const std::size_t pix = i / std::size_t(C);
        const int ox = int(pix % std::size_t(out_w));
        const int oy = int(pix / std::size_t(out_w) % std::size_t(out_h));
        const std::size_t n = pix / (std::size_t(out_w) * std::size_t(out_h));
        const Tap a = linear_tap(in_h, out_h, align_corners, oy);
        const Tap b = linear_tap(in_w, out_w, align_corners, ox);
        const float* xn = x + n * std::size_t(in_h) * std::size_t(in_w) * std::size_t(C);
        const float* r0 = xn + std::size_t(a.i0) * in_w * C;
        const float* r1 = xn + std::size_t(a.i1) * in_w * C;
        const float t0 = r0[std::size_t(b.i0) * C + c] * b.l0 + r0[std::size_t(b.i1) * C + c] * b.l1;
        const float t1 = r1[std::size_t(b.i0) * C + c] * b.l0 + r1[std::size_t(b.i1) * C + c] * b.l1;
        y[i] = t0 * a.l0 + t1 * a.l1;
    }
};

// resize_bilinear_backward as a gather, input element (n, iy, ix, c):
//   dx = T(sum_{oy: iy in taps(oy)} sum_{ox: ix in taps(ox)} w(oy, iy) w(ox, ix) dy[n, oy, ox, c])
struct ResizeBackward {
    const float* dy;
    float* dx;
    int in_h, in_w, out_h, out_w, C;
    bool align_corners;
    SALT_HD void operator()(std::size_t i) const {
        const int c = int(i % std::size_t(C));
        const std::size_t pix = i / std::size_t(C);
        const int ix = int(pix % std::size_t(in_w));
        const int iy = int(pix / std::size_t(in_w) % std::size_t(in_h));
        const std::size_t n = pix / (std::size_t(in_w) * std::size_t(in_h));
        const int oy0 = first_tap_above(in_h, out_h, align_corners, iy - 2);
        const int oy1 = first_tap_above(in_h, out_h, align_corners, iy);
        const int ox0 = first_tap_above(in_w, out_w, align_corners, ix - 2);
        const int ox1 = first_tap_above(in_w, out_w, align_corners, ix);
        const float* dyn = dy + n * std::size_t(out_h) * std::size_t(out_w) * std::size_t(C);
        double acc = 0.0;
        for (int oy = oy0; oy < oy1; ++oy) {
            const double wy = tap_weight(linear_tap(in_h, out_h, align_corners, oy), iy);
            for (int ox = ox0; ox < ox1; ++ox) {
                const double wx = tap_weight(linear_tap(in_w, out_w, align_corners, ox), ix);
                acc += wy * wx * double(dyn[(std::size_t(oy) * out_w + ox) * C + c]);
            }
        }
        dx[i] = float(acc);
    }
};

}  // namespace kernels

template <class Ex>
void resize_bilinear_forward(Ex& ex, Shape in, int batch, int out_h, int out_w, bool align_corners, const float* x,
                             float* y) {
    constexpr const char* op = "resize_bilinear_forward";
    ops::detail::check_resize(op, in, batch, out_h, out_w);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, y, "y");
    launch_each(ex, op, std::size_t(batch) * resize_out_shape(in, out_h, out_w).size(),
                kernels::ResizeForward{x, y, in.h, in.w, out_h, out_w, in.c, align_corners});
}

template <class Ex>
void resize_bilinear_backward(Ex& ex, Shape in, int batch, int out_h, int out_w, bool align_corners, const float* dy,
                              float* dx) {
    constexpr const char* op = "resize_bilinear_backward";
    ops::detail::check_resize(op, in, batch, out_h, out_w);
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, dx, "dx");
    launch_each(ex, op, std::size_t(batch) * in.size(),
                kernels::ResizeBackward{dy, dx, in.h, in.w, out_h, out_w, in.c, align_corners});
}

}  // namespace salt::backend::cuda
