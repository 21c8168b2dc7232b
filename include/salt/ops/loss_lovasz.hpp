// salt/ops/loss_lovasz.hpp — the Lovasz hinge loss and its gradient, reference kernel; the
// semantics are described in salt/ops/loss_bce_dice.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "salt/ops/loss_common.hpp"

namespace salt::ops {

// Lovasz: the value and gradient of one image from its errors already sorted in decreasing order
// (`order` lists scored-pixel indices 0..n-1), walking the running Jaccard loss. Shared by every
// backend's host side of the op.
template <class T>
double lovasz_sorted_image(const MapGeometry& g, int b, const T* z, const T* t, const std::uint32_t* order, long n,
                           double positives, T* grad) {
    double seen_pos = 0.0, seen_neg = 0.0, prev_j = 0.0, loss = 0.0;
    for (long r = 0; r < n; ++r) {
        const std::size_t o = detail::region_offset(g, b, long(order[r]));
        const bool pos = double(t[o]) > 0.5;
        const double e = pos ? 1.0 - double(z[o]) : 1.0 + double(z[o]);
        (pos ? seen_pos : seen_neg) += 1.0;
        const double j = 1.0 - (positives - seen_pos) / (positives + seen_neg);  // union >= 1 from the first step
        const double gi = j - prev_j;
        prev_j = j;
        if (e > 0) loss += e * gi;
        // e = 1 - z s with s = +1 (positive) / -1 (negative): de/dz = -s.
        if (grad) grad[o] = T(e > 0 ? (pos ? -gi : gi) / double(g.batch) : 0.0);
    }
    return loss;
}

template <class T>
double loss_lovasz(const MapGeometry& g, const T* z, const T* t, T* grad) {
    constexpr const char* op = "loss_lovasz";
    detail::check_map_geometry(op, g);
    detail::check_ptr(op, z, "logits");
    detail::check_ptr(op, t, "targets");
    detail::zero_maps(g, grad);
    const long n = g.region.pixels();
    std::vector<double> err(static_cast<std::size_t>(n));
    std::vector<std::uint32_t> order(static_cast<std::size_t>(n));
    double total = 0.0;
    for (int b = 0; b < g.batch; ++b) {
        double positives = 0.0;
        for (long i = 0; i < n; ++i) {
            const std::size_t o = detail::region_offset(g, b, i);
            const double zi = double(z[o]);
            if (!std::isfinite(zi))
                detail::fail(op, "logit ", zi, " at image ", b, ", row ", g.region.y0 + i / g.region.w, ", column ",
                             g.region.x0 + i % g.region.w, " is not finite (the loss is undefined; the training has diverged)");
            const bool pos = double(t[o]) > 0.5;
            positives += pos ? 1.0 : 0.0;
            err[std::size_t(i)] = pos ? 1.0 - zi : 1.0 + zi;
        }
        std::iota(order.begin(), order.end(), 0u);
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t c) {
            return err[a] > err[c] || (err[a] == err[c] && a < c);
        });
        total += lovasz_sorted_image(g, b, z, t, order.data(), n, positives, grad);
    }
    return total / double(g.batch);
}

}  // namespace salt::ops
