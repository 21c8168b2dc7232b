// salt/ops/conv2d.hpp — 2-D convolution (square kernel, stride, zero padding, dilation), reference
// backend: forward, gradient w.r.t. the input, gradient w.r.t. weights and bias, and the weight
// layout conversion from PyTorch's OIHW.
//
// Layouts: activations NHWC, element (n, y, x, c) at ((n*H + y)*W + x)*C + c. Weights HWIO:
// w[((ky*k + kx)*cin + ci)*cout + co]. Output extent as torch: conv2d_out_shape (salt/core/shape.hpp).
//   y[n, oy, ox, co] = bias[co] + sum_{ky, kx, ci} x[n, oy*s - p + ky*d, ox*s - p + kx*d, ci] * w[ky, kx, ci, co]
// where taps that fall into the padding contribute nothing.
// Gradient convention: dx is OVERWRITTEN; dw and dbias are ACCUMULATED (+=).
// bias / dbias may be null (a literal nullptr works: those parameters do not take part in deducing T);
// params.bias == true with a null bias in the forward pass throws.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "salt/core/backend.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

namespace detail {
inline void check_conv2d(const char* op, Shape in, int batch, const Conv2dParams& p) {
    check_shape_batch(op, in, batch);
    if (p.kernel <= 0) fail(op, "kernel must be positive, got ", p.kernel);
    if (p.stride <= 0) fail(op, "stride must be positive, got ", p.stride);
    if (p.dilation <= 0) fail(op, "dilation must be positive, got ", p.dilation);
    if (p.padding < 0) fail(op, "padding must be non-negative, got ", p.padding);
    if (p.out_channels <= 0) fail(op, "out_channels must be positive, got ", p.out_channels);
    if (in.c != p.in_channels)
        fail(op, "input has ", in.c, " channels but the convolution expects in_channels=", p.in_channels);
    const Shape out = conv2d_out_shape(in, p);
    if (!out.valid())
        fail(op, "the dilated kernel (kernel=", p.kernel, ", dilation=", p.dilation, ", extent ",
             dilated_extent(p.kernel, p.dilation), ") does not fit the padded input ", str(in), " with padding ",
             p.padding, " (output would be ", out.h, "x", out.w, ")");
}
}  // namespace detail

template <class T>
void conv2d_forward(Shape in, int batch, const Conv2dParams& p, const T* x, const T* w,
                    const std::type_identity_t<T>* bias, T* y) {
    constexpr const char* op = "conv2d_forward";
    detail::check_conv2d(op, in, batch, p);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, w, "w");
    detail::check_ptr(op, y, "y");
    if (p.bias && bias == nullptr) detail::fail(op, "params.bias is true but the bias pointer is null");
    using A = detail::acc_t<T>;
    const Shape out = conv2d_out_shape(in, p);
    const int k = p.kernel, cin = in.c, cout = p.out_channels;
    std::vector<A> acc(static_cast<std::size_t>(cout));
    for (int n = 0; n < batch; ++n) {
        const T* xn = x + std::size_t(n) * in.size();
        T* yn = y + std::size_t(n) * out.size();
        for (int oy = 0; oy < out.h; ++oy) {
            for (int ox = 0; ox < out.w; ++ox) {
                for (int co = 0; co < cout; ++co) acc[co] = bias ? A(bias[co]) : A(0);
                for (int ky = 0; ky < k; ++ky) {
                    const int iy = oy * p.stride - p.padding + ky * p.dilation;
                    if (iy < 0 || iy >= in.h) continue;
                    for (int kx = 0; kx < k; ++kx) {
                        const int ix = ox * p.stride - p.padding + kx * p.dilation;
                        if (ix < 0 || ix >= in.w) continue;
                        const T* xp = xn + (std::size_t(iy) * in.w + ix) * cin;
                        const T* wp = w + std::size_t(ky * k + kx) * cin * cout;
                        for (int ci = 0; ci < cin; ++ci) {
                            const A xv = A(xp[ci]);
                            const T* wr = wp + std::size_t(ci) * cout;
                            for (int co = 0; co < cout; ++co) acc[co] += xv * A(wr[co]);
                        }
                    }
                }
                T* yp = yn + (std::size_t(oy) * out.w + ox) * cout;
                for (int co = 0; co < cout; ++co) yp[co] = T(acc[co]);
            }
        }
    }
}

