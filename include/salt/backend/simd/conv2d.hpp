// salt/backend/simd/conv2d.hpp — 2-D convolution for the simd backend (fp32, NHWC, HWIO weights),
// as implicit GEMMs on the packed SGEMM of gemm.hpp. Same semantics as salt/ops/conv2d.hpp.
//
//   forward         Y[P, Cout]   = im2col(X)[P, T*Cin] * W[T*Cin, Cout] (+ bias, fused in the store)
//   backward_data   dX[Pin, Cin] = gather(dY)[Pin, T*Cout] * W^T       (per-tap transposed gather)
//   backward_params dW[T*Cin, Cout] += im2col(X)^T * dY,  dbias += column sums of dY
// with P = batch*out_h*out_w, Pin = batch*in_h*in_w, T = the live taps. The im2col matrices are
// never built: the GEMM's packers gather them block by block into the per-thread packing buffers.
// A 1x1, stride-1, unpadded convolution is the plain GEMM on the tensor as it lies.
//
// Dead-tap pruning: a tap (ky, kx) whose input row (or column) is padding for every output row (or
// column) contributes only zeros; conv2d_live_taps() finds them (constexpr) and the kernels drop
// them from K. At a 16x16 map the ASPP rate-24 and rate-36 3x3 convs keep only the centre tap, so
// they cost what a 1x1 conv costs. Dropping a tap removes exact zeros from each sum, so results are
// those of the unpruned convolution.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "salt/backend/simd/detail.hpp"
#include "salt/backend/simd/gemm.hpp"
#include "salt/backend/simd/winograd.hpp"
#include "salt/ops/batch_norm.hpp"
#include "salt/ops/conv2d.hpp"

namespace salt::backend::simd {

// Which taps of a convolution can touch a real input pixel. A tap (ky, kx) is live when some output
// row reads a real input row through ky and some output column a real input column through kx.
struct LiveTaps {
    int kernel = 1;
    std::uint64_t rows = 0;  // bit ky: tap row ky is live
    std::uint64_t cols = 0;  // bit kx: tap column kx is live

    constexpr bool live(int ky, int kx) const { return ((rows >> ky) & 1u) && ((cols >> kx) & 1u); }
    constexpr int count() const {
        int n = 0;
        for (int ky = 0; ky < kernel; ++ky)
            for (int kx = 0; kx < kernel; ++kx) n += live(ky, kx) ? 1 : 0;
        return n;
    }
    constexpr bool all() const { return count() == kernel * kernel; }
};

// Whether some output index o in [0, out) reads a real input index through tap k:
// 0 <= o*stride - padding + k*dilation < in.
constexpr bool conv_tap_live(int in, int out, int k, int stride, int padding, int dilation) {
    const int off = k * dilation - padding;  // input index = o*stride + off
    // smallest o with o*stride + off >= 0, largest o with o*stride + off <= in - 1
    const int lo = std::max(0, -floor_div(off, stride));
    const int hi = std::min(out - 1, floor_div(in - 1 - off, stride));
    return lo <= hi;
}

// The live taps of a convolution of `in` with `p` (kernel at most 64). Usable in constant
// expressions: static_assert(conv2d_live_taps({16, 16, 2048}, aspp36).count() == 1).
constexpr LiveTaps conv2d_live_taps(Shape in, Conv2dParams p) {
    LiveTaps t;
    t.kernel = p.kernel;
    const Shape out = conv2d_out_shape(in, p);
    for (int k = 0; k < p.kernel && k < 64; ++k) {
        if (conv_tap_live(in.h, out.h, k, p.stride, p.padding, p.dilation)) t.rows |= std::uint64_t(1) << k;
        if (conv_tap_live(in.w, out.w, k, p.stride, p.padding, p.dilation)) t.cols |= std::uint64_t(1) << k;
    }
    return t;
}

inline constexpr int kMaxKernel = 8;  // larger kernels go to the reference backend

struct ConvGeom {
    int H, W, C;      // input
    int OH, OW, CO;   // output
    int k, s, p, d;
    int ntaps = 0;                          // live taps, in ky-major order
    std::array<int, kMaxKernel * kMaxKernel> tap{}, ty{}, tx{};  // tap index, ky*d - p, kx*d - p
    bool dense_1x1 = false;                 // 1x1, stride 1, no padding: the tensor is the matrix
    // The output pixels the forward GEMM covers: rows [oy0, oy0+RH) x columns [ox0, ox0+RW) of
    // every image (the whole map unless the conv is split into padding-free regions).
    int oy0 = 0, ox0 = 0, RH = 0, RW = 0;
    // The input pixels the data-gradient GEMM covers: rows [iy0, iy0+IRH) x columns [ix0, ix0+IRW).
    int iy0 = 0, ix0 = 0, IRH = 0, IRW = 0;

