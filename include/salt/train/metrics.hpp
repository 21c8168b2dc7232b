// salt/train/metrics.hpp — segmentation metrics on binary masks: pixel IoU and Dice (per image and
// global), precision, recall, accuracy, and the TGS Salt competition metric.
//
// Masks: uint8 (non-zero = salt), or float read as probabilities (> 0.5 = salt) or logits (> 0 =
// salt; the same decision as sigmoid(z) > 0.5). Float targets are read as probabilities.
//
// Everything is computed from integer pixel counts (tp, fp, fn, tn), so results are exact
// rationals rounded once:
//   IoU   = tp / (tp + fp + fn),   Dice = 2 tp / (2 tp + fp + fn)   (both 1 when both masks are empty)
//   precision = tp / (tp + fp), recall = tp / (tp + fn)             (1 when the denominator is 0)
//   TGS, per image: both empty -> 1; exactly one empty -> 0; otherwise the fraction of
//        t in {0.50, 0.55, ..., 0.95} with IoU > t (strict). With t = k/20 the test is done in
//        integers, 20 tp > k (tp + fp + fn), so no threshold is misjudged by rounding. An image's
//        score is hits/10, and the set's score is (sum of hits) / (10 images), one division.
//   "global" values use the counts summed over all images; "mean" values average the per-image
//   values: each per-image value is correctly rounded, their sum is computed exactly (Shewchuk's
//   error-free expansion, correctly rounded at the end, as Python's math.fsum), then divided by
//   the number of images — so the mean does not depend on batch boundaries or image order.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "salt/core/op_params.hpp"

namespace salt::train {

enum class MaskEncoding { binary, probability, logit };

using salt::MaskCounts;  // core/op_params.hpp: what the backends' Op::mask_stats returns

namespace detail {
inline double ratio_or_one(std::int64_t num, std::int64_t den) { return den == 0 ? 1.0 : double(num) / double(den); }

inline bool positive(std::uint8_t v, MaskEncoding) { return v != 0; }
inline bool positive(float v, MaskEncoding e) { return e == MaskEncoding::logit ? v > 0.0f : v > 0.5f; }
inline bool positive(double v, MaskEncoding e) { return e == MaskEncoding::logit ? v > 0.0 : v > 0.5; }

// Exact running sum of doubles (non-overlapping partials, Shewchuk 1997), correctly rounded on read.
class ExactSum {
public:
    void add(double x) {
        std::size_t k = 0;
        for (double y : partials_) {
            if (std::abs(x) < std::abs(y)) std::swap(x, y);
            const double hi = x + y;
            const double lo = y - (hi - x);
            if (lo != 0.0) partials_[k++] = lo;
            x = hi;
        }
        partials_.resize(k);
        partials_.push_back(x);
    }
    void add(const ExactSum& o) {
        for (double p : o.partials_) add(p);
    }
    double value() const {
        std::size_t n = partials_.size();
        if (n == 0) return 0.0;
        double hi = partials_[--n], lo = 0.0;
        while (n > 0) {
            const double x = hi, y = partials_[--n];
            hi = x + y;
            lo = y - (hi - x);
            if (lo != 0.0) break;
        }
        // hi + lo is exact; if lo is exactly half an ulp of hi and the remaining partials push the
        // same way, round away from the tie that round-half-even chose.
        if (n > 0 && ((lo < 0.0 && partials_[n - 1] < 0.0) || (lo > 0.0 && partials_[n - 1] > 0.0))) {
            const double y = lo * 2.0;
            const double x = hi + y;
            if (y == x - hi) hi = x;
        }
        return hi;
    }
    void clear() { partials_.clear(); }

private:
    std::vector<double> partials_;
};
}  // namespace detail

// Per-image values from counts.
inline double iou(const MaskCounts& c) { return detail::ratio_or_one(c.tp, c.union_()); }
inline double dice(const MaskCounts& c) { return detail::ratio_or_one(2 * c.tp, 2 * c.tp + c.fp + c.fn); }
inline double precision(const MaskCounts& c) { return detail::ratio_or_one(c.tp, c.predicted()); }
inline double recall(const MaskCounts& c) { return detail::ratio_or_one(c.tp, c.truth()); }
inline double accuracy(const MaskCounts& c) { return detail::ratio_or_one(c.tp + c.tn, c.pixels()); }

// Number of thresholds k/20, k = 10..19, with IoU > k/20 (0..10); 10 for two empty masks.
inline int tgs_hits(const MaskCounts& c) {
    const bool t_empty = c.truth() == 0, p_empty = c.predicted() == 0;
    if (t_empty && p_empty) return 10;
    if (t_empty || p_empty) return 0;
    int hits = 0;
    for (std::int64_t k = 10; k < 20; ++k)
        if (20 * c.tp > k * c.union_()) ++hits;
    return hits;
}
inline double tgs_score(const MaskCounts& c) { return double(tgs_hits(c)) / 10.0; }

// Counts of one image (or of any set of pixels).
template <class P, class Q>
MaskCounts count_mask(std::span<const P> pred, std::span<const Q> truth, MaskEncoding pred_enc = MaskEncoding::binary,
                      MaskEncoding truth_enc = MaskEncoding::probability) {
    if (pred.size() != truth.size())
        throw std::invalid_argument("salt::train::count_mask: prediction has " + std::to_string(pred.size()) +
                                    " pixels, truth " + std::to_string(truth.size()));
    MaskCounts c;
    for (std::size_t i = 0; i < pred.size(); ++i) {
        const bool p = detail::positive(pred[i], pred_enc), t = detail::positive(truth[i], truth_enc);
        c.tp += p && t;
        c.fp += p && !t;
        c.fn += !p && t;
        c.tn += !p && !t;
    }
    return c;
}

struct MetricResult {
    std::int64_t images = 0;
    MaskCounts total;          // counts summed over all images
    double iou_global = 1.0;   // from the summed counts
    double dice_global = 1.0;
    double precision = 1.0;
    double recall = 1.0;
    double accuracy = 1.0;
    double iou_mean = 0.0;     // mean over images of the per-image values
    double dice_mean = 0.0;
    std::int64_t tgs_hits = 0; // sum over images of tgs_hits (0..10 each)
    double tgs = 0.0;          // tgs_hits / (10 images): the competition score
};

// Accumulates per-image counts over batches; result() at any time.
class MetricAccumulator {
public:
    // `batch` images of equal size, stored one after the other.
    void add(std::span<const std::uint8_t> pred, std::span<const std::uint8_t> truth, int batch) {
        add_impl(pred, MaskEncoding::binary, truth, MaskEncoding::binary, batch);
    }
    // Float predictions (probabilities or logits, per `enc`) against uint8 or float (> 0.5) truth.
    void add(std::span<const float> pred, MaskEncoding enc, std::span<const std::uint8_t> truth, int batch) {
        add_impl(pred, enc, truth, MaskEncoding::binary, batch);
    }
    void add(std::span<const float> pred, MaskEncoding enc, std::span<const float> truth, int batch) {
        add_impl(pred, enc, truth, MaskEncoding::probability, batch);
    }
    void add(const MaskCounts& c) {
        per_image_.push_back(c);
        total_ += c;
        hits_ += tgs_hits(c);
        iou_sum_.add(iou(c));
        dice_sum_.add(dice(c));
    }
    void merge(const MetricAccumulator& o) {
        for (const auto& c : o.per_image_) add(c);
    }
    void reset() { *this = MetricAccumulator{}; }

