// salt/backend/simd/winograd.hpp — the forward 3x3 convolution by Winograd's minimal filtering
// algorithm F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2016), for the simd backend: NHWC input, HWIO weights (w[((ky*3 + kx)*Cin + ci)*Cout + co]).
//
// Which convolutions: kernel 3, stride 1, dilation d >= 1, padding d — the "same" 3x3 convs of the
// ResNet blocks and of ASPP. A dilated 3x3 conv is an ordinary one on a subsampled grid: output
// pixel (d*i + py, d*j + px) reads only input pixels of the same phase (py, px), at grid offsets
// -1, 0, +1. So the map splits into d*d phase grids, each convolved with padding 1.
//
// Each phase grid is cut into 2x2 output tiles reading 4x4 input windows; with the transforms
//   V = B^T d B (input window),  U = G g G^T (3x3 filter),  Y = A^T M A (2x2 output),
//   M[xi][nu] = sum over input channels of V[xi][nu] * U[xi][nu],
// the channel sums are 16 independent GEMMs (tiles x Cin) * (Cin x Cout), which run on the packed
// SGEMM of gemm.hpp. 16 multiply-adds per 4 outputs instead of 36: 2.25x fewer.
//
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
//
// Rounding error (derived in tests/backend/test_winograd.cpp and checked there on every shape it
// runs): every product x*w reaches the output through at most Cin + 11 roundings — 2 in the input
// transform (two levels of 2-term sums), 4 in the filter transform (two levels of 3-term sums; the
// halvings are exact), 1 for the product, Cin - 1 in the channel sum, 4 in the output transform
// and 1 for the bias — so |y_winograd - y| <= gamma(Cin + 11) * S, with gamma(k) = k u / (1 - k u),
// u = 2^-24, and S the same computation with every matrix and value replaced by its absolute value.
#pragma once

#include <cstddef>
#include <vector>

#include "salt/backend/simd/detail.hpp"
#include "salt/backend/simd/gemm.hpp"
#include "salt/core/shape.hpp"

namespace salt::backend::simd {

// Whether a convolution can run as F(2x2, 3x3): 3x3, stride 1, padding = dilation.
inline bool winograd_applies(const Conv2dParams& p) {
    return p.kernel == 3 && p.stride == 1 && p.dilation >= 1 && p.padding == p.dilation;
}

// Whether it pays, the rule the backend uses: every phase grid at least 4x4. On a smaller grid most
// of each 4x4 input window is padding, which the direct conv skips (dead taps, padding-free
// regions) and Winograd multiplies: ASPP's rate-12 conv on a 16x16 map (grids of 2x2 and 1x1) ran
// 2-6x slower this way, while the ResNet and head 3x3 convs at 16x16 and 32x32 (grids of 4x4 to
// 32x32) ran 1.1-1.8x faster (docs/performance.md, "Winograd").
inline bool winograd_pays(Shape in, const Conv2dParams& p) {
    // The smallest phase grid has floor(extent / d) rows (or columns).
    return winograd_applies(p) && in.h / p.dilation >= 4 && in.w / p.dilation >= 4;
}

namespace winograd_detail {

// One 2x2 output tile: image n, phase (py, px), tile (ty, tx) of that phase's grid.
struct Tile {
    int n, py, px, ty, tx;
};

inline std::vector<Tile> tiles(int batch, int H, int W, int d) {
    std::vector<Tile> t;
    for (int n = 0; n < batch; ++n)
        for (int py = 0; py < d && py < H; ++py)
            for (int px = 0; px < d && px < W; ++px) {
                const int hp = (H - py + d - 1) / d, wp = (W - px + d - 1) / d;  // the phase grid
                for (int ty = 0; ty < (hp + 1) / 2; ++ty)
                    for (int tx = 0; tx < (wp + 1) / 2; ++tx) t.push_back({n, py, px, ty, tx});
            }
    return t;
}

}  // namespace winograd_detail

// U[16][Cin][Cout] = G g G^T for every (ci, co), from HWIO 3x3 weights.
inline void winograd_filter_transform(const float* w, int cin, int cout, float* u) {
    const std::size_t plane = std::size_t(cin) * cout;
    for (int ci = 0; ci < cin; ++ci)
        for (int c0 = 0; c0 < cout; c0 += kLanes) {
            vfloat g[3][3];
            for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 3; ++kx) g[ky][kx] = load_c(w + (std::size_t(ky * 3 + kx) * cin + ci) * cout, c0, cout);
            const vfloat half(0.5f);
            vfloat t[4][3];  // G g
            for (int j = 0; j < 3; ++j) {
                t[0][j] = g[0][j];
                t[1][j] = (g[0][j] + g[1][j] + g[2][j]) * half;
                t[2][j] = (g[0][j] - g[1][j] + g[2][j]) * half;
                t[3][j] = g[2][j];
            }
            for (int i = 0; i < 4; ++i) {  // (G g) G^T
                const vfloat r[4] = {t[i][0], (t[i][0] + t[i][1] + t[i][2]) * half, (t[i][0] - t[i][1] + t[i][2]) * half,
                                     t[i][2]};
                for (int j = 0; j < 4; ++j) store_c(u + std::size_t(i * 4 + j) * plane + std::size_t(ci) * cout, r[j], c0, cout);
            }
        }
}