    ConvGeom(Shape in, const Conv2dParams& cp, bool prune) {
        H = in.h, W = in.w, C = in.c;
        const Shape out = conv2d_out_shape(in, cp);
        OH = out.h, OW = out.w, CO = cp.out_channels;
        k = cp.kernel, s = cp.stride, p = cp.padding, d = cp.dilation;
        const LiveTaps live = conv2d_live_taps(in, cp);
        for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx)
                if (!prune || live.live(ky, kx)) {
                    tap[ntaps] = ky * k + kx;
                    ty[ntaps] = ky * d - p;
                    tx[ntaps] = kx * d - p;
                    ++ntaps;
                }
        dense_1x1 = k == 1 && s == 1 && p == 0;
        RH = OH, RW = OW;
        IRH = H, IRW = W;
    }
};

// Row map of a region's GEMM: row i = pixel (n, oy0 + r / RW, ox0 + r % RW) of the output.
struct RegionRows {
    const ConvGeom* g;
    std::ptrdiff_t operator()(int i) const {
        const ConvGeom& G = *g;
        const int rp = G.RH * G.RW, n = i / rp, rem = i % rp;
        return ((std::ptrdiff_t(n) * G.OH + G.oy0 + rem / G.RW) * G.OW + G.ox0 + rem % G.RW) * G.CO;
    }
};

// Row map of a data-gradient region's GEMM: row i = input pixel (n, iy0 + r / IRW, ix0 + r % IRW).
struct InputRegionRows {
    const ConvGeom* g;
    std::ptrdiff_t operator()(int i) const {
        const ConvGeom& G = *g;
        const int rp = G.IRH * G.IRW, n = i / rp, rem = i % rp;
        return ((std::ptrdiff_t(n) * G.H + G.iy0 + rem / G.IRW) * G.W + G.ix0 + rem % G.IRW) * G.C;
    }
};

// Padding-free regions. Output row oy reads input row oy*s - p + ky*d through tap row ky; the set of
// tap rows that read real rows changes only near the borders, so the output rows fall into a few
// runs with one set each (at most 2k - 1), and likewise the columns. A region (row run x column
// run) is a GEMM with only its own live taps: no multiply-adds with padding zeros, which at a 16x16
// map are 75% of an ASPP rate-12 conv (each output pixel reads 1.5 of 3 tap rows and 1.5 of 3 tap
// columns on average) and 31% of layer4's dilation-4 convs. Each sum keeps the taps in the same
// (ky-major) order; it loses only exact zero products.
struct TapRuns {
    int count = 0;
    int begin[2 * kMaxKernel + 1]{}, end[2 * kMaxKernel + 1]{};
    std::uint64_t mask[2 * kMaxKernel + 1]{};
};
// Groups indices [0, n) into runs of consecutive indices with the same tap mask mask_of(i).
template <class MaskOf>
TapRuns runs_of(int n, MaskOf&& mask_of) {
    TapRuns r;
    for (int i = 0; i < n; ++i) {
        const std::uint64_t m = mask_of(i);
        if (r.count > 0 && r.mask[r.count - 1] == m) {
            r.end[r.count - 1] = i + 1;
        } else {
            r.begin[r.count] = i, r.end[r.count] = i + 1, r.mask[r.count] = m;
            ++r.count;
        }
    }
    return r;
}
// Output index o reads input index o*s - p + t*d through tap t: live when that is in [0, in).
inline TapRuns tap_runs(int in, int out, int k, int s, int p, int d) {
    return runs_of(out, [&](int o) {
        std::uint64_t m = 0;
        for (int t = 0; t < k; ++t) {
            const int i = o * s - p + t * d;
            if (i >= 0 && i < in) m |= std::uint64_t(1) << t;
        }
        return m;
    });
}

// The same runs seen from the input side, for the data gradient of a stride-1 conv: input row i
// receives from output row o = i + p - t*d through tap row t, when 0 <= o < out.
inline TapRuns tap_runs_input(int in, int out, int k, int p, int d) {
    return runs_of(in, [&](int i) {
        std::uint64_t m = 0;
        for (int t = 0; t < k; ++t) {
            const int o = i + p - t * d;
            if (o >= 0 && o < out) m |= std::uint64_t(1) << t;
        }
        return m;
    });
}