    std::int64_t images() const { return std::int64_t(per_image_.size()); }
    const std::vector<MaskCounts>& per_image() const { return per_image_; }

    MetricResult result() const {
        MetricResult r;
        r.images = images();
        r.total = total_;
        r.iou_global = iou(total_);
        r.dice_global = dice(total_);
        r.precision = precision(total_);
        r.recall = recall(total_);
        r.accuracy = accuracy(total_);
        r.tgs_hits = hits_;
        if (r.images > 0) {
            r.iou_mean = iou_sum_.value() / double(r.images);
            r.dice_mean = dice_sum_.value() / double(r.images);
            r.tgs = double(hits_) / double(10 * r.images);
        }
        return r;
    }

private:
    template <class P, class Q>
    void add_impl(std::span<const P> pred, MaskEncoding pe, std::span<const Q> truth, MaskEncoding te, int batch) {
        if (batch <= 0) throw std::invalid_argument("salt::train::MetricAccumulator::add: batch must be positive");
        if (pred.size() != truth.size() || pred.size() % std::size_t(batch) != 0)
            throw std::invalid_argument("salt::train::MetricAccumulator::add: " + std::to_string(pred.size()) +
                                        " predicted and " + std::to_string(truth.size()) + " true pixels for " +
                                        std::to_string(batch) + " images");
        const std::size_t n = pred.size() / std::size_t(batch);
        for (int b = 0; b < batch; ++b)
            add(count_mask(pred.subspan(std::size_t(b) * n, n), truth.subspan(std::size_t(b) * n, n), pe, te));
    }

    std::vector<MaskCounts> per_image_;
    MaskCounts total_;
    std::int64_t hits_ = 0;
    detail::ExactSum iou_sum_, dice_sum_;
};

}  // namespace salt::train
