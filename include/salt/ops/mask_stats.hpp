// salt/ops/mask_stats.hpp — per-image pixel counts of thresholded predictions against the truth,
// reference kernel: what the metrics (IoU, Dice, TGS mAP, ...) and the choice of a threshold need
// from a batch, so only `batch x thresholds` counts leave the device.
//
// For image b and threshold k: a pixel inside g.region is predicted positive when its logit is
// > thresholds[k] (strictly; 0 is probability 0.5), true when its truth value is > 0.5.
// out[b * thresholds.size() + k] = {tp, fp, fn, tn} (host memory).
#pragma once

#include <cstddef>
#include <span>

#include "salt/core/op_params.hpp"
#include "salt/ops/detail.hpp"
#include "salt/ops/loss_common.hpp"

namespace salt::ops {

template <class T>
void mask_stats(const MapGeometry& g, const T* logits, const T* truth, std::span<const double> thresholds,
                MaskCounts* out) {
    constexpr const char* op = "mask_stats";
    detail::check_map_geometry(op, g);
    detail::check_ptr(op, logits, "logits");
    detail::check_ptr(op, truth, "truth");
    detail::check_ptr(op, out, "out");
    if (thresholds.empty()) detail::fail(op, "at least one threshold is needed");
    const std::size_t K = thresholds.size();
    const long n = g.region.pixels();
    for (int b = 0; b < g.batch; ++b)
        for (std::size_t k = 0; k < K; ++k) {
            MaskCounts c;
            for (long i = 0; i < n; ++i) {
                const std::size_t o = detail::region_offset(g, b, i);
                const bool p = double(logits[o]) > thresholds[k], t = double(truth[o]) > 0.5;
                c.tp += p && t;
                c.fp += p && !t;
                c.fn += !p && t;
                c.tn += !p && !t;
            }
            out[std::size_t(b) * K + k] = c;
        }
}

}  // namespace salt::ops