// Whether to split a conv pass into regions, and which column runs to use. `rows` and `cols` are
// the runs of the GEMM's pixels (output pixels for the forward, input pixels for the data
// gradient), `ntaps` the live taps of the whole conv. Splits into 2-D regions when that saves at
// least 10% of the multiply-adds and every region has at least 4 MR GEMM rows (batch x pixels);
// with small regions (batch 1) only into row runs, with whole rows, and only when that saves at
// least 30%: each region's GEMM packs its weights again, which at batch 1 costs about what it saves
// unless the saving is large (measured on the forward: ASPP rate 12 at 50% pays, layer4's
// dilation 4 at 83% does not). Returns false when it does not pay.
inline bool plan_regions(const TapRuns& rows, const TapRuns& cols, int batch, int ntaps, TapRuns& use_cols) {
    if (rows.count == 1 && cols.count == 1) return false;
    auto cost = [&](const TapRuns& rr, const TapRuns& cc) {
        double c = 0;
        int smallest = 1 << 30;
        for (int a = 0; a < rr.count; ++a)
            for (int b = 0; b < cc.count; ++b) {
                const int px = (rr.end[a] - rr.begin[a]) * (cc.end[b] - cc.begin[b]);
                c += double(px) * std::popcount(rr.mask[a]) * std::popcount(cc.mask[b]);
                smallest = std::min(smallest, px * batch);
            }
        return std::pair<double, int>(c, smallest);
    };
    const int h = rows.end[rows.count - 1], w = cols.end[cols.count - 1];
    TapRuns whole_cols;
    whole_cols.count = 1, whole_cols.begin[0] = 0, whole_cols.end[0] = w;
    for (int b = 0; b < cols.count; ++b) whole_cols.mask[0] |= cols.mask[b];
    const double full = double(h) * w * ntaps;
    auto [c2, s2] = cost(rows, cols);
    use_cols = cols;
    double limit = 0.9;
    if (s2 < 4 * kMR) {
        auto [c1, s1] = cost(rows, whole_cols);
        if (s1 < 2 * kMR || rows.count == 1) return false;
        c2 = c1, use_cols = whole_cols, limit = 0.7;
    }
    return c2 <= limit * full;
}

// The taps of `g` whose row is in `row_mask` and column in `col_mask`, in the same (ky-major) order.
inline void keep_taps(const ConvGeom& g, std::uint64_t row_mask, std::uint64_t col_mask, ConvGeom& r) {
    r.ntaps = 0;
    for (int t = 0; t < g.ntaps; ++t) {
        const int ky = g.tap[t] / g.k, kx = g.tap[t] % g.k;
        if (((row_mask >> ky) & 1u) && ((col_mask >> kx) & 1u)) {
            r.tap[r.ntaps] = g.tap[t], r.ty[r.ntaps] = g.ty[t], r.tx[r.ntaps] = g.tx[t];
            ++r.ntaps;
        }
    }
}

// Forward A: row i = output pixel (n, oy, ox), depth kk = (live tap t, input channel c).
struct ConvFwdA {
    const ConvGeom* g;
    const float* x;
    void pack(int i0, int k0, int mc, int kc, float* dst) const {
        const ConvGeom& G = *g;
        const int opix = G.RH * G.RW;
        for (int sidx = 0; sidx * kMR < mc; ++sidx) {
            float* d = dst + std::size_t(sidx) * kc * kMR;
            for (int r = 0; r < kMR; ++r) {
                const int row = sidx * kMR + r;
                if (row >= mc) {
                    for (int k = 0; k < kc; ++k) d[k * kMR + r] = 0.f;
                    continue;
                }
                const int i = i0 + row;
                const int n = i / opix, rem = i % opix, oy = G.oy0 + rem / G.RW, ox = G.ox0 + rem % G.RW;
                const int by = oy * G.s, bx = ox * G.s;
                int k = k0;
                while (k < k0 + kc) {
                    const int t = k / G.C, c0 = k % G.C;
                    const int len = std::min(G.C - c0, k0 + kc - k);
                    const int iy = by + G.ty[t], ix = bx + G.tx[t];
                    float* dd = d + std::size_t(k - k0) * kMR + r;
                    if (iy >= 0 && iy < G.H && ix >= 0 && ix < G.W) {
                        const float* src = x + ((std::size_t(n) * G.H + iy) * G.W + ix) * G.C + c0;
                        for (int j = 0; j < len; ++j) dd[j * kMR] = src[j];
                    } else {
                        for (int j = 0; j < len; ++j) dd[j * kMR] = 0.f;
                    }
                    k += len;
                }
            }
        }
    }
};

