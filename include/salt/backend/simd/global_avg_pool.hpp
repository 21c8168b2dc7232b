// salt/backend/simd/global_avg_pool.hpp — global average pooling, simd backend (fp32), same
// semantics as salt/ops/global_avg_pool.hpp; sums in double over float blocks (detail.hpp).
#pragma once

#include <cstddef>

#include "salt/backend/simd/detail.hpp"
#include "salt/ops/global_avg_pool.hpp"

namespace salt::backend::simd {

inline void global_avg_pool_forward(Device& dev, Shape in, int batch, const float* x, float* y) {
    constexpr const char* op = "global_avg_pool_forward";
    ops::detail::check_shape_batch(op, in, batch);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, y, "y");
    const int C = in.c;
    const std::size_t P = in.pixels();
    const int cb = (C + kLanes - 1) / kLanes;
    parallel_for(dev, batch * cb, std::size_t(batch) * in.size(), [&](int job) {
        const int n = job / cb, c0 = (job % cb) * kLanes;
        const float* xn = x + std::size_t(n) * in.size();
        double s[kLanes];
        column_sum(P, [&](std::size_t r) { return load_c(xn + r * C, c0, C); }, s);
        for (int j = 0; j < kLanes && c0 + j < C; ++j) y[std::size_t(n) * C + c0 + j] = float(s[j] / double(P));
    });
}

inline void global_avg_pool_backward(Device& dev, Shape in, int batch, const float* dy, float* dx) {
    constexpr const char* op = "global_avg_pool_backward";
    ops::detail::check_shape_batch(op, in, batch);
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, dx, "dx");
    const int C = in.c;
    const std::size_t P = in.pixels();
    parallel_for(dev, batch, std::size_t(batch) * in.size(), [&](int n) {
        float* g = dev.scratch(std::size_t(C));
        for (int c = 0; c < C; ++c) g[c] = float(double(dy[std::size_t(n) * C + c]) / double(P));
        float* dxn = dx + std::size_t(n) * in.size();
        for (std::size_t p = 0; p < P; ++p)
            for (int c0 = 0; c0 < C; c0 += kLanes) store_c(dxn + p * C, load_c(g, c0, C), c0, C);
    });
}

}  // namespace salt::backend::simd
