// salt/backend/cuda/kernels/loss.hpp — the segmentation losses (BCE + Dice, Lovasz hinge) and the
// mask statistics on the device. Semantics: ops/loss_bce_dice.hpp, ops/loss_lovasz.hpp,
// ops/mask_stats.hpp; every per-pixel function is the reference's SALT_HD one
// (ops/loss_common.hpp), all arithmetic in double, and every sum goes through kernels/reduce.hpp.
// Each loss returns its value to the host with one device-to-host copy (the one synchronisation of
// the call).
//
// BCE + Dice:
//   1. channel_sums, one segment per image: sum p t, sum p, sum t, sum of the BCE terms (K = 4)
//   2. BceDiceFinish (one thread): per group (image, or the batch) num, den, 1/den^2 and the loss,
//      with the images' sums added in image order
//   3. BceDiceGrad (one thread per map pixel): the reference's gradient formula; 0 outside the region
// Lovasz:
//   1. channel_sums per image: positives, non-finite logits (K = 2)
//   2. LovaszKeys: e = 1 - z (2t - 1) per scored pixel, with its index
//   3. a stable segmented sort by e, descending (ties keep index order, as the reference's
//      comparator): cub::DeviceSegmentedRadixSort on the GPU; on the host emulation std::stable_sort
//      with the same comparator — the one step that is emulated by its contract, not by the same code
//   4. LovaszTileCounts: positives among each tile of kLovaszTile sorted entries
//   5. LovaszWalk (one thread per tile): the counts before the tile from the tiles before it (exact
//      integers in double), then the reference's walk over the tile's entries (J, its increment,
//      the gradient, e * increment summed) — every J is computed from exact counts by the
//      reference's expression, so the gradient is the reference's bit for bit
//   6. ChannelCombine of the tiles' sums per image, and LovaszFinish: the mean over images, and the
//      count of non-finite logits (> 0: the host repeats the check on a copy to throw the
//      reference's error naming the pixel).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "salt/backend/cuda/kernels/elementwise.hpp"
#include "salt/backend/cuda/kernels/reduce.hpp"
#include "salt/core/hd.hpp"
#include "salt/core/op_params.hpp"
#include "salt/ops/loss_bce_dice.hpp"
#include "salt/ops/loss_common.hpp"
#include "salt/ops/loss_lovasz.hpp"
#include "salt/ops/mask_stats.hpp"