// Forward B: depth kk = (live tap t, input channel c) -> weight row tap[t]*Cin + c.
struct ConvFwdB {
    const ConvGeom* g;
    const float* w;
    void pack(int k0, int n0, int kc, int nc, float* dst) const {
        const ConvGeom& G = *g;
        for (int sidx = 0; sidx * kNR < nc; ++sidx) {
            const int cols = std::min(kNR, nc - sidx * kNR);
            float* d = dst + std::size_t(sidx) * kc * kNR;
            const int nb = n0 + sidx * kNR;
            for (int k = 0; k < kc; ++k) {
                const int kk = k0 + k;
                const float* src = w + (std::size_t(G.tap[kk / G.C]) * G.C + kk % G.C) * G.CO + nb;
                if (cols == kNR) {
                    for (int v = 0; v < kNV; ++v)
                        vfloat::load_unaligned(src + v * kLanes).store_aligned(d + k * kNR + v * kLanes);
                } else {
                    int c = 0;
                    for (; c < cols; ++c) d[k * kNR + c] = src[c];
                    for (; c < kNR; ++c) d[k * kNR + c] = 0.f;
                }
            }
        }
    }
};

// Data-gradient A: row i = input pixel (n, iy, ix), depth kk = (live tap t, output channel co):
// dy at the output pixel that reads (iy, ix) through tap t, or 0 when there is none.
struct ConvBwdDataA {
    const ConvGeom* g;
    const float* dy;
    void pack(int i0, int k0, int mc, int kc, float* dst) const {
        const ConvGeom& G = *g;
        const int ipix = G.IRH * G.IRW;
        for (int sidx = 0; sidx * kMR < mc; ++sidx) {
            float* d = dst + std::size_t(sidx) * kc * kMR;
            for (int r = 0; r < kMR; ++r) {
                const int row = sidx * kMR + r;
                if (row >= mc) {
                    for (int k = 0; k < kc; ++k) d[k * kMR + r] = 0.f;
                    continue;
                }
                const int i = i0 + row;
                const int n = i / ipix, rem = i % ipix, iy = G.iy0 + rem / G.IRW, ix = G.ix0 + rem % G.IRW;
                int k = k0;
                while (k < k0 + kc) {
                    const int t = k / G.CO, c0 = k % G.CO;
                    const int len = std::min(G.CO - c0, k0 + kc - k);
                    const int ny = iy - G.ty[t], nx = ix - G.tx[t];  // = oy*s, ox*s
                    float* dd = d + std::size_t(k - k0) * kMR + r;
                    const bool ok = ny >= 0 && nx >= 0 && ny % G.s == 0 && nx % G.s == 0 && ny / G.s < G.OH &&
                                    nx / G.s < G.OW;
                    if (ok) {
                        const float* src =
                            dy + ((std::size_t(n) * G.OH + ny / G.s) * G.OW + nx / G.s) * G.CO + c0;
                        for (int j = 0; j < len; ++j) dd[j * kMR] = src[j];
                    } else {
                        for (int j = 0; j < len; ++j) dd[j * kMR] = 0.f;
                    }
                    k += len;
                }
            }
        }
    }
};

// Data-gradient B: B(kk = (t, co), ci) = w[(tap[t]*Cin + ci)*Cout + co] (W^T per tap).
struct ConvBwdDataB {
    const ConvGeom* g;
    const float* w;
    void pack(int k0, int n0, int kc, int nc, float* dst) const {
        const ConvGeom& G = *g;
        for (int sidx = 0; sidx * kNR < nc; ++sidx) {
            const int cols = std::min(kNR, nc - sidx * kNR);
            float* d = dst + std::size_t(sidx) * kc * kNR;
            const int nb = n0 + sidx * kNR;
            for (int c = 0; c < kNR; ++c) {
                if (c >= cols) {
                    for (int k = 0; k < kc; ++k) d[k * kNR + c] = 0.f;
                    continue;
                }
                int k = k0;
                while (k < k0 + kc) {
                    const int t = k / G.CO, c0 = k % G.CO;
                    const int len = std::min(G.CO - c0, k0 + kc - k);
                    const float* src = w + (std::size_t(G.tap[t]) * G.C + nb + c) * G.CO + c0;
                    float* dd = d + std::size_t(k - k0) * kNR + c;
                    for (int j = 0; j < len; ++j) dd[j * kNR] = src[j];
                    k += len;
                }
            }
        }
    }
};

