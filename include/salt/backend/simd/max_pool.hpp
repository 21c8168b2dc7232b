// salt/backend/simd/max_pool.hpp — 2-D max pooling, simd backend (fp32), vectorised over channels;
// same semantics as salt/ops/max_pool.hpp (padding never wins, first maximum in scan order wins,
// NaN wins over numbers; argmax = y*W + x inside the sample's plane).
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/backend/simd/detail.hpp"
#include "salt/ops/max_pool.hpp"

namespace salt::backend::simd {

inline void max_pool2d_forward(Device& dev, Shape in, int batch, const Pool2dParams& p, const float* x, float* y,
                               std::int32_t* argmax) {
    constexpr const char* op = "max_pool2d_forward";
    ops::detail::check_pool2d(op, in, batch, p);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, y, "y");
    ops::detail::check_ptr(op, argmax, "argmax");
    if (in.pixels() >= (std::size_t(1) << 24))  // indices ride in float lanes: exact below 2^24
        return ops::max_pool2d_forward(in, batch, p, x, y, argmax);
    const Shape out = pool2d_out_shape(in, p);
    const int C = in.c;
    parallel_for(dev, batch * out.h, std::size_t(batch) * out.size() * p.kernel * p.kernel, [&](int job) {
        const int n = job / out.h, oy = job % out.h;
        const float* xn = x + std::size_t(n) * in.size();
        const int y0 = oy * p.stride - p.padding;
        const int ys = y0 < 0 ? 0 : y0, ye = (y0 + p.kernel < in.h) ? y0 + p.kernel : in.h;
        for (int ox = 0; ox < out.w; ++ox) {
            const int x0 = ox * p.stride - p.padding;
            const int xs = x0 < 0 ? 0 : x0, xe = (x0 + p.kernel < in.w) ? x0 + p.kernel : in.w;
            const std::size_t o = std::size_t(n) * out.size() + (std::size_t(oy) * out.w + ox) * C;
            for (int c0 = 0; c0 < C; c0 += kLanes) {
                vfloat best = load_c(xn + (std::size_t(ys) * in.w + xs) * C, c0, C);
                vfloat bi(float(ys * in.w + xs));
                for (int iy = ys; iy < ye; ++iy)
                    for (int ix = xs; ix < xe; ++ix) {
                        const int i = iy * in.w + ix;
                        const vfloat v = load_c(xn + std::size_t(i) * C, c0, C);
                        const auto m = (v > best) | (xsimd::isnan(v) & !xsimd::isnan(best));
                        best = xsimd::select(m, v, best);
                        bi = xsimd::select(m, vfloat(float(i)), bi);
                    }
                store_c(y + o, best, c0, C);
                alignas(64) float t[kLanes];
                bi.store_aligned(t);
                for (int j = 0; j < kLanes && c0 + j < C; ++j) argmax[o + c0 + j] = std::int32_t(t[j]);
            }
        }
    });
}

inline void max_pool2d_backward(Device& dev, Shape in, int batch, const Pool2dParams& p, const float* dy,
                                const std::int32_t* argmax, float* dx) {
    constexpr const char* op = "max_pool2d_backward";
    ops::detail::check_pool2d(op, in, batch, p);
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, argmax, "argmax");
    ops::detail::check_ptr(op, dx, "dx");
    const Shape out = pool2d_out_shape(in, p);
    const int C = in.c;
    const std::int32_t plane = std::int32_t(in.pixels());
    // Each (sample, channel block) is owned by one thread: the scatter-adds never race and run in
    // the reference's order.
    const int cb = (C + kLanes - 1) / kLanes;
    bool bad = false;
    parallel_for(dev, batch * cb, std::size_t(batch) * in.size(), [&](int job) {
        const int n = job / cb, c0 = (job % cb) * kLanes, c1 = std::min(C, c0 + kLanes);
        float* dxn = dx + std::size_t(n) * in.size();
        for (std::size_t q = 0; q < in.pixels(); ++q)
            for (int c = c0; c < c1; ++c) dxn[q * C + c] = 0.f;
        const float* dyn = dy + std::size_t(n) * out.size();
        const std::int32_t* an = argmax + std::size_t(n) * out.size();
        for (std::size_t o = 0; o < out.pixels(); ++o)
            for (int c = c0; c < c1; ++c) {
                const std::int32_t a = an[o * C + c];
                if (a < 0 || a >= plane) {
#pragma omp atomic write
                    bad = true;
                    continue;
                }
                dxn[std::size_t(a) * C + c] += dyn[o * C + c];
            }
    });
    if (bad)  // let the reference kernel name the offending element
        ops::max_pool2d_backward(in, batch, p, dy, argmax, dx);
}

}  // namespace salt::backend::simd