namespace salt::backend::cuda {
namespace kernels {

inline constexpr int kLovaszTile = 256;

// MapGeometry as plain numbers, with ops::detail::region_offset as a SALT_HD function.
struct MapIndex {
    int batch, height, width, y0, x0, rh, rw;
    SALT_HD std::size_t per_image() const { return std::size_t(rh) * std::size_t(rw); }
    SALT_HD std::size_t map_pixels() const { return std::size_t(height) * std::size_t(width); }
    // offset of the i-th scored pixel (row-major inside the region) of image b
    SALT_HD std::size_t offset(int b, std::size_t i) const {
        const std::size_t ry = i / std::size_t(rw), rx = i % std::size_t(rw);
        return std::size_t(b) * map_pixels() + (std::size_t(y0) + ry) * std::size_t(width) + std::size_t(x0) + rx;
    }
};
inline MapIndex map_index(const MapGeometry& g) {
    return MapIndex{g.batch, g.height, g.width, g.region.y0, g.region.x0, g.region.h, g.region.w};
}

SALT_HD inline bool is_finite(double v) { return v - v == 0.0; }

// ---- BCE + Dice ---------------------------------------------------------------------------------

// ops/loss_bce_dice.hpp, one scored pixel: p t, p, t, the BCE term
struct BceDiceSums {
    MapIndex m;
    const float* z;
    const float* t;
    SALT_HD void operator()(int b, std::size_t i, int, double* v) const {
        const std::size_t o = m.offset(b, i);
        const double x = double(z[o]), y = double(t[o]);
        const double p = ops::stable_sigmoid(x);
        v[0] = p * y;
        v[1] = p;
        v[2] = y;
        v[3] = ops::bce_with_logits_term(x, y);
    }
};
struct StoreSums4 {
    double* sums;  // [segment][4]
    SALT_HD void operator()(int seg, int, const double* s) const {
        for (int k = 0; k < 4; ++k) sums[std::size_t(seg) * 4 + k] = s[k];
    }
};

// The reference's per-group scalars and the loss (one thread). group[3 g + {0, 1, 2}] = num, den,
// 1/den^2 of group g; result[0] = the loss.
struct BceDiceFinish {
    const double* sums;
    double* group;
    double* result;
    double w_bce, w_dice, smooth, total;
    int batch;
    bool per_image;
    SALT_HD int phases() const { return 1; }
    SALT_HD void operator()(int, const ThreadIndex& t, unsigned char*) const {
        if (t.global_x() != 0) return;
        const int groups = per_image ? batch : 1;
        double bce_sum = 0.0, dice_sum = 0.0;
        for (int b = 0; b < batch; ++b) bce_sum += sums[std::size_t(b) * 4 + 3];
        for (int grp = 0; grp < groups; ++grp) {
            const int b0 = per_image ? grp : 0, b1 = per_image ? grp + 1 : batch;
            double num = 0.0, den = 1.0, inv_den2 = 0.0;
            if (w_dice != 0.0) {
                double inter = 0.0, psum = 0.0, tsum = 0.0;
                for (int b = b0; b < b1; ++b) {
                    inter += sums[std::size_t(b) * 4 + 0];
                    psum += sums[std::size_t(b) * 4 + 1];
                    tsum += sums[std::size_t(b) * 4 + 2];
                }
                num = 2.0 * inter + smooth;
                den = psum + tsum + smooth;
                inv_den2 = 1.0 / (den * den);
                dice_sum += 1.0 - num / den;
            }
            group[3 * grp] = num;
            group[3 * grp + 1] = den;
            group[3 * grp + 2] = inv_den2;
        }
        double loss = 0.0;
        if (w_bce != 0.0) loss += w_bce * (bce_sum / total);
        if (w_dice != 0.0) loss += w_dice * (dice_sum / double(groups));
        result[0] = loss;
    }
};

// ops/loss_bce_dice.hpp's gradient, one map pixel j (0 outside the region):
//   d = w.bce (sigmoid(z) - t) / total + dice_scale (-(2 t den - num) / den^2) sigmoid(z) sigmoid(-z)
struct BceDiceGrad {
    MapIndex m;
    const float* z;
    const float* t;
    const double* group;
    float* grad;
    double w_bce, w_dice, dice_scale, total;
    bool per_image;
    SALT_HD void operator()(std::size_t j) const {
        const std::size_t hw = m.map_pixels();
        const int b = int(j / hw);
        const std::size_t r = j % hw / std::size_t(m.width), c = j % std::size_t(m.width);
        const bool inside = r >= std::size_t(m.y0) && r < std::size_t(m.y0 + m.rh) && c >= std::size_t(m.x0) &&
                            c < std::size_t(m.x0 + m.rw);
        if (!inside) {
            grad[j] = 0.f;
            return;
        }
        const double x = double(z[j]), y = double(t[j]);
        const int grp = per_image ? b : 0;
        double d = 0.0;
        if (w_bce != 0.0) d += w_bce * ((ops::stable_sigmoid(x) - y) / total);
        if (w_dice != 0.0) {
            const double dp = -(2.0 * y * group[3 * grp + 1] - group[3 * grp]) * group[3 * grp + 2];
            d += dice_scale * (dp * (ops::stable_sigmoid(x) * ops::stable_sigmoid(-x)));
        }
        grad[j] = float(d);
    }
};

// ---- Lovasz -------------------------------------------------------------------------------------

// positives (t > 0.5) and non-finite logits of one scored pixel
struct LovaszCounts {
    MapIndex m;
    const float* z;
    const float* t;
    SALT_HD void operator()(int b, std::size_t i, int, double* v) const {
        const std::size_t o = m.offset(b, i);
        v[0] = double(t[o]) > 0.5 ? 1.0 : 0.0;
        v[1] = is_finite(double(z[o])) ? 0.0 : 1.0;
    }
};
struct StoreSums2 {
    double* sums;  // [segment][2]
    SALT_HD void operator()(int seg, int, const double* s) const {
        sums[std::size_t(seg) * 2] = s[0];
        sums[std::size_t(seg) * 2 + 1] = s[1];
    }
};

// The sort's input: key e = pos ? 1 - z : 1 + z, value the scored-pixel index.
struct LovaszKeys {
    MapIndex m;
    const float* z;
    const float* t;
    double* keys;
    std::uint32_t* index;
    SALT_HD void operator()(std::size_t j) const {
        const std::size_t n = m.per_image();
        const int b = int(j / n);
        const std::size_t i = j % n, o = m.offset(b, i);
        const double zi = double(z[o]);
        keys[j] = double(t[o]) > 0.5 ? 1.0 - zi : 1.0 + zi;
        index[j] = std::uint32_t(i);
    }
};

// The sort's segment boundaries (GPU executor): offsets[s] = s * segment_size.
struct SegmentOffsets {
    int* offsets;
    int segment_size;
    SALT_HD void operator()(std::size_t i) const { offsets[i] = int(i) * segment_size; }
};

// Positives among sorted entries [tile * kLovaszTile, +kLovaszTile) of image b; w = b * tiles + tile.
struct LovaszTileCounts {
    MapIndex m;
    const float* t;
    const std::uint32_t* order;
    double* tile_positives;
    std::size_t tiles;
    SALT_HD void operator()(std::size_t w) const {
        const std::size_t n = m.per_image();
        const int b = int(w / tiles);
        const std::size_t tile = w % tiles, r0 = tile * kLovaszTile;
        const std::size_t r1 = r0 + kLovaszTile < n ? r0 + kLovaszTile : n;
        double pos = 0.0;
        for (std::size_t r = r0; r < r1; ++r) pos += double(t[m.offset(b, order[std::size_t(b) * n + r])]) > 0.5 ? 1.0 : 0.0;
        tile_positives[w] = pos;
    }
};

// ops/loss_lovasz.hpp lovasz_sorted_image over one tile of image b's sorted entries, starting from
// the counts of the tiles before it. partial[b * tiles + tile] = sum of e * g over the tile.
struct LovaszWalk {
    MapIndex m;
    const float* z;
    const float* t;
    const std::uint32_t* order;
    const double* tile_positives;
    const double* counts;  // [b][2]: positives, non-finite
    double* partial;
    float* grad;  // may be null
    std::size_t tiles;
    SALT_HD void operator()(std::size_t w) const {
        const std::size_t n = m.per_image();
        const int b = int(w / tiles);
        const std::size_t tile = w % tiles, r0 = tile * kLovaszTile;
        const std::size_t r1 = r0 + kLovaszTile < n ? r0 + kLovaszTile : n;
        const double positives = counts[std::size_t(b) * 2];
        double seen_pos = 0.0;
        for (std::size_t k = 0; k < tile; ++k) seen_pos += tile_positives[std::size_t(b) * tiles + k];
        double seen_neg = double(r0) - seen_pos;
        // J after the entry before the tile (the reference's prev_j), 0 before the first entry
        double prev_j = r0 == 0 ? 0.0 : 1.0 - (positives - seen_pos) / (positives + seen_neg);
        double loss = 0.0;
        for (std::size_t r = r0; r < r1; ++r) {
            const std::size_t o = m.offset(b, order[std::size_t(b) * n + r]);
            const bool pos = double(t[o]) > 0.5;
            const double e = pos ? 1.0 - double(z[o]) : 1.0 + double(z[o]);
            if (pos) seen_pos += 1.0;
            else seen_neg += 1.0;
            const double j = 1.0 - (positives - seen_pos) / (positives + seen_neg);
            const double gi = j - prev_j;
            prev_j = j;
            if (e > 0) loss += e * gi;
            if (grad) grad[o] = float(e > 0 ? (pos ? -gi : gi) / double(m.batch) : 0.0);
        }
        partial[w] = loss;
    }
};
struct StoreSum1 {
    double* sums;
    SALT_HD void operator()(int seg, int, const double* s) const { sums[seg] = s[0]; }
};

// result[0] = mean over images of their losses (added in image order); result[1] = non-finite logits.
struct LovaszFinish {
    const double* image_loss;
    const double* counts;
    double* result;
    int batch;
    SALT_HD int phases() const { return 1; }
    SALT_HD void operator()(int, const ThreadIndex& t, unsigned char*) const {
        if (t.global_x() != 0) return;
        double total = 0.0, bad = 0.0;
        for (int b = 0; b < batch; ++b) {
            total += image_loss[b];
            bad += counts[std::size_t(b) * 2 + 1];
        }
        result[0] = total / double(batch);
        result[1] = bad;
    }
};

// ---- mask statistics ----------------------------------------------------------------------------

// ops/mask_stats.hpp, segment s = b * K + k: tp, fp, fn, tn of logits > thresholds[k] against truth > 0.5
struct MaskStatSums {
    MapIndex m;
    const float* z;
    const float* truth;
    const double* thresholds;
    int K;
    SALT_HD void operator()(int seg, std::size_t i, int, double* v) const {
        const int b = seg / K, k = seg % K;
        const std::size_t o = m.offset(b, i);
        const bool p = double(z[o]) > thresholds[k], t = double(truth[o]) > 0.5;
        v[0] = p && t ? 1.0 : 0.0;
        v[1] = p && !t ? 1.0 : 0.0;
        v[2] = !p && t ? 1.0 : 0.0;
        v[3] = !p && !t ? 1.0 : 0.0;
    }
};
struct StoreCounts {
    std::int64_t* counts;  // [segment][4], MaskCounts' layout
    SALT_HD void operator()(int seg, int, const double* s) const {
        for (int k = 0; k < 4; ++k) counts[std::size_t(seg) * 4 + k] = std::int64_t(s[k]);
    }
};

}  // namespace kernels

// A single-thread kernel (the finishing steps).
inline LaunchShape single_thread_shape() { return LaunchShape{Extent{1, 1, 1}, Extent{1, 1, 1}, 0}; }

template <class Ex>
double loss_bce_dice(Ex& ex, const MapGeometry& g, const BceDiceWeights& w, const float* z, const float* t,
                     float* grad) {
    constexpr const char* op = "loss_bce_dice";
    ops::detail::check_map_geometry(op, g);
    ops::detail::check_ptr(op, z, "logits");
    ops::detail::check_ptr(op, t, "targets");
    const kernels::MapIndex m = kernels::map_index(g);
    const double total = double(m.per_image()) * g.batch;
    const int groups = w.dice_per_image ? g.batch : 1;
    auto sums = scratch<double>(ex, std::size_t(g.batch) * 4);
    auto group = scratch<double>(ex, std::size_t(groups) * 3 + 1);
    double* result = group.get() + std::size_t(groups) * 3;
    channel_sums<4>(ex, op, g.batch, m.per_image(), 1, kernels::BceDiceSums{m, z, t}, kernels::StoreSums4{sums.get()});
    ex.launch(op, single_thread_shape(),
              kernels::BceDiceFinish{sums.get(), group.get(), result, w.bce, w.dice, w.dice_smooth, total, g.batch,
                                     w.dice_per_image});
    if (grad)
        launch_each(ex, op, std::size_t(g.batch) * m.map_pixels(),
                    kernels::BceDiceGrad{m, z, t, group.get(), grad, w.bce, w.dice, w.dice / double(groups), total,
                                         w.dice_per_image});
    double loss = 0.0;
    ex.to_host(&loss, result, sizeof(double));
    return loss;
}

template <class Ex>
double loss_lovasz(Ex& ex, const MapGeometry& g, const float* z, const float* t, float* grad) {
    constexpr const char* op = "loss_lovasz";
    ops::detail::check_map_geometry(op, g);
    ops::detail::check_ptr(op, z, "logits");
    ops::detail::check_ptr(op, t, "targets");
    const kernels::MapIndex m = kernels::map_index(g);
    const std::size_t n = m.per_image(), items = n * std::size_t(g.batch);
    if (n > 0xffffffffu) ops::detail::fail(op, "more than 2^32 scored pixels per image");
    const std::size_t tiles = (n + kernels::kLovaszTile - 1) / kernels::kLovaszTile;
    auto counts = scratch<double>(ex, std::size_t(g.batch) * 2);
    auto keys = scratch<double>(ex, 2 * items);
    auto index = scratch<std::uint32_t>(ex, 2 * items);
    auto tile_sums = scratch<double>(ex, 2 * std::size_t(g.batch) * tiles);
    auto results = scratch<double>(ex, std::size_t(g.batch) + 2);
    double* tile_positives = tile_sums.get();
    double* tile_loss = tile_sums.get() + std::size_t(g.batch) * tiles;
    double* image_loss = results.get();
    double* result = results.get() + g.batch;
    std::uint32_t* order = index.get() + items;
    channel_sums<2>(ex, op, g.batch, n, 1, kernels::LovaszCounts{m, z, t}, kernels::StoreSums2{counts.get()});
    launch_each(ex, op, items, kernels::LovaszKeys{m, z, t, keys.get(), index.get()});
    ex.sort_descending(keys.get(), keys.get() + items, index.get(), order, g.batch, n);
    const std::size_t work = std::size_t(g.batch) * tiles;
    launch_each(ex, op, work, kernels::LovaszTileCounts{m, t, order, tile_positives, tiles});
    if (grad) ex.zero(grad, std::size_t(g.batch) * m.map_pixels() * sizeof(float));
    launch_each(ex, op, work,
                kernels::LovaszWalk{m, z, t, order, tile_positives, counts.get(), tile_loss, grad, tiles});
    const kernels::ReduceGeometry rg{g.batch, n, 1, tiles};
    ex.launch(op, block_per_item_shape(std::size_t(g.batch), ex.tuning(), kernels::ChannelCombine<kernels::StoreSum1, 1>::shared_bytes),
              kernels::ChannelCombine<kernels::StoreSum1, 1>{kernels::StoreSum1{image_loss}, rg, tile_loss});
    ex.launch(op, single_thread_shape(), kernels::LovaszFinish{image_loss, counts.get(), result, g.batch});
    double out[2] = {0.0, 0.0};
    ex.to_host(out, result, sizeof(out));
    if (out[1] > 0.0) {
        // The reference's error, naming the first non-finite logit: its check on a host copy.
        std::vector<float> hz(std::size_t(g.batch) * m.map_pixels()), ht(hz.size());
        ex.to_host(hz.data(), z, hz.size() * sizeof(float));
        ex.to_host(ht.data(), t, ht.size() * sizeof(float));
        ops::loss_lovasz(g, hz.data(), ht.data(), static_cast<float*>(nullptr));
        ops::detail::fail(op, out[1], " logits are not finite (the loss is undefined; the training has diverged)");
    }
    return out[0];
}

template <class Ex>
void mask_stats(Ex& ex, const MapGeometry& g, const float* z, const float* truth, std::span<const double> thresholds,
                MaskCounts* out) {
    constexpr const char* op = "mask_stats";
    ops::detail::check_map_geometry(op, g);
    ops::detail::check_ptr(op, z, "logits");
    ops::detail::check_ptr(op, truth, "truth");
    ops::detail::check_ptr(op, out, "out");
    if (thresholds.empty()) ops::detail::fail(op, "at least one threshold is needed");
    static_assert(sizeof(MaskCounts) == 4 * sizeof(std::int64_t), "MaskCounts is four int64 counts");
    const kernels::MapIndex m = kernels::map_index(g);
    const int K = int(thresholds.size());
    const std::size_t segments = std::size_t(g.batch) * std::size_t(K);
    auto th = scratch<double>(ex, thresholds.size());
    auto counts = scratch<std::int64_t>(ex, segments * 4);
    ex.to_device(th.get(), thresholds.data(), thresholds.size() * sizeof(double));
    channel_sums<4>(ex, op, int(segments), m.per_image(), 1, kernels::MaskStatSums{m, z, truth, th.get(), K},
                    kernels::StoreCounts{counts.get()});
    std::vector<std::int64_t> host(segments * 4);
    ex.to_host(host.data(), counts.get(), host.size() * sizeof(std::int64_t));
    for (std::size_t s = 0; s < segments; ++s)
        out[s] = MaskCounts{host[4 * s], host[4 * s + 1], host[4 * s + 2], host[4 * s + 3]};
}

}  // namespace salt::backend::cuda