// Weight-gradient A: row i = (live tap t0 + i / Cin, channel i % Cin), depth k = output pixel of
// the rectangle [oy0, oy0+RH) x [ox0, ox0+RW) of every image (the whole map unless the taps are
// split by rectangle): x at the input pixel that output pixel k reads through that tap, or 0 in
// the padding.
struct ConvWgradA {
    const ConvGeom* g;
    const float* x;
    int t0;  // first live tap of this GEMM's run of taps
    void pack(int i0, int k0, int mc, int kc, float* dst) const {
        const ConvGeom& G = *g;
        const int opix = G.RH * G.RW;
        for (int k = 0; k < kc; ++k) {
            const int pix = k0 + k;
            const int n = pix / opix, rem = pix % opix, oy = G.oy0 + rem / G.RW, ox = G.ox0 + rem % G.RW;
            const int by = oy * G.s, bx = ox * G.s;
            int i = i0;
            while (i < i0 + mc) {
                const int t = t0 + i / G.C, c0 = i % G.C;
                const int len = std::min(G.C - c0, i0 + mc - i);
                const int iy = by + G.ty[t], ix = bx + G.tx[t];
                const bool ok = iy >= 0 && iy < G.H && ix >= 0 && ix < G.W;
                const float* src = ok ? x + ((std::size_t(n) * G.H + iy) * G.W + ix) * G.C + c0 : nullptr;
                int row = i - i0, strip = row / kMR, lane = row % kMR;
                float* d = dst + std::size_t(strip) * kc * kMR + std::size_t(k) * kMR;
                for (int j = 0; j < len; ++j) {
                    d[lane] = ok ? src[j] : 0.f;
                    if (++lane == kMR) lane = 0, d += std::size_t(kc) * kMR;
                }
                i += len;
            }
            // zero the padding rows of the last strip
            for (int row = mc; row % kMR != 0; ++row)
                dst[std::size_t(row / kMR) * kc * kMR + std::size_t(k) * kMR + row % kMR] = 0.f;
        }
    }
};

// The forward conv as one GEMM per padding-free region (see TapRuns, plan_regions). Returns false
// (nothing done) when it does not pay.
inline bool conv2d_forward_regions(Device& dev, const ConvGeom& g, int batch, const float* x, const float* w, const float* bias,
                                   float* y, const Epilogue* ep) {
    const TapRuns rows = tap_runs(g.H, g.OH, g.k, g.s, g.p, g.d), cols = tap_runs(g.W, g.OW, g.k, g.s, g.p, g.d);
    TapRuns use_cols;
    if (!plan_regions(rows, cols, batch, g.ntaps, use_cols)) return false;
    for (int a = 0; a < rows.count; ++a)
        for (int b = 0; b < use_cols.count; ++b) {
            ConvGeom r = g;
            r.oy0 = rows.begin[a], r.RH = rows.end[a] - rows.begin[a];
            r.ox0 = use_cols.begin[b], r.RW = use_cols.end[b] - use_cols.begin[b];
            keep_taps(g, rows.mask[a], use_cols.mask[b], r);
            const int M = batch * r.RH * r.RW, K = r.ntaps * r.C;
            gemm_rows(dev, M, r.CO, K, ConvFwdA{&r, x}, ConvFwdB{&r, w}, y, RegionRows{&r}, false, bias, ep);
        }
    return true;
}

// The data gradient of a stride-1 conv as one GEMM per padding-free region of the *input*: input
// pixels that receive from the same set of taps (tap_runs_input) form a region whose GEMM has only
// those taps in K. Every input pixel is in exactly one region and is overwritten (a region with no
// tap gets zeros). Returns false (nothing done) when it does not pay.
inline bool conv2d_backward_data_regions(Device& dev, const ConvGeom& g, int batch, const float* dy, const float* w, float* dx) {
    if (g.s != 1) return false;
    const TapRuns rows = tap_runs_input(g.H, g.OH, g.k, g.p, g.d), cols = tap_runs_input(g.W, g.OW, g.k, g.p, g.d);
    TapRuns use_cols;
    if (!plan_regions(rows, cols, batch, g.ntaps, use_cols)) return false;
    for (int a = 0; a < rows.count; ++a)
        for (int b = 0; b < use_cols.count; ++b) {
            ConvGeom r = g;
            r.iy0 = rows.begin[a], r.IRH = rows.end[a] - rows.begin[a];
            r.ix0 = use_cols.begin[b], r.IRW = use_cols.end[b] - use_cols.begin[b];
            keep_taps(g, rows.mask[a], use_cols.mask[b], r);
            const int M = batch * r.IRH * r.IRW, K = r.ntaps * r.CO;
            gemm_rows(dev, M, r.C, K, ConvBwdDataA{&r, dy}, ConvBwdDataB{&r, w}, dx, InputRegionRows{&r}, false);
        }
    return true;
}