// dx[n, iy, ix, ci] = sum over the (oy, ox, ky, kx) with oy*s - p + ky*d == iy (same for x) of
// dy[n, oy, ox, co] * w[ky, kx, ci, co]. Computed as a gather per input pixel so dx is written once.
template <class T>
void conv2d_backward_data(Shape in, int batch, const Conv2dParams& p, const T* dy, const T* w,
                          T* dx) {
    constexpr const char* op = "conv2d_backward_data";
    detail::check_conv2d(op, in, batch, p);
    detail::check_ptr(op, dy, "dy");
    detail::check_ptr(op, w, "w");
    detail::check_ptr(op, dx, "dx");
    using A = detail::acc_t<T>;
    const Shape out = conv2d_out_shape(in, p);
    const int k = p.kernel, cin = in.c, cout = p.out_channels;
    std::vector<A> acc(static_cast<std::size_t>(cin));
    for (int n = 0; n < batch; ++n) {
        const T* dyn = dy + std::size_t(n) * out.size();
        T* dxn = dx + std::size_t(n) * in.size();
        for (int iy = 0; iy < in.h; ++iy) {
            for (int ix = 0; ix < in.w; ++ix) {
                std::fill(acc.begin(), acc.end(), A(0));
                for (int ky = 0; ky < k; ++ky) {
                    const int ty = iy + p.padding - ky * p.dilation;
                    if (ty < 0 || ty % p.stride != 0) continue;
                    const int oy = ty / p.stride;
                    if (oy >= out.h) continue;
                    for (int kx = 0; kx < k; ++kx) {
                        const int tx = ix + p.padding - kx * p.dilation;
                        if (tx < 0 || tx % p.stride != 0) continue;
                        const int ox = tx / p.stride;
                        if (ox >= out.w) continue;
                        const T* g = dyn + (std::size_t(oy) * out.w + ox) * cout;
                        const T* wp = w + std::size_t(ky * k + kx) * cin * cout;
                        for (int ci = 0; ci < cin; ++ci) {
                            const T* wr = wp + std::size_t(ci) * cout;
                            A s = 0;
                            for (int co = 0; co < cout; ++co) s += A(g[co]) * A(wr[co]);
                            acc[ci] += s;
                        }
                    }
                }
                T* dxp = dxn + (std::size_t(iy) * in.w + ix) * cin;
                for (int ci = 0; ci < cin; ++ci) dxp[ci] = T(acc[ci]);
            }
        }
    }
}

// dw[ky, kx, ci, co] += sum_{n, oy, ox} x[n, oy*s - p + ky*d, ox*s - p + kx*d, ci] * dy[n, oy, ox, co]
// dbias[co] += sum_{n, oy, ox} dy[n, oy, ox, co]   (when dbias is not null)
template <class T>
void conv2d_backward_params(Shape in, int batch, const Conv2dParams& p, const T* x, const T* dy,
                            T* dw, std::type_identity_t<T>* dbias) {
    constexpr const char* op = "conv2d_backward_params";
    detail::check_conv2d(op, in, batch, p);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, dy, "dy");
    detail::check_ptr(op, dw, "dw");
    using A = detail::acc_t<T>;
    const Shape out = conv2d_out_shape(in, p);
    const int k = p.kernel, cin = in.c, cout = p.out_channels;
    std::vector<A> gw(p.weight_count(), A(0));
    std::vector<A> gb(static_cast<std::size_t>(cout), A(0));
    for (int n = 0; n < batch; ++n) {
        const T* xn = x + std::size_t(n) * in.size();
        const T* dyn = dy + std::size_t(n) * out.size();
        for (int oy = 0; oy < out.h; ++oy) {
            for (int ox = 0; ox < out.w; ++ox) {
                const T* g = dyn + (std::size_t(oy) * out.w + ox) * cout;
                for (int co = 0; co < cout; ++co) gb[co] += A(g[co]);
                for (int ky = 0; ky < k; ++ky) {
                    const int iy = oy * p.stride - p.padding + ky * p.dilation;
                    if (iy < 0 || iy >= in.h) continue;
                    for (int kx = 0; kx < k; ++kx) {
                        const int ix = ox * p.stride - p.padding + kx * p.dilation;
                        if (ix < 0 || ix >= in.w) continue;
                        const T* xp = xn + (std::size_t(iy) * in.w + ix) * cin;
                        A* gp = gw.data() + std::size_t(ky * k + kx) * cin * cout;
                        for (int ci = 0; ci < cin; ++ci) {
                            const A xv = A(xp[ci]);
                            A* gr = gp + std::size_t(ci) * cout;
                            for (int co = 0; co < cout; ++co) gr[co] += xv * A(g[co]);
                        }
                    }
                }
            }
        }
    }
    for (std::size_t i = 0; i < gw.size(); ++i) dw[i] = T(A(dw[i]) + gw[i]);
    if (dbias)
        for (int co = 0; co < cout; ++co) dbias[co] = T(A(dbias[co]) + gb[co]);
}

