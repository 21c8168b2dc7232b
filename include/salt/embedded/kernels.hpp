// salt/embedded/kernels.hpp — the few kernels the embedded inference path runs, on NHWC maps of one
// image, with no allocation: a convolution with folded BatchNorm (+ residual, ReLU), 3x3/2 max
// pooling, global average pooling, a one-pixel broadcast and a bilinear resize with PyTorch's
// align_corners=false rule. All on the calling thread, except the convolution's tasks when the
// caller hands it a Parallel (salt/embedded/parallel.hpp).
//
// The convolution keeps four output pixels' accumulators at once, so each weight row is read once
// per four pixels; its innermost loop runs over output channels, contiguous in the [ky][kx][in][out]
// weights and in the output, which compilers vectorise.
#pragma once

#include <cstddef>

#include "salt/embedded/parallel.hpp"
#include "salt/embedded/plan.hpp"

namespace salt::embedded::kernels {

namespace detail {

// Output rows [y_begin, y_end) of conv().
inline void conv_rows(const ConvStep& s, const float* in, const float* weights, float* out, const float* residual, int y_begin,
                      int y_end) {
    const Shape i = s.in, o = s.out();
    const Conv2dParams p = s.p;
    const int K = p.kernel, Ci = p.in_channels, Co = p.out_channels, ld = s.out_stride;
    const float* bias = weights + p.weight_count();
    constexpr int kTile = 4;
    for (int oy = y_begin; oy < y_end; ++oy)
        for (int ox0 = 0; ox0 < o.w; ox0 += kTile) {
            const int n = o.w - ox0 < kTile ? o.w - ox0 : kTile;
            float* acc[kTile] = {};
            for (int t = 0; t < n; ++t) {
                acc[t] = out + (std::size_t(oy) * std::size_t(o.w) + std::size_t(ox0 + t)) * std::size_t(ld) + std::size_t(s.offset);
                for (int c = 0; c < Co; ++c) acc[t][c] = bias[c];
            }
            for (int ky = 0; ky < K; ++ky) {
                const int iy = oy * p.stride - p.padding + ky * p.dilation;
                if (iy < 0 || iy >= i.h) continue;
                for (int kx = 0; kx < K; ++kx) {
                    const float* src[kTile] = {};
                    bool any = false;
                    for (int t = 0; t < n; ++t) {
                        const int ix = (ox0 + t) * p.stride - p.padding + kx * p.dilation;
                        if (ix >= 0 && ix < i.w) {
                            src[t] = in + (std::size_t(iy) * std::size_t(i.w) + std::size_t(ix)) * std::size_t(Ci);
                            any = true;
                        }
                    }
                    if (!any) continue;
                    const float* wk = weights + (std::size_t(ky) * std::size_t(K) + std::size_t(kx)) * std::size_t(Ci) * std::size_t(Co);
                    for (int ci = 0; ci < Ci; ++ci) {
                        const float* __restrict w = wk + std::size_t(ci) * std::size_t(Co);
                        if (n == kTile && src[0] && src[1] && src[2] && src[3]) {
                            const float a0 = src[0][ci], a1 = src[1][ci], a2 = src[2][ci], a3 = src[3][ci];
                            float* __restrict o0 = acc[0];
                            float* __restrict o1 = acc[1];
                            float* __restrict o2 = acc[2];
                            float* __restrict o3 = acc[3];
                            for (int c = 0; c < Co; ++c) {
                                const float wc = w[c];
                                o0[c] += a0 * wc;
                                o1[c] += a1 * wc;
                                o2[c] += a2 * wc;
                                o3[c] += a3 * wc;
                            }
                        } else {
                            for (int t = 0; t < n; ++t) {
                                if (!src[t]) continue;
                                const float a = src[t][ci];
                                float* __restrict ot = acc[t];
                                for (int c = 0; c < Co; ++c) ot[c] += a * w[c];
                            }
                        }
                    }
                }
            }
            for (int t = 0; t < n; ++t) {
                float* a = acc[t];
                if (residual) {
                    const float* r = residual + (std::size_t(oy) * std::size_t(o.w) + std::size_t(ox0 + t)) * std::size_t(Co);
                    for (int c = 0; c < Co; ++c) a[c] += r[c];
                }
                if (s.relu)
                    for (int c = 0; c < Co; ++c) a[c] = a[c] > 0.f ? a[c] : 0.f;
            }
        }
}

}  // namespace detail

// The convolution of step `s`, its output rows cut into one contiguous group per worker of `par`
// (every output value is formed by one task alone, so the result does not depend on `par`).
inline void conv(const ConvStep& s, const float* in, const float* weights, float* out, const float* residual,
                 const Parallel& par = {}) {
    const int rows = s.out().h, groups = par.workers < rows ? par.workers : rows;
    parallel_for(par, groups, [&](int g) {
        detail::conv_rows(s, in, weights, out, residual, int(long(rows) * g / groups), int(long(rows) * (g + 1) / groups));
    });
}

// 3x3 window, stride 2, padding 1; padded positions never win (PyTorch pads with -inf).
inline void max_pool(const MaxPoolStep& s, const float* in, float* out) {
    const Shape i = s.in;
    const int oh = pool_out_extent(i.h, 3, 2, 1), ow = pool_out_extent(i.w, 3, 2, 1), C = i.c;
    for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
            float* o = out + (std::size_t(oy) * std::size_t(ow) + std::size_t(ox)) * std::size_t(C);
            bool first = true;
            for (int ky = 0; ky < 3; ++ky) {
                const int iy = oy * 2 - 1 + ky;
                if (iy < 0 || iy >= i.h) continue;
                for (int kx = 0; kx < 3; ++kx) {
                    const int ix = ox * 2 - 1 + kx;
                    if (ix < 0 || ix >= i.w) continue;
                    const float* x = in + (std::size_t(iy) * std::size_t(i.w) + std::size_t(ix)) * std::size_t(C);
                    if (first) {
                        for (int c = 0; c < C; ++c) o[c] = x[c];
                        first = false;
                    } else {
                        for (int c = 0; c < C; ++c) o[c] = x[c] > o[c] ? x[c] : o[c];
                    }
                }
            }
        }
}