// The output pixels whose input through tap t is a real pixel form a rectangle (per axis:
// 0 <= o*s + off < in), [oy0, oy0+RH) x [ox0, ox0+RW); it may be empty.
struct TapRect {
    int oy0, RH, ox0, RW;
    bool operator==(const TapRect&) const = default;
};
inline TapRect tap_rect(const ConvGeom& g, int t) {
    auto axis = [&](int in, int out, int off, int& lo, int& len) {
        lo = std::max(0, -floor_div(off, g.s));
        const int hi = std::min(out - 1, floor_div(in - 1 - off, g.s));
        len = std::max(0, hi - lo + 1);
    };
    TapRect r{};
    axis(g.H, g.OH, g.ty[t], r.oy0, r.RH);
    axis(g.W, g.OW, g.tx[t], r.ox0, r.RW);
    return r;
}

inline void conv2d_forward_impl(Device& dev, Shape in, int batch, const Conv2dParams& p, const float* x, const float* w,
                                const float* bias, float* y, bool prune, const Epilogue* ep = nullptr) {
    const ConvGeom g(in, p, prune);
    const int M = batch * g.OH * g.OW, N = g.CO, K = g.ntaps * g.C;
    const float* b = bias;  // as the reference: a non-null bias is added whatever p.bias says
    if (prune && !g.dense_1x1 && conv2d_forward_regions(dev, g, batch, x, w, b, y, ep)) return;
    if (g.dense_1x1) {
        gemm(dev, M, N, K, DenseA{x, g.C}, DenseB{w, g.CO}, y, g.CO, false, b, ep);
    } else if (g.ntaps == g.k * g.k) {
        gemm(dev, M, N, K, ConvFwdA{&g, x}, DenseB{w, g.CO}, y, g.CO, false, b, ep);
    } else {
        gemm(dev, M, N, K, ConvFwdA{&g, x}, ConvFwdB{&g, w}, y, g.CO, false, b, ep);
    }
}

// Data gradient for very few input channels (the stem's single grey channel): N = Cin would fill a
// fraction of a register strip, so compute each dx element as dot products over Cout (contiguous
// in both dy and the HWIO weights), threads over input rows.
inline void conv2d_backward_data_small_cin(Device& dev, const ConvGeom& g, int batch, const float* dy, const float* w, float* dx) {
    const int CO = g.CO;
    parallel_for(dev, batch * g.H, std::size_t(batch) * g.H * g.W * g.ntaps * CO * g.C, [&](int job) {
        const int n = job / g.H, iy = job % g.H;
        for (int ix = 0; ix < g.W; ++ix) {
            float* dxp = dx + ((std::size_t(n) * g.H + iy) * g.W + ix) * g.C;
            for (int ci = 0; ci < g.C; ++ci) {
                vfloat acc(0.f);
                float tail = 0.f;
                for (int t = 0; t < g.ntaps; ++t) {
                    const int ny = iy - g.ty[t], nx = ix - g.tx[t];
                    if (ny < 0 || nx < 0 || ny % g.s != 0 || nx % g.s != 0 || ny / g.s >= g.OH || nx / g.s >= g.OW)
                        continue;
                    const float* gp = dy + ((std::size_t(n) * g.OH + ny / g.s) * g.OW + nx / g.s) * CO;
                    const float* wp = w + (std::size_t(g.tap[t]) * g.C + ci) * CO;
                    int co = 0;
                    for (; co + kLanes <= CO; co += kLanes)
                        acc = xsimd::fma(vfloat::load_unaligned(gp + co), vfloat::load_unaligned(wp + co), acc);
                    for (; co < CO; ++co) tail += gp[co] * wp[co];
                }
                dxp[ci] = xsimd::hadd(acc) + tail;
            }
        }
    });
}

