// salt/ops/resize_bilinear.hpp — bilinear resize of NHWC maps to a given size, reference backend,
// with exactly the semantics of torch 1.13's F.interpolate(x, size=(out_h, out_w), mode="bilinear",
// align_corners=...) on the CPU.
//
// Per axis (in -> out), with the index arithmetic done exactly as torch 1.13's CPU kernel does it
// (verified weight by weight against torch): the scale in T, the source coordinate and lambda in
// the accumulate type A (double for float: at::acc_type<float, /*is_cuda=*/false>), then lambda
// rounded to T:
//   in == out:            copy (i0 = i1 = dst, lambda = 0), as torch's special case.
//   align_corners=false:  scale = T(in) / T(out), src = max(0, A(scale) * (dst + 0.5) - 0.5).
//   align_corners=true:   scale = T(in - 1) / T(out - 1) (0 when out == 1), src = A(scale) * dst.
//   i0 = floor(src), i1 = min(i0 + 1, in - 1), lambda1 = T(clamp(src - i0, 0, 1)), lambda0 = 1 - lambda1 (in T).
// Rounding src to float before taking lambda (or computing the scale in double) gives weights that
// differ from torch's by up to ~1e-7, i.e. results off by ~1e-6 relative on long axes.
// y = h0 * (w0 * x[i0, j0] + w1 * x[i0, j1]) + h1 * (w0 * x[i1, j0] + w1 * x[i1, j1]).
// The backward pass is the exact adjoint (scatter of dy with the same weights); dx is OVERWRITTEN.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

namespace detail {

template <class T>
struct LinearTap {
    int i0 = 0, i1 = 0;
    T l0 = T(1), l1 = T(0);
};

// Source indices and weights along one axis, computed as torch's compute_source_index_and_lambda,
// into taps[0, out) (backends with their own buffers call this; linear_taps allocates).
template <class T>
void fill_linear_taps(int in, int out, bool align_corners, LinearTap<T>* taps) {
    T scale;
    if (align_corners) {
        scale = out > 1 ? T(in - 1) / T(out - 1) : T(0);
    } else {
        scale = T(in) / T(out);
    }
    for (int d = 0; d < out; ++d) {
        LinearTap<T>& t = taps[d];
        if (in == out) {
            t.i0 = t.i1 = d;
            t.l0 = T(1);
            t.l1 = T(0);
            continue;
        }
        using A = acc_t<T>;
        A src;
        if (align_corners) {
            src = A(scale) * A(d);
        } else {
            src = A(scale) * (A(d) + A(0.5)) - A(0.5);
            if (src < A(0)) src = A(0);
        }
        int i0 = int(src);  // src >= 0: truncation is floor
        if (i0 > in - 1) i0 = in - 1;
        t.i0 = i0;
        t.i1 = i0 < in - 1 ? i0 + 1 : i0;
        t.l1 = T(std::min(std::max(src - A(i0), A(0)), A(1)));
        t.l0 = T(1) - t.l1;
    }
}

template <class T>
std::vector<LinearTap<T>> linear_taps(int in, int out, bool align_corners) {
    std::vector<LinearTap<T>> taps(static_cast<std::size_t>(out));
    fill_linear_taps(in, out, align_corners, taps.data());
    return taps;
}

inline void check_resize(const char* op, Shape in, int batch, int out_h, int out_w) {
    check_shape_batch(op, in, batch);
    if (out_h <= 0 || out_w <= 0) fail(op, "output size must be positive, got ", out_h, "x", out_w);
}

}  // namespace detail

template <class T>
void resize_bilinear_forward(Shape in, int batch, int out_h, int out_w, bool align_corners,
                             const T* x, T* y) {
    constexpr const char* op = "resize_bilinear_forward";
    detail::check_resize(op, in, batch, out_h, out_w);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, y, "y");
    const auto th = detail::linear_taps<T>(in.h, out_h, align_corners);
    const auto tw = detail::linear_taps<T>(in.w, out_w, align_corners);
    const int C = in.c;
    const Shape out = resize_out_shape(in, out_h, out_w);
    for (int n = 0; n < batch; ++n) {
        const T* xn = x + std::size_t(n) * in.size();
        T* yn = y + std::size_t(n) * out.size();
        for (int oy = 0; oy < out_h; ++oy) {
            const auto& a = th[std::size_t(oy)];
            const T* r0 = xn + std::size_t(a.i0) * in.w * C;
            const T* r1 = xn + std::size_t(a.i1) * in.w * C;
            for (int ox = 0; ox < out_w; ++ox) {
                const auto& b = tw[std::size_t(ox)];
                T* yp = yn + (std::size_t(oy) * out_w + ox) * C;
                for (int c = 0; c < C; ++c) {
                    const T t0 = r0[std::size_t(b.i0) * C + c] * b.l0 + r0[std::size_t(b.i1) * C + c] * b.l1;
                    const T t1 = r1[std::size_t(b.i0) * C + c] * b.l0 + r1[std::size_t(b.i1) * C + c] * b.l1;
                    yp[c] = t0 * a.l0 + t1 * a.l1;
                }
            }
        }
    }
}

template <class T>
void resize_bilinear_backward(Shape in, int batch, int out_h, int out_w, bool align_corners,
                              const T* dy, T* dx) {
    constexpr const char* op = "resize_bilinear_backward";
    detail::check_resize(op, in, batch, out_h, out_w);
    detail::check_ptr(op, dy, "dy");
    detail::check_ptr(op, dx, "dx");
    using A = detail::acc_t<T>;
    const auto th = detail::linear_taps<T>(in.h, out_h, align_corners);
    const auto tw = detail::linear_taps<T>(in.w, out_w, align_corners);
    const int C = in.c;
    const Shape out = resize_out_shape(in, out_h, out_w);
    std::vector<A> acc(in.size());
    for (int n = 0; n < batch; ++n) {
        std::fill(acc.begin(), acc.end(), A(0));
        const T* dyn = dy + std::size_t(n) * out.size();
        for (int oy = 0; oy < out_h; ++oy) {
            const auto& a = th[std::size_t(oy)];
            for (int ox = 0; ox < out_w; ++ox) {
                const auto& b = tw[std::size_t(ox)];
                const T* g = dyn + (std::size_t(oy) * out_w + ox) * C;
                const std::size_t p00 = (std::size_t(a.i0) * in.w + b.i0) * C;
                const std::size_t p01 = (std::size_t(a.i0) * in.w + b.i1) * C;
                const std::size_t p10 = (std::size_t(a.i1) * in.w + b.i0) * C;
                const std::size_t p11 = (std::size_t(a.i1) * in.w + b.i1) * C;
                const A w00 = A(a.l0) * A(b.l0), w01 = A(a.l0) * A(b.l1);
                const A w10 = A(a.l1) * A(b.l0), w11 = A(a.l1) * A(b.l1);
                for (int c = 0; c < C; ++c) {
                    const A gv = A(g[c]);
                    acc[p00 + c] += w00 * gv;
                    acc[p01 + c] += w01 * gv;
                    acc[p10 + c] += w10 * gv;
                    acc[p11 + c] += w11 * gv;
                }
            }
        }
        T* dxn = dx + std::size_t(n) * in.size();
        for (std::size_t i = 0; i < in.size(); ++i) dxn[i] = T(acc[i]);
    }
}

}  // namespace salt::ops