// y[batch, H, W, Cout] = conv3x3(x[batch, H, W, Cin]; dilation d, padding d) + bias (nullable), with
// the transformed filter u (winograd_filter_transform). Bitwise the same for any thread count.
inline void winograd_conv3x3_forward(Device& dev, Shape in, int batch, int cout, int d, const float* x, const float* u,
                                     const float* bias, float* y) {
    const int H = in.h, W = in.w, C = in.c;
    const auto tl = winograd_detail::tiles(batch, H, W, d);
    const int T = int(tl.size());
    const std::size_t vplane = std::size_t(T) * C, mplane = std::size_t(T) * cout;
    float* const V = dev.scratch(16 * vplane, 5);
    float* const M = dev.scratch(16 * mplane, 6);

    // Input transform: V[xi*4 + nu][t][c] = (B^T d B)[xi][nu] of tile t's 4x4 window.
    parallel_for(dev, T, vplane * 16, [&](int t) {
        const auto& k = tl[std::size_t(t)];
        const float* src[4][4];
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) {
                const int iy = (2 * k.ty - 1 + i) * d + k.py, ix = (2 * k.tx - 1 + j) * d + k.px;
                const bool inside = 2 * k.ty - 1 + i >= 0 && iy < H && 2 * k.tx - 1 + j >= 0 && ix < W;
                src[i][j] = inside ? x + ((std::size_t(k.n) * H + iy) * W + ix) * C : nullptr;
            }
        for (int c0 = 0; c0 < C; c0 += kLanes) {
            vfloat v[4][4];
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) v[i][j] = src[i][j] ? load_c(src[i][j], c0, C) : vfloat(0.f);
            vfloat r[4][4];  // B^T d
            for (int j = 0; j < 4; ++j) {
                r[0][j] = v[0][j] - v[2][j];
                r[1][j] = v[1][j] + v[2][j];
                r[2][j] = v[2][j] - v[1][j];
                r[3][j] = v[1][j] - v[3][j];
            }
            for (int i = 0; i < 4; ++i) {  // (B^T d) B
                const vfloat o[4] = {r[i][0] - r[i][2], r[i][1] + r[i][2], r[i][2] - r[i][1], r[i][1] - r[i][3]};
                for (int j = 0; j < 4; ++j) store_c(V + std::size_t(i * 4 + j) * vplane + std::size_t(t) * C, o[j], c0, C);
            }
        }
    });

    // The 16 channel sums: M[k] (T x Cout) = V[k] (T x Cin) * U[k] (Cin x Cout).
    for (int k = 0; k < 16; ++k)
        sgemm(dev, false, false, T, cout, C, V + k * vplane, C, u + std::size_t(k) * C * cout, cout,
              M + k * mplane, cout, false);

    // Output transform: the tile's 2x2 outputs = A^T M A (+ bias), those inside the phase grid.
    parallel_for(dev, T, mplane * 16, [&](int t) {
        const auto& k = tl[std::size_t(t)];
        const int hp = (H - k.py + d - 1) / d, wp = (W - k.px + d - 1) / d;
        for (int c0 = 0; c0 < cout; c0 += kLanes) {
            vfloat m[4][4];
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) m[i][j] = load_c(M + std::size_t(i * 4 + j) * mplane + std::size_t(t) * cout, c0, cout);
            vfloat r[2][4];  // A^T m
            for (int j = 0; j < 4; ++j) {
                r[0][j] = m[0][j] + m[1][j] + m[2][j];
                r[1][j] = m[1][j] - m[2][j] - m[3][j];
            }
            const vfloat b = bias ? load_c(bias, c0, cout) : vfloat(0.f);
            for (int a = 0; a < 2; ++a) {
                const int gy = 2 * k.ty + a;
                if (gy >= hp) continue;
                const vfloat o[2] = {r[a][0] + r[a][1] + r[a][2], r[a][1] - r[a][2] - r[a][3]};
                for (int e = 0; e < 2; ++e) {
                    const int gx = 2 * k.tx + e;
                    if (gx >= wp) continue;
                    float* dst = y + ((std::size_t(k.n) * H + std::size_t(gy) * d + k.py) * W + std::size_t(gx) * d + k.px) * cout;
                    store_c(dst, bias ? o[e] + b : o[e], c0, cout);
                }
            }
        }
    });
}

}  // namespace salt::backend::simd

namespace salt::backend::simd {

// The whole forward conv (winograd_applies(p) must hold): the filter is transformed into the
// device's scratch, then the tiles are run. bias nullable (added when non-null, as the reference).
inline void winograd_conv2d_forward(Device& dev, Shape in, int batch, const Conv2dParams& p, const float* x, const float* w,
                                    const float* bias, float* y) {
    float* u = dev.scratch(std::size_t(16) * p.in_channels * p.out_channels, 4);
    winograd_filter_transform(w, p.in_channels, p.out_channels, u);
    winograd_conv3x3_forward(dev, in, batch, p.out_channels, p.dilation, x, u, bias, y);
}

}  // namespace salt::backend::simd
