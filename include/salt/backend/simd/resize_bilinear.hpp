// salt/backend/simd/resize_bilinear.hpp — bilinear resize for the simd backend (fp32), the same
// semantics and the same interpolation weights as salt/ops/resize_bilinear.hpp (torch 1.13's
// F.interpolate, bilinear, align_corners false or true).
//
// Forward: threads over output rows; channels in vectors of kLanes (NHWC: a pixel's channels are
// contiguous), with the reference's expression y = h0*(w0*x00 + w1*x01) + h1*(w0*x10 + w1*x11).
// Maps with fewer channels than a vector (the model's final 1-channel upsample) take the same
// expression per element.
// Backward (dx OVERWRITTEN): the adjoint scatter, accumulated in double like the reference, threads
// over (image, block of channels), so no two threads ever add into the same element and the sum
// order is fixed: deterministic for any thread count.
// The weight tables live in the device's scratch, which only grows: no allocation once warm.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "salt/backend/simd/detail.hpp"
#include "salt/ops/resize_bilinear.hpp"

namespace salt::backend::simd {

namespace simd_resize {

using Tap = ops::detail::LinearTap<float>;

// The taps along one axis (the reference's ops::detail::fill_linear_taps) in the calling thread's
// device scratch (slot 0 rows, 1 columns), which only grows.
inline const Tap* taps(Device& dev, int slot, int in, int out, bool align_corners) {
    Tap* b = dev.scratch<Tap>(std::size_t(out), slot);
    ops::detail::fill_linear_taps(in, out, align_corners, b);
    return b;
}

}  // namespace simd_resize

inline void resize_bilinear_forward(Device& dev, Shape in, int batch, int out_h, int out_w, bool align_corners,
                                    const float* x, float* y) {
    constexpr const char* op = "resize_bilinear_forward";
    ops::detail::check_resize(op, in, batch, out_h, out_w);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, y, "y");
    const simd_resize::Tap* th = simd_resize::taps(dev, 0, in.h, out_h, align_corners);
    const simd_resize::Tap* tw = simd_resize::taps(dev, 1, in.w, out_w, align_corners);
    const int C = in.c;
    const Shape out = resize_out_shape(in, out_h, out_w);
    parallel_for(dev, batch * out_h, std::size_t(batch) * out.size(), [&](int job) {
        const int n = job / out_h, oy = job % out_h;
        const simd_resize::Tap& a = th[oy];
        const float* xn = x + std::size_t(n) * in.size();
        const float* r0 = xn + std::size_t(a.i0) * in.w * C;
        const float* r1 = xn + std::size_t(a.i1) * in.w * C;
        float* yrow = y + std::size_t(n) * out.size() + std::size_t(oy) * out_w * C;
        if (C < kLanes) {
            for (int ox = 0; ox < out_w; ++ox) {
                const simd_resize::Tap& b = tw[ox];
                float* yp = yrow + std::size_t(ox) * C;
                for (int c = 0; c < C; ++c) {
                    const float t0 = r0[std::size_t(b.i0) * C + c] * b.l0 + r0[std::size_t(b.i1) * C + c] * b.l1;
                    const float t1 = r1[std::size_t(b.i0) * C + c] * b.l0 + r1[std::size_t(b.i1) * C + c] * b.l1;
                    yp[c] = t0 * a.l0 + t1 * a.l1;
                }
            }
            return;
        }
        const vfloat h0(a.l0), h1(a.l1);
        for (int ox = 0; ox < out_w; ++ox) {
            const simd_resize::Tap& b = tw[ox];
            const vfloat w0(b.l0), w1(b.l1);
            const float *p00 = r0 + std::size_t(b.i0) * C, *p01 = r0 + std::size_t(b.i1) * C;
            const float *p10 = r1 + std::size_t(b.i0) * C, *p11 = r1 + std::size_t(b.i1) * C;
            float* yp = yrow + std::size_t(ox) * C;
            for (int c0 = 0; c0 < C; c0 += kLanes) {
                const vfloat t0 = load_c(p00, c0, C) * w0 + load_c(p01, c0, C) * w1;
                const vfloat t1 = load_c(p10, c0, C) * w0 + load_c(p11, c0, C) * w1;
                store_c(yp, t0 * h0 + t1 * h1, c0, C);
            }
        }
    });
}

inline void resize_bilinear_backward(Device& dev, Shape in, int batch, int out_h, int out_w, bool align_corners,
                                     const float* dy, float* dx) {
    constexpr const char* op = "resize_bilinear_backward";
    ops::detail::check_resize(op, in, batch, out_h, out_w);
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, dx, "dx");
    const simd_resize::Tap* th = simd_resize::taps(dev, 0, in.h, out_h, align_corners);
    const simd_resize::Tap* tw = simd_resize::taps(dev, 1, in.w, out_w, align_corners);
    const int C = in.c;
    constexpr int kBlock = 16;  // channels per job: one AVX-512 float vector, two double vectors
    const int blocks = (C + kBlock - 1) / kBlock;
    const Shape out = resize_out_shape(in, out_h, out_w);
    const std::size_t in_pixels = std::size_t(in.h) * in.w;
    parallel_for(dev, batch * blocks, std::size_t(batch) * out.size() * 4, [&](int job) {
        const int n = job / blocks, c0 = (job % blocks) * kBlock, cb = std::min(kBlock, C - c0);
        double* acc = dev.scratch<double>(in_pixels * kBlock, 2);
        std::fill_n(acc, in_pixels * kBlock, 0.0);
        const float* dyn = dy + std::size_t(n) * out.size();
        for (int oy = 0; oy < out_h; ++oy) {
            const simd_resize::Tap& a = th[oy];
            for (int ox = 0; ox < out_w; ++ox) {
                const simd_resize::Tap& b = tw[ox];
                const float* g = dyn + (std::size_t(oy) * out_w + ox) * C + c0;
                double* q00 = acc + (std::size_t(a.i0) * in.w + b.i0) * kBlock;
                double* q01 = acc + (std::size_t(a.i0) * in.w + b.i1) * kBlock;
                double* q10 = acc + (std::size_t(a.i1) * in.w + b.i0) * kBlock;
                double* q11 = acc + (std::size_t(a.i1) * in.w + b.i1) * kBlock;
                const double w00 = double(a.l0) * double(b.l0), w01 = double(a.l0) * double(b.l1);
                const double w10 = double(a.l1) * double(b.l0), w11 = double(a.l1) * double(b.l1);
                for (int c = 0; c < cb; ++c) {  // contiguous: vectorised by the compiler
                    const double gv = double(g[c]);
                    q00[c] += w00 * gv;
                    q01[c] += w01 * gv;
                    q10[c] += w10 * gv;
                    q11[c] += w11 * gv;
                }
            }
        }
        float* dxn = dx + std::size_t(n) * in.size() + c0;
        for (std::size_t p = 0; p < in_pixels; ++p)
            for (int c = 0; c < cb; ++c) dxn[p * C + c] = float(acc[p * kBlock + c]);
    });
}

}  // namespace salt::backend::simd
