// salt/train/postprocess.hpp — what turns a model's logits into the masks it is judged on, chosen
// on the validation split after training and saved with the weights, and where the points go.
//
//   PostProcess   a probability threshold, a minimum area (a predicted mask with fewer pixels
//                 becomes empty: the TGS metric scores a false positive on an empty image 0, and
//                 specks are the usual cause) and whether predictions average the mirrored image's
//                 (test-time augmentation). Written into a weights file's metadata (salt.post.*)
//                 by the trainer; `salt eval` and `salt predict` apply it unless told otherwise.
//   choose_postprocess  the threshold and minimum area with the best TGS mAP on per-image pixel
//                 counts taken at several thresholds (Op::mask_stats), ties to the smaller area and
//                 the threshold nearest 0.5.
//   Breakdown     mAP of the images whose truth is empty and of those with salt, by salt coverage,
//                 and the false-positive / false-negative image counts.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/core/op_params.hpp"
#include "salt/io/number.hpp"
#include "salt/train/metrics.hpp"

namespace salt::train {

struct PostProcess {
    double threshold = 0.5;  // probability above which a pixel is salt
    int min_area = 0;        // a prediction with fewer salt pixels is made empty
    bool tta = false;        // average with the prediction on the mirrored image
    double gate = 0.0;       // with an image classifier: a mask is made empty when the image's salt
                             // probability is below this (0: the classifier is not used)

    // The logit the threshold corresponds to (logit > this <=> sigmoid(logit) > threshold).
    double logit_threshold() const { return std::log(threshold / (1.0 - threshold)); }

