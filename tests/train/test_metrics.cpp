// Metrics against an independent Python implementation (tests/fixtures/make_train_fixtures.py:
// numpy pixel counts, fractions.Fraction for every ratio and every TGS threshold test, math.fsum
// for the per-image means). The masks include IoU exactly k/20 for k = 10..19 (where the strict
// test IoU > t must fail), ratios one pixel either side of a threshold, empty/empty,
// empty/non-empty both ways, full masks and random masks. All results are rationals rounded once
// (or an exactly rounded sum divided once), so they are compared with ==.
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/train/metrics.hpp"
#include "train/train_fixture.hpp"

using namespace salt;
using namespace salt::train;

namespace {

struct Fixture {
    std::vector<std::uint8_t> pred, truth;
    std::vector<float> logits;
    std::vector<std::int64_t> counts, hits;
    std::vector<double> iou, dice, result;
    std::int64_t tgs_hits = 0;
    int images = 0;
    std::size_t pixels = 0;
};

Fixture load() {
    const auto f = test::train_fixture("metrics.safetensors");
    Fixture x;
    auto u8 = [&](const char* name) {
        const auto v = f.to_int64(name);
        return std::vector<std::uint8_t>(v.begin(), v.end());
    };
    x.pred = u8("pred");
    x.truth = u8("truth");
    x.logits = f.to_float("logits");
    x.counts = f.to_int64("counts");
    x.hits = f.to_int64("hits");
    x.iou = f.to_double("iou");
    x.dice = f.to_double("dice");
    x.result = f.to_double("result");
    x.tgs_hits = f.to_int64("tgs_hits")[0];
    x.images = int(f.at("pred").shape[0]);
    x.pixels = x.pred.size() / std::size_t(x.images);
    return x;
}

void check_result(const MetricResult& r, const Fixture& x) {
    CHECK(r.images == x.images);
    CHECK(r.iou_global == x.result[0]);
    CHECK(r.dice_global == x.result[1]);
    CHECK(r.precision == x.result[2]);
    CHECK(r.recall == x.result[3]);
    CHECK(r.accuracy == x.result[4]);
    CHECK(r.iou_mean == x.result[5]);
    CHECK(r.dice_mean == x.result[6]);
    CHECK(r.tgs == x.result[7]);
    CHECK(r.tgs_hits == x.tgs_hits);
}

}  // namespace

TEST_CASE("per-image metrics equal the Python reference exactly", "[train][metrics]") {
    const auto x = load();
    MetricAccumulator acc;
    acc.add(x.pred, x.truth, x.images);
    REQUIRE(acc.images() == x.images);
    int exact_threshold_images = 0;
    for (int i = 0; i < x.images; ++i) {
        const auto& c = acc.per_image()[std::size_t(i)];
        INFO("image " << i);
        CHECK(c.tp == x.counts[4 * i + 0]);
        CHECK(c.fp == x.counts[4 * i + 1]);
        CHECK(c.fn == x.counts[4 * i + 2]);
        CHECK(c.tn == x.counts[4 * i + 3]);
        CHECK(tgs_hits(c) == x.hits[std::size_t(i)]);
        CHECK(iou(c) == x.iou[std::size_t(i)]);
        CHECK(dice(c) == x.dice[std::size_t(i)]);
        // Where IoU is exactly k/20 the threshold k/20 itself must not count (strict >).
        for (int k = 10; k < 20; ++k)
            if (c.union_() > 0 && 20 * c.tp == k * c.union_()) {
                ++exact_threshold_images;
                CHECK(tgs_hits(c) == k - 10);
            }
    }
    CHECK(exact_threshold_images >= 20);
    check_result(acc.result(), x);
}

TEST_CASE("float predictions (logits, probabilities) give the same results", "[train][metrics]") {
    const auto x = load();
    std::vector<float> probs(x.logits.size()), truth(x.truth.begin(), x.truth.end());
    for (std::size_t i = 0; i < probs.size(); ++i) probs[i] = float(1.0 / (1.0 + std::exp(-double(x.logits[i]))));
    MetricAccumulator a, b, c;
    a.add(x.logits, MaskEncoding::logit, x.truth, x.images);
    b.add(probs, MaskEncoding::probability, truth, x.images);
    c.add(x.pred, x.truth, x.images);
    CHECK(a.per_image() == c.per_image());
    CHECK(b.per_image() == c.per_image());
    check_result(a.result(), x);
    check_result(b.result(), x);
}

TEST_CASE("results do not depend on batching or merging", "[train][metrics]") {
    const auto x = load();
    MetricAccumulator acc, part1, part2;
    int i = 0;
    for (int size : {1, 5, 2, 17, 3}) {
        auto& dst = i < 20 ? part1 : part2;
        const std::size_t off = std::size_t(i) * x.pixels, len = std::size_t(size) * x.pixels;
        dst.add(std::span(x.pred).subspan(off, len), std::span(x.truth).subspan(off, len), size);
        acc.add(std::span(x.pred).subspan(off, len), std::span(x.truth).subspan(off, len), size);
        i += size;
    }
    const std::size_t off = std::size_t(i) * x.pixels;
    acc.add(std::span(x.pred).subspan(off), std::span(x.truth).subspan(off), x.images - i);
    part2.add(std::span(x.pred).subspan(off), std::span(x.truth).subspan(off), x.images - i);
    check_result(acc.result(), x);
    part1.merge(part2);
    check_result(part1.result(), x);
    acc.reset();
    CHECK(acc.images() == 0);
    CHECK(acc.result().tgs == 0.0);
}

TEST_CASE("TGS rules and conventions on hand-made cases", "[train][metrics]") {
    CHECK(tgs_hits(MaskCounts{0, 0, 0, 100}) == 10);   // both empty
    CHECK(tgs_hits(MaskCounts{0, 5, 0, 95}) == 0);     // empty truth
    CHECK(tgs_hits(MaskCounts{0, 0, 5, 95}) == 0);     // empty prediction
    CHECK(tgs_hits(MaskCounts{10, 0, 10, 80}) == 0);   // IoU 0.5 exactly: not > 0.5
    CHECK(tgs_hits(MaskCounts{11, 0, 9, 80}) == 1);    // IoU 0.55 exactly: > 0.50 only
    CHECK(tgs_hits(MaskCounts{19, 0, 1, 80}) == 9);    // IoU 0.95: all but 0.95
    CHECK(tgs_hits(MaskCounts{20, 0, 0, 80}) == 10);   // perfect
    CHECK(tgs_score(MaskCounts{0, 0, 0, 1}) == 1.0);
    CHECK(iou(MaskCounts{0, 0, 0, 7}) == 1.0);
    CHECK(dice(MaskCounts{1, 1, 0, 0}) == 2.0 / 3.0);
    CHECK(precision(MaskCounts{0, 0, 3, 0}) == 1.0);
    CHECK(recall(MaskCounts{0, 0, 3, 0}) == 0.0);
    const std::vector<std::uint8_t> p{1, 1, 0}, t{1, 0, 0, 1};
    MetricAccumulator acc;
    CHECK_THROWS_AS(acc.add(p, t, 1), std::invalid_argument);
}
