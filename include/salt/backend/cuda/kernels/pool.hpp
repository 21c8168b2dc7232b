// salt/backend/cuda/kernels/pool.hpp — max pooling (forward with argmax, backward) and global
// average pooling (forward, backward).
//
// Max pool backward is a gather, not the reference's scatter: the thread of input element
// (n, iy, ix, c) visits the outputs whose window contains it, in the reference's scan order
// (oy, then ox, ascending), and adds dy where the output's argmax is its own position. Each input is
// written by one thread, no atomics, and the float additions happen in the same order as the
// reference's, so the results are the reference's bit for bit. (The reference throws on an argmax
// outside the plane; here such an entry matches no input and its gradient is dropped.)
// Global average pooling sums through kernels/reduce.hpp (one segment per sample, in double).
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/backend/cuda/kernels/elementwise.hpp"
#include "salt/backend/cuda/kernels/reduce.hpp"
#include "salt/core/hd.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/global_avg_pool.hpp"
#include "salt/ops/max_pool.hpp"

namespace salt::backend::cuda {
namespace kernels {

SALT_HD inline bool is_nan(float v) { return v != v; }

// ops/max_pool.hpp max_pool2d_forward, the work of one output element (n, oy, ox, c): start from
// the window's first real position; a later value wins when it is greater, or NaN over a number.
struct MaxPoolForward {
    const float* x;
    float* y;
    std::int32_t* argmax;
    int in_h, in_w, out_h, out_w, C, kernel, stride, padding;
    SALT_HD void operator()(std::size_t i) const {
        const int c = int(i % std::size_t(C));
        const std::size_t pix = i / std::size_t(C);
        const int ox = int(pix % std::size_t(out_w));
        const int oy = int(pix / std::size_t(out_w) % std::size_t(out_h));
        const std::size_t n = pix / (std::size_t(out_w) * std::size_t(out_h));
        const float* xn = x + n * std::size_t(in_h) * std::size_t(in_w) * std::size_t(C);
        const int y0 = oy * stride - padding, x0 = ox * stride - padding;
        const int ys = y0 < 0 ? 0 : y0, ye = y0 + kernel < in_h ? y0 + kernel : in_h;
        const int xs = x0 < 0 ? 0 : x0, xe = x0 + kernel < in_w ? x0 + kernel : in_w;
        std::int32_t best_i = ys * in_w + xs;
        float best = xn[std::size_t(best_i) * C + c];
        for (int iy = ys; iy < ye; ++iy)
            for (int ix = xs; ix < xe; ++ix) {
                const std::int32_t j = iy * in_w + ix;
                const float v = xn[std::size_t(j) * C + c];
                if (v > best || (is_nan(v) && !is_nan(best))) {
                    best = v;
                    best_i = j;
                }
            }
        y[i] = best;
        argmax[i] = best_i;
    }
};

// The outputs along one axis whose window [o*stride - padding, + kernel) contains input position i:
// o in [lo, hi].
struct WindowRange {
    int lo, hi;
};
SALT_HD inline WindowRange pool_outputs_covering(int i, int kernel, int stride, int padding, int out) {
    // o*stride - padding <= i  <=>  o <= (i + padding) / stride
    // o*stride - padding + kernel - 1 >= i  <=>  o >= ceil((i + padding - kernel + 1) / stride)
    const int a = i + padding - kernel + 1;
    int lo = a <= 0 ? 0 : (a + stride - 1) / stride;
    int hi = (i + padding) / stride;
    if (hi > out - 1) hi = out - 1;
    return WindowRange{lo, hi};
}

// ops/max_pool.hpp max_pool2d_backward as a gather: dx[n, iy, ix, c] = sum over outputs o covering
// it (o ascending) with argmax[o] == iy * W + ix of dy[o].
struct MaxPoolBackward {
    const float* dy;
    const std::int32_t* argmax;
    float* dx;
    int in_h, in_w, out_h, out_w, C, kernel, stride, padding;
    SALT_HD void operator()(std::size_t i) const {
        const int c = int(i % std::size_t(C));
        const std::size_t pix = i / std::size_t(C);
        const int ix = int(pix % std::size_t(in_w));
        const int iy = int(pix / std::size_t(in_w) % std::size_t(in_h));
        const std::size_t n = pix / (std::size_t(in_w) * std::size_t(in_h));
        const std::int32_t me = iy * in_w + ix;
        const WindowRange ry = pool_outputs_covering(iy, kernel, stride, padding, out_h);
        const WindowRange rx = pool_outputs_covering(ix, kernel, stride, padding, out_w);
        const std::size_t base = n * std::size_t(out_h) * std::size_t(out_w);
        float acc = 0.f;
        for (int oy = ry.lo; oy <= ry.hi; ++oy)
            for (int ox = rx.lo; ox <= rx.hi; ++ox) {
                const std::size_t o = (base + std::size_t(oy) * out_w + ox) * C + c;
                if (argmax[o] == me) acc += dy[o];
            }
        dx[i] = acc;
    }
};

// ops/global_avg_pool.hpp: y[n, c] = T(sum / P) (the sum from reduce.hpp, segment n)
struct GapSumX {
    const float* x;
    std::size_t P;
    int C;
    SALT_HD void operator()(int n, std::size_t p, int c, double* v) const {
        v[0] = double(x[(std::size_t(n) * P + p) * C + c]);
    }
};
struct GapMean {
    float* y;
    double P;
    int C;
    SALT_HD void operator()(int n, int c, const double* s) const { y[std::size_t(n) * C + c] = float(s[0] / P); }
};
// global_avg_pool_backward: dx[n, p, c] = T(dy[n, c] / P)
struct GapBackward {
    const float* dy;
    float* dx;
    std::size_t P;
    int C;
    SALT_HD void operator()(std::size_t i) const {
        const std::size_t n = i / (P * std::size_t(C));
        const int c = int(i % std::size_t(C));
        dx[i] = float(double(dy[n * C + c]) / double(P));
    }
};

}  // namespace kernels

template <class Ex>
void max_pool2d_forward(Ex& ex, Shape in, int batch, const Pool2dParams& p, const float* x, float* y,
                        std::int32_t* argmax) {
    constexpr const char* op = "max_pool2d_forward";
    ops::detail::check_pool2d(op, in, batch, p);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, y, "y");
    ops::detail::check_ptr(op, argmax, "argmax");
    const Shape out = pool2d_out_shape(in, p);
    launch_each(ex, op, std::size_t(batch) * out.size(),
                kernels::MaxPoolForward{x, y, argmax, in.h, in.w, out.h, out.w, in.c, p.kernel, p.stride, p.padding});
}