    std::map<std::string, std::string> metadata() const {
        char b[64];
        std::snprintf(b, sizeof b, "%.9g", threshold);
        char g[64];
        std::snprintf(g, sizeof g, "%.9g", gate);
        return {{"salt.post.threshold", b}, {"salt.post.min_area", std::to_string(min_area)},
                {"salt.post.tta", tta ? "1" : "0"}, {"salt.post.gate", g}};
    }
    // From weights metadata; files written before post-processing was chosen get the defaults.
    static PostProcess from_metadata(const std::map<std::string, std::string>& m, const std::string& source) {
        PostProcess p;
        auto find = [&](const char* k) -> const std::string* {
            const auto it = m.find(k);
            return it == m.end() ? nullptr : &it->second;
        };
        // Each value whole and locale-independent; a bad one is named with its key and file.
        auto number = [&](const char* k, const std::string& v) {
            const auto x = io::to_real(v);
            if (!x) throw std::invalid_argument(source + ": metadata '" + k + "' must be a number, got '" + v + "'");
            return *x;
        };
        if (const auto* v = find("salt.post.threshold")) p.threshold = number("salt.post.threshold", *v);
        if (const auto* v = find("salt.post.min_area")) {
            const auto x = io::to_integer(*v);
            if (!x || *x < 0 || *x > (1 << 30))
                throw std::invalid_argument(source + ": metadata 'salt.post.min_area' must be a pixel count, got '" + *v + "'");
            p.min_area = int(*x);
        }
        if (const auto* v = find("salt.post.tta")) {
            if (*v != "0" && *v != "1") throw std::invalid_argument(source + ": metadata 'salt.post.tta' must be 0 or 1, got '" + *v + "'");
            p.tta = *v == "1";
        }
        if (const auto* v = find("salt.post.gate")) p.gate = number("salt.post.gate", *v);
        p.check(source);
        return p;
    }
    void check(const std::string& who) const {
        if (!(threshold > 0.0 && threshold < 1.0))
            throw std::invalid_argument(who + ": the threshold must be in (0, 1), got " + std::to_string(threshold));
        if (min_area < 0) throw std::invalid_argument(who + ": the minimum area must be >= 0, got " + std::to_string(min_area));
        if (!(gate >= 0.0 && gate < 1.0)) throw std::invalid_argument(who + ": the gate must be in [0, 1), got " + std::to_string(gate));
    }
};

// An image's counts when its mask is made empty (the gate, or the minimum area).
inline MaskCounts emptied(MaskCounts c) {
    c.fn += c.tp;
    c.tn += c.fp;
    c.tp = c.fp = 0;
    return c;
}
// An image's counts after the gate: empty when the image's salt probability is below it.
inline MaskCounts apply_gate(const MaskCounts& c, double image_probability, double gate) {
    return gate > 0 && image_probability < gate ? emptied(c) : c;
}

// An image's counts after the minimum-area rule: a prediction smaller than min_area becomes empty.
inline MaskCounts apply_min_area(MaskCounts c, int min_area) {
    return c.predicted() > 0 && c.predicted() < min_area ? emptied(c) : c;
}

// Masks on the host (one image, values 0/1) after the minimum-area rule.
inline void apply_min_area(std::span<std::uint8_t> mask, int min_area) {
    std::int64_t area = 0;
    for (auto v : mask) area += v != 0;
    if (area > 0 && area < min_area) std::fill(mask.begin(), mask.end(), std::uint8_t(0));
}

// One image's mask (values 0/1) from its logits on the host, as `p` says: the threshold, then the
// minimum area, then the gate on the image's salt probability (pass 1 without a classifier).
inline std::vector<std::uint8_t> postprocessed_mask(std::span<const float> logits, const PostProcess& p,
                                                    double image_probability = 1.0) {
    const double t = p.logit_threshold();
    std::vector<std::uint8_t> mask(logits.size());
    for (std::size_t i = 0; i < logits.size(); ++i) mask[i] = double(logits[i]) > t ? 1 : 0;
    apply_min_area(mask, p.min_area);
    if (p.gate > 0 && image_probability < p.gate) std::fill(mask.begin(), mask.end(), std::uint8_t(0));
    return mask;
}

struct PostProcessChoice {
    PostProcess post;
    double map = 0;          // the validation mAP with it
    double map_default = 0;  // with threshold 0.5 and no minimum area
};

// per_image[i * thresholds.size() + k]: image i's counts with logit threshold thresholds[k]
// (probability thresholds[k] mapped through the logit). Candidates: every threshold given, `areas`
// for the minimum area, and with image probabilities (an image classifier) `gates` for the gate.
[[gnu::cold]] inline PostProcessChoice choose_postprocess(std::span<const MaskCounts> per_image, std::span<const double> thresholds,
                                            std::span<const int> areas, bool tta,
                                            std::span<const double> image_probabilities = {},
                                            std::span<const double> gates = {}) {
    const std::size_t K = thresholds.size();
    if (K == 0 || per_image.size() % K != 0 || per_image.empty())
        throw std::invalid_argument("choose_postprocess: the counts do not make whole images x thresholds");
    const std::size_t n = per_image.size() / K;
    if (!image_probabilities.empty() && image_probabilities.size() != n)
        throw std::invalid_argument("choose_postprocess: one image probability per image is needed");
    const std::vector<double> no_gate{0.0};
    if (image_probabilities.empty() || gates.empty()) gates = no_gate;
    PostProcessChoice best;
    std::int64_t best_hits = -1;
    double best_dist = 1e9, best_gate = 0;
    int best_area = 0;
    for (double gate : gates)
        for (std::size_t k = 0; k < K; ++k)
            for (int area : areas) {
                std::int64_t hits = 0;
                for (std::size_t i = 0; i < n; ++i) {
                    MaskCounts c = apply_min_area(per_image[i * K + k], area);
                    if (gate > 0) c = apply_gate(c, image_probabilities[i], gate);
                    hits += tgs_hits(c);
                }
                const double dist = std::fabs(thresholds[k] - 0.5);
                // ties: no gate before a gate, a smaller area, the threshold nearest 0.5
                const bool better =
                    hits > best_hits ||
                    (hits == best_hits &&
                     (gate < best_gate || (gate == best_gate && (area < best_area || (area == best_area && dist < best_dist)))));
                if (better) {
                    best_hits = hits, best_dist = dist, best_area = area, best_gate = gate;
                    best.post = PostProcess{thresholds[k], area, tta, gate};
                }
                if (gate == 0 && area == 0 && std::fabs(thresholds[k] - 0.5) < 1e-12)
                    best.map_default = double(hits) / double(10 * n);
            }
    best.map = double(best_hits) / double(10 * n);
    return best;
}

// Where the points go.
struct Breakdown {
    struct Part {
        std::int64_t images = 0;
        std::int64_t hits = 0;  // sum of tgs_hits (0..10 per image)
        double map() const { return images ? double(hits) / double(10 * images) : 0.0; }
    };
    Part all, empty, salt;  // by the truth
    // Salt coverage of the truth (fraction of the image): (0, 1%], (1, 10%], (10, 25%], (25, 50%], (50, 100%].
    static constexpr std::array<double, 5> kCoverageUpper{0.01, 0.10, 0.25, 0.50, 1.0};
    std::array<Part, 5> coverage{};
    std::int64_t false_positive_images = 0;  // truth empty, prediction not
    std::int64_t false_negative_images = 0;  // truth has salt, prediction empty

    void add(const MaskCounts& c) {
        const int h = tgs_hits(c);
        auto put = [&](Part& p) { ++p.images, p.hits += h; };
        put(all);
        if (c.truth() == 0) {
            put(empty);
            if (c.predicted() > 0) ++false_positive_images;
            return;
        }
        put(salt);
        if (c.predicted() == 0) ++false_negative_images;
        const double cov = double(c.truth()) / double(std::max<std::int64_t>(c.pixels(), 1));
        for (std::size_t b = 0; b < kCoverageUpper.size(); ++b)
            if (cov <= kCoverageUpper[b] || b + 1 == kCoverageUpper.size()) {
                put(coverage[b]);
                break;
            }
    }
    static std::string coverage_label(std::size_t b) {
        const double lo = b == 0 ? 0.0 : kCoverageUpper[b - 1];
        char s[48];
        std::snprintf(s, sizeof s, "(%g%%, %g%%]", lo * 100, kCoverageUpper[b] * 100);
        return s;
    }
};

}  // namespace salt::train