inline void avg_pool(const AvgPoolStep& s, const float* in, float* out) {
    const int C = s.in.c;
    const std::size_t n = s.in.pixels();
    for (int c = 0; c < C; ++c) out[c] = 0.f;
    for (std::size_t px = 0; px < n; ++px)
        for (int c = 0; c < C; ++c) out[c] += in[px * std::size_t(C) + std::size_t(c)];
    const float inv = 1.0f / float(n);
    for (int c = 0; c < C; ++c) out[c] *= inv;
}

inline void broadcast(const BroadcastStep& s, const float* in, float* out) {
    const std::size_t n = std::size_t(s.h) * std::size_t(s.w);
    for (std::size_t px = 0; px < n; ++px) {
        float* o = out + px * std::size_t(s.out_stride) + std::size_t(s.offset);
        for (int c = 0; c < s.in.c; ++c) o[c] = in[c];
    }
}

// Source coordinate of output index `dst` (PyTorch's area_pixel_compute_source_index, align_corners
// false): (dst + 0.5) * in / out - 0.5, clamped at 0; the two taps and the weight of the second.
struct Tap {
    int i0, i1;
    float w1;
};
inline Tap source_tap(int dst, int in, int out) {
    const float scale = float(in) / float(out);
    float src = scale * (float(dst) + 0.5f) - 0.5f;
    if (src < 0.f) src = 0.f;
    const int i0 = int(src);
    const int i1 = i0 + (i0 < in - 1 ? 1 : 0);
    return Tap{i0, i1, src - float(i0)};
}

inline void upsample(const UpsampleStep& s, const float* in, float* out) {
    const Shape i = s.in;
    const int C = i.c;
    for (int oy = 0; oy < s.h; ++oy) {
        const Tap ty = source_tap(oy, i.h, s.h);
        for (int ox = 0; ox < s.w; ++ox) {
            const Tap tx = source_tap(ox, i.w, s.w);
            const float* p00 = in + (std::size_t(ty.i0) * std::size_t(i.w) + std::size_t(tx.i0)) * std::size_t(C);
            const float* p01 = in + (std::size_t(ty.i0) * std::size_t(i.w) + std::size_t(tx.i1)) * std::size_t(C);
            const float* p10 = in + (std::size_t(ty.i1) * std::size_t(i.w) + std::size_t(tx.i0)) * std::size_t(C);
            const float* p11 = in + (std::size_t(ty.i1) * std::size_t(i.w) + std::size_t(tx.i1)) * std::size_t(C);
            float* o = out + (std::size_t(oy) * std::size_t(s.w) + std::size_t(ox)) * std::size_t(C);
            const float wy1 = ty.w1, wy0 = 1.f - ty.w1, wx1 = tx.w1, wx0 = 1.f - tx.w1;
            for (int c = 0; c < C; ++c)
                o[c] = wy0 * (wx0 * p00[c] + wx1 * p01[c]) + wy1 * (wx0 * p10[c] + wx1 * p11[c]);
        }
    }
}

}  // namespace salt::embedded::kernels