template <class Ex>
void max_pool2d_backward(Ex& ex, Shape in, int batch, const Pool2dParams& p, const float* dy,
                         const std::int32_t* argmax, float* dx) {
    constexpr const char* op = "max_pool2d_backward";
    ops::detail::check_pool2d(op, in, batch, p);
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, argmax, "argmax");
    ops::detail::check_ptr(op, dx, "dx");
    const Shape out = pool2d_out_shape(in, p);
    launch_each(ex, op, std::size_t(batch) * in.size(),
                kernels::MaxPoolBackward{dy, argmax, dx, in.h, in.w, out.h, out.w, in.c, p.kernel, p.stride, p.padding});
}

template <class Ex>
void global_avg_pool_forward(Ex& ex, Shape in, int batch, const float* x, float* y) {
    constexpr const char* op = "global_avg_pool_forward";
    ops::detail::check_shape_batch(op, in, batch);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, y, "y");
    channel_sums<1>(ex, op, batch, in.pixels(), in.c, kernels::GapSumX{x, in.pixels(), in.c},
                    kernels::GapMean{y, double(in.pixels()), in.c});
}

template <class Ex>
void global_avg_pool_backward(Ex& ex, Shape in, int batch, const float* dy, float* dx) {
    constexpr const char* op = "global_avg_pool_backward";
    ops::detail::check_shape_batch(op, in, batch);
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, dx, "dx");
    launch_each(ex, op, std::size_t(batch) * in.size(), kernels::GapBackward{dy, dx, in.pixels(), in.c});
}

}  // namespace salt::backend::cuda