inline void conv2d_backward_data_impl(Device& dev, Shape in, int batch, const Conv2dParams& p, const float* dy, const float* w,
                                      float* dx, bool prune) {
    const ConvGeom g(in, p, prune);
    const int M = batch * g.H * g.W, N = g.C, K = g.ntaps * g.CO;
    if (g.C <= 4 && g.CO >= kLanes) {
        conv2d_backward_data_small_cin(dev, g, batch, dy, w, dx);
    } else if (g.dense_1x1) {
        gemm(dev, M, N, K, DenseA{dy, g.CO}, DenseB{w, g.CO, true}, dx, g.C, false);
    } else if (prune && conv2d_backward_data_regions(dev, g, batch, dy, w, dx)) {
        return;
    } else {
        gemm(dev, M, N, K, ConvBwdDataA{&g, dy}, ConvBwdDataB{&g, w}, dx, g.C, false);
    }
}

inline void conv2d_backward_params_impl(Device& dev, Shape in, int batch, const Conv2dParams& p, const float* x, const float* dy,
                                        float* dw, float* dbias, bool prune) {
    const ConvGeom g(in, p, prune);
    const int P = batch * g.OH * g.OW;
    if (g.dense_1x1) {
        gemm(dev, g.C, g.CO, P, DenseA{x, g.C, true}, DenseB{dy, g.CO}, dw, g.CO, true);
    } else {
        // One GEMM per run of consecutive live taps with the same rectangle of output pixels that
        // read real input through them (tap_rect): each run is a contiguous block of rows of dW, and
        // its K is the batch x rectangle pixels, so no product with a padding zero is formed. Taps
        // are split by rectangle only when that saves at least 10% of the multiply-adds (dilated
        // convs at small maps); otherwise a run's rectangle is the whole map, as before.
        TapRect rect[kMaxKernel * kMaxKernel];
        double full = 0, live = 0;
        for (int t = 0; t < g.ntaps; ++t) {
            rect[t] = tap_rect(g, t);
            full += double(g.OH) * g.OW;
            live += double(rect[t].RH) * rect[t].RW;
        }
        const bool by_rect = prune && live <= 0.9 * full;
        const TapRect whole{0, g.OH, 0, g.OW};
        int t = 0;
        while (t < g.ntaps) {
            const TapRect rt = by_rect ? rect[t] : whole;
            int e = t + 1;
            while (e < g.ntaps && g.tap[e] == g.tap[e - 1] + 1 && (by_rect ? rect[e] : whole) == rt) ++e;
            ConvGeom r = g;
            r.oy0 = rt.oy0, r.RH = rt.RH, r.ox0 = rt.ox0, r.RW = rt.RW;
            float* dwp = dw + std::size_t(g.tap[t]) * g.C * g.CO;
            const int K = batch * rt.RH * rt.RW;
            if (K > 0) {
                if (by_rect)
                    gemm(dev, (e - t) * g.C, g.CO, K, ConvWgradA{&r, x, t}, RowMapB{dy, RegionRows{&r}}, dwp, g.CO, true);
                else
                    gemm(dev, (e - t) * g.C, g.CO, K, ConvWgradA{&r, x, t}, DenseB{dy, g.CO}, dwp, g.CO, true);
            }
            t = e;
        }
    }
    if (dbias) {
        // Column sums of dY, threads over column blocks (each column summed in a fixed order).
        const int CO = g.CO;
        const int blocks = (CO + kLanes - 1) / kLanes;
#pragma omp parallel for schedule(static) num_threads(dev.threads()) if (std::size_t(P) * CO > 32768 && !omp_in_parallel())
        for (int bk = 0; bk < blocks; ++bk) {
            const int c0 = bk * kLanes;
            if (c0 + kLanes <= CO) {
                vfloat acc(0.f);
                for (int r = 0; r < P; ++r) acc += vfloat::load_unaligned(dy + std::size_t(r) * CO + c0);
                alignas(64) float tmp[kLanes];
                acc.store_aligned(tmp);
                for (int j = 0; j < kLanes; ++j) dbias[c0 + j] += tmp[j];
            } else {
                for (int c = c0; c < CO; ++c) {
                    float s = 0.f;
                    for (int r = 0; r < P; ++r) s += dy[std::size_t(r) * CO + c];
                    dbias[c] += s;
                }
            }
        }
    }
}


// Whether the forward conv runs as Winograd F(2x2, 3x3) (winograd.hpp): asked for on the device,
// fp32 GEMMs, and the conv is one where it pays.
inline bool use_winograd(const Device& dev, Shape in, const Conv2dParams& p) {
    return dev.winograd() && !dev.bf16() && winograd_pays(in, p);
}

