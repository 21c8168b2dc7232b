// salt/ops/loss_common.hpp — what the loss and mask-statistics kernels share: the scored region of
// a batch of maps (core/op_params.hpp: MapGeometry), its checks and offsets, and the stable
// per-pixel functions (SALT_HD, so a GPU kernel computes exactly these).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "salt/core/hd.hpp"
#include "salt/core/op_params.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

// sigmoid(z) without overflow for any z.
SALT_HD inline double stable_sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    const double e = exp(z);
    return e / (1.0 + e);
}
// BCE with logits of one pixel, stable for any |z|.
SALT_HD inline double bce_with_logits_term(double z, double t) {
    return (z > 0.0 ? z : 0.0) - z * t + log1p(exp(-fabs(z)));
}

namespace detail {
inline void check_map_geometry(const char* op, const MapGeometry& g) {
    if (g.batch <= 0) fail(op, "batch must be positive, got ", g.batch);
    if (g.height <= 0 || g.width <= 0) fail(op, "maps must be at least 1x1, got ", g.height, "x", g.width);
    if (!g.region.inside(g.height, g.width))
        fail(op, "the scored region (rows ", g.region.y0, "+", g.region.h, ", columns ", g.region.x0, "+", g.region.w,
             ") is empty or not inside the ", g.height, "x", g.width, " map");
}
// Offset of the i-th scored pixel (row-major inside the region) of image b.
inline std::size_t region_offset(const MapGeometry& g, int b, long i) {
    const long ry = i / g.region.w, rx = i % g.region.w;
    return std::size_t(b) * std::size_t(g.map_pixels()) + std::size_t(g.region.y0 + ry) * std::size_t(g.width) +
           std::size_t(g.region.x0 + rx);
}
template <class T>
void zero_maps(const MapGeometry& g, T* grad) {
    if (grad) std::fill_n(grad, std::size_t(g.batch) * std::size_t(g.map_pixels()), T(0));
}
}  // namespace detail

}  // namespace salt::ops