namespace detail {
inline void check_weight_layout(const char* op, const Conv2dParams& p) {
    if (p.kernel <= 0 || p.in_channels <= 0 || p.out_channels <= 0)
        fail(op, "kernel, in_channels and out_channels must be positive, got kernel=", p.kernel,
             " in_channels=", p.in_channels, " out_channels=", p.out_channels);
}
}  // namespace detail

// PyTorch's weight layout OIHW: oihw[((co*cin + ci)*k + ky)*k + kx]  ->  HWIO.
template <class T>
void conv2d_weight_from_oihw(const Conv2dParams& p, const T* oihw, T* hwio) {
    detail::check_weight_layout("conv2d_weight_from_oihw", p);
    const int k = p.kernel, cin = p.in_channels, cout = p.out_channels;
    for (int co = 0; co < cout; ++co)
        for (int ci = 0; ci < cin; ++ci)
            for (int ky = 0; ky < k; ++ky)
                for (int kx = 0; kx < k; ++kx)
                    hwio[(std::size_t(ky * k + kx) * cin + ci) * cout + co] =
                        oihw[((std::size_t(co) * cin + ci) * k + ky) * k + kx];
}

// HWIO -> OIHW (the inverse of conv2d_weight_from_oihw).
template <class T>
void conv2d_weight_to_oihw(const Conv2dParams& p, const T* hwio, T* oihw) {
    detail::check_weight_layout("conv2d_weight_to_oihw", p);
    const int k = p.kernel, cin = p.in_channels, cout = p.out_channels;
    for (int co = 0; co < cout; ++co)
        for (int ci = 0; ci < cin; ++ci)
            for (int ky = 0; ky < k; ++ky)
                for (int kx = 0; kx < k; ++kx)
                    oihw[((std::size_t(co) * cin + ci) * k + ky) * k + kx] =
                        hwio[(std::size_t(ky * k + kx) * cin + ci) * cout + co];
}

// Offset of weight (co, ci, ky, kx) in a backend's kernel layout: HWIO (the CPU backends: a GEMM
// over NHWC wants it) or OHWI (cuDNN's NHWC filter format, KRSC).
inline std::size_t conv2d_weight_offset(WeightLayout l, const Conv2dParams& p, int co, int ci, int ky, int kx) {
    const std::size_t k = std::size_t(p.kernel), cin = std::size_t(p.in_channels), cout = std::size_t(p.out_channels);
    if (l == WeightLayout::hwio) return ((std::size_t(ky) * k + std::size_t(kx)) * cin + std::size_t(ci)) * cout + std::size_t(co);
    return ((std::size_t(co) * k + std::size_t(ky)) * k + std::size_t(kx)) * cin + std::size_t(ci);
}

// OIHW (files) -> a kernel layout, and back.
template <class T>
void conv2d_weight_from_oihw(WeightLayout l, const Conv2dParams& p, const T* oihw, T* out) {
    detail::check_weight_layout("conv2d_weight_from_oihw", p);
    const int k = p.kernel;
    std::size_t i = 0;
    for (int co = 0; co < p.out_channels; ++co)
        for (int ci = 0; ci < p.in_channels; ++ci)
            for (int ky = 0; ky < k; ++ky)
                for (int kx = 0; kx < k; ++kx) out[conv2d_weight_offset(l, p, co, ci, ky, kx)] = oihw[i++];
}
template <class T>
void conv2d_weight_to_oihw(WeightLayout l, const Conv2dParams& p, const T* in, T* oihw) {
    detail::check_weight_layout("conv2d_weight_to_oihw", p);
    const int k = p.kernel;
    std::size_t i = 0;
    for (int co = 0; co < p.out_channels; ++co)
        for (int ci = 0; ci < p.in_channels; ++ci)
            for (int ky = 0; ky < k; ++ky)
                for (int kx = 0; kx < k; ++kx) oihw[i++] = in[conv2d_weight_offset(l, p, co, ci, ky, kx)];
}
// HWIO (how initialisation draws) -> a kernel layout.
template <class T>
void conv2d_weight_from_hwio(WeightLayout l, const Conv2dParams& p, const T* hwio, T* out) {
    const int k = p.kernel;
    for (int co = 0; co < p.out_channels; ++co)
        for (int ci = 0; ci < p.in_channels; ++ci)
            for (int ky = 0; ky < k; ++ky)
                for (int kx = 0; kx < k; ++kx)
                    out[conv2d_weight_offset(l, p, co, ci, ky, kx)] =
                        hwio[conv2d_weight_offset(WeightLayout::hwio, p, co, ci, ky, kx)];
}

}  // namespace salt::ops