inline void conv2d_forward(Device& dev, Shape in, int batch, const Conv2dParams& p, const float* x, const float* w,
                           const float* bias, float* y) {
    if (p.kernel > kMaxKernel)
        return ops::conv2d_forward(in, batch, p, x, w, bias, y);
    constexpr const char* op = "conv2d_forward";
    ops::detail::check_conv2d(op, in, batch, p);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, w, "w");
    ops::detail::check_ptr(op, y, "y");
    if (p.bias && bias == nullptr) ops::detail::fail(op, "params.bias is true but the bias pointer is null");
    if (use_winograd(dev, in, p)) return winograd_conv2d_forward(dev, in, batch, p, x, w, bias, y);
    conv2d_forward_impl(dev, in, batch, p, x, w, bias, y, true);
}

// Fused inference Conv -> BatchNorm (running statistics) [-> + residual] [-> ReLU], one pass:
//   y = relu?( (conv(x) + bias - running_mean) * gamma / sqrt(running_var + eps) + beta + residual )
// The batch norm, the residual add and the ReLU run in the GEMM's store (gemm.hpp: Epilogue), with
// the same expressions as batch_norm_forward_eval, add_forward and relu_forward of this backend.
// `residual` (nullable) has y's shape. Used by the layers (nn/) in inference when the backend has it.
inline void conv2d_bn_forward_eval(Device& dev, Shape in, int batch, const Conv2dParams& p, const float* x,
                                   const float* w, const float* bias, const BatchNormParams& bp, const float* gamma,
                                   const float* beta, const float* running_mean, const float* running_var,
                                   const float* residual, bool relu, float* y) {
    constexpr const char* op = "conv2d_bn_forward_eval";
    ops::detail::check_conv2d(op, in, batch, p);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, w, "w");
    ops::detail::check_ptr(op, y, "y");
    ops::detail::check_ptr(op, gamma, "gamma");
    ops::detail::check_ptr(op, beta, "beta");
    ops::detail::check_ptr(op, running_mean, "running_mean");
    ops::detail::check_ptr(op, running_var, "running_var");
    if (p.bias && bias == nullptr) ops::detail::fail(op, "params.bias is true but the bias pointer is null");
    const int C = p.out_channels;
    float* scale = dev.scratch(std::size_t(C), 3);
    for (int c = 0; c < C; ++c) {
        const double v = double(running_var[c]) + bp.eps;
        if (!(v > 0.0)) ops::detail::fail(op, "running_var + eps must be positive, channel ", c, " has ", v);
        scale[c] = float(double(gamma[c]) / std::sqrt(v));
    }
    const Epilogue ep{running_mean, scale, beta, residual, relu};
    if (p.kernel > kMaxKernel || use_winograd(dev, in, p)) {
        // The conv, then the epilogue as a separate pass over y.
        if (p.kernel > kMaxKernel) ops::conv2d_forward(in, batch, p, x, w, bias, y);
        else winograd_conv2d_forward(dev, in, batch, p, x, w, bias, y);
        const std::size_t rows = std::size_t(batch) * conv2d_out_shape(in, p).pixels();
        parallel_for(dev, int(rows), rows * C, [&](int r) {
            for (int c = 0; c < C; ++c) {
                const std::ptrdiff_t at = std::ptrdiff_t(r) * C + c;
                y[at] = apply_epilogue(y[at], ep, at, c);
            }
        });
        return;
    }
    conv2d_forward_impl(dev, in, batch, p, x, w, bias, y, true, &ep);
}

inline void conv2d_backward_data(Device& dev, Shape in, int batch, const Conv2dParams& p, const float* dy,
                                 const float* w, float* dx) {
    if (p.kernel > kMaxKernel)
        return ops::conv2d_backward_data(in, batch, p, dy, w, dx);
    constexpr const char* op = "conv2d_backward_data";
    ops::detail::check_conv2d(op, in, batch, p);
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, w, "w");
    ops::detail::check_ptr(op, dx, "dx");
    conv2d_backward_data_impl(dev, in, batch, p, dy, w, dx, true);
}

inline void conv2d_backward_params(Device& dev, Shape in, int batch, const Conv2dParams& p, const float* x,
                                   const float* dy, float* dw, float* dbias) {
    if (p.kernel > kMaxKernel)
        return ops::conv2d_backward_params(in, batch, p, x, dy, dw, dbias);
    constexpr const char* op = "conv2d_backward_params";
    ops::detail::check_conv2d(op, in, batch, p);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, dw, "dw");
    conv2d_backward_params_impl(dev, in, batch, p, x, dy, dw, dbias, true);
}

}  // namespace salt::backend::simd
