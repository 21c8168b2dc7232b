// Losses against torch autograd (tests/fixtures/train/losses.safetensors, float64 torch on logits
// that are float32-representable, |z| up to 100, an all-empty and an all-full target image).
//
// Per element the error is |a - r| / (|r| + 1e-10) <= 1e-6, for values and gradients alike.
// Why the floor 1e-10 (an absolute tolerance of 1e-16 for gradients below 1e-10): torch's sigmoid
// backward is y (1 - y), and 1 - y cancels for saturated y (|z| >~ 20), so the fixture's gradient
// there carries an absolute error of about |dL/dp| 2^-53 <~ 1e-18 — relative errors up to 1e-3 at
// |z| = 30, and exactly 0 instead of ~1e-27 at z = 60. salt evaluates sigmoid(z) sigmoid(-z),
// which has no cancellation, so it disagrees with torch there by ~1e-18 absolute. Every gradient
// element above 1e-10 (the typical size here is 1/n = 1e-2) is still held to 1e-6 relative.
//
// Double path: measured ~1e-15 for values and non-saturated gradients; <= 4e-9 at the saturated
// elements (torch's cancellation above, measured against the floor).
// Float path (float logits/targets/gradients, the same float-representable values): the value is
// computed in double from the same inputs, so it equals the double path's. Each gradient element
// is the double gradient rounded once to float, a relative error of at most 2^-24 = 6e-8 for
// normal floats, so 1e-6 holds with a 16x margin (measured ~6e-8).
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/train/loss.hpp"
#include "train/train_fixture.hpp"

using namespace salt;
using namespace salt::train;

namespace {

struct Case {
    const char* name;
    LossKind kind;
    LossOptions opt;
    bool soft = false;
};

std::vector<Case> cases() {
    LossOptions batch_dice;
    batch_dice.dice_reduction = DiceReduction::batch;
    LossOptions s05;
    s05.dice_smooth = 0.5;
    LossOptions weighted;
    weighted.bce_weight = 0.7;
    weighted.dice_weight = 1.3;
    return {{"bce", LossKind::bce, {}},
            {"bce_soft", LossKind::bce, {}, true},
            {"dice_image", LossKind::dice, {}},
            {"dice_batch", LossKind::dice, batch_dice},
            {"dice_image_s0.5", LossKind::dice, s05},
            {"bce_dice", LossKind::bce_dice, weighted},
            {"lovasz", LossKind::lovasz, {}}};
}

constexpr int kBatch = 4;

}  // namespace

TEST_CASE("losses match torch autograd in double", "[train][loss]") {
    const auto f = test::train_fixture("losses.safetensors");
    const auto z = f.to_double("logits");
    for (const auto& c : cases()) {
        const auto t = f.to_double(c.soft ? "soft_target" : "target");
        const double ref = f.to_double(std::string(c.name) + ".value")[0];
        const auto gref = f.to_double(std::string(c.name) + ".grad");
        std::vector<double> g(z.size(), std::nan(""));
        const double v = compute_loss(c.kind, std::span<const double>(z), std::span<const double>(t), std::span<double>(g), kBatch, c.opt);
        const double ve = test::rel_error(v, ref);
        const double ge = test::max_rel_error<double>(g, gref, 1e-10);
        INFO(c.name << ": value " << v << " vs torch " << ref << ", value rel err " << ve << ", max grad rel err " << ge);
        std::printf("  %-16s double: value rel err %.2e, grad max rel err %.2e\n", c.name, ve, ge);
        CHECK(ve <= 1e-6);
        CHECK(ge <= 1e-6);
        // The value without a gradient span is the same number.
        CHECK(compute_loss(c.kind, std::span<const double>(z), std::span<const double>(t), {}, kBatch, c.opt) == v);
    }
}

TEST_CASE("losses match torch autograd with float inputs", "[train][loss]") {
    const auto f = test::train_fixture("losses.safetensors");
    const auto zd = f.to_double("logits");
    const std::vector<float> z = f.to_float("logits");
    for (std::size_t i = 0; i < z.size(); ++i) REQUIRE(double(z[i]) == zd[i]);  // the fixture is float-representable
    for (const auto& c : cases()) {
        const std::vector<float> t = f.to_float(c.soft ? "soft_target" : "target");
        const auto td = f.to_double(c.soft ? "soft_target" : "target");
        const double ref = f.to_double(std::string(c.name) + ".value")[0];
        const auto gref = f.to_double(std::string(c.name) + ".grad");
        std::vector<float> g(z.size(), std::nanf(""));
        const double v = compute_loss(c.kind, std::span<const float>(z), std::span<const float>(t), std::span<float>(g), kBatch, c.opt);
        const double vd = compute_loss(c.kind, std::span<const double>(zd), std::span<const double>(td), {}, kBatch, c.opt);
        const double ve = test::rel_error(v, ref);
        const double ge = test::max_rel_error<float>(g, gref, 1e-10);
        INFO(c.name << ": value " << v << " vs torch " << ref);
        std::printf("  %-16s float:  value rel err %.2e, grad max rel err %.2e\n", c.name, ve, ge);
        CHECK(ve <= 1e-6);
        CHECK(test::rel_error(v, vd) <= 1e-15);
        CHECK(ge <= 1e-6);
    }
}

TEST_CASE("named loss functions agree with the dispatcher", "[train][loss]") {
    const auto f = test::train_fixture("losses.safetensors");
    const std::vector<float> z = f.to_float("logits");
    const std::vector<float> t = f.to_float("target");
    std::vector<float> g1(z.size()), g2(z.size());
    LossOptions o;
    o.bce_weight = 0.25;
    o.dice_weight = 2.0;
    CHECK(bce_with_logits(z, t, g1, kBatch) == compute_loss(LossKind::bce, z, t, g2, kBatch));
    CHECK(g1 == g2);
    CHECK(soft_dice(z, t, g1, kBatch, o) == compute_loss(LossKind::dice, z, t, g2, kBatch, o));
    CHECK(g1 == g2);
    CHECK(bce_dice(z, t, g1, kBatch, o) == compute_loss(LossKind::bce_dice, z, t, g2, kBatch, o));
    CHECK(g1 == g2);
    CHECK(lovasz_hinge(z, t, g1, kBatch) == compute_loss(LossKind::lovasz, z, t, g2, kBatch));
    CHECK(g1 == g2);
    // bce_dice = weighted sum of the parts, gradients too.
    std::vector<double> zd(z.begin(), z.end()), td(t.begin(), t.end()), gb(z.size()), gd(z.size()), gs(z.size());
    const double b = bce_with_logits(zd, td, gb, kBatch);
    const double d = soft_dice(zd, td, gd, kBatch, o);
    const double s = bce_dice(zd, td, gs, kBatch, o);
    CHECK(std::abs(s - (0.25 * b + 2.0 * d)) <= 1e-15 * s);
    for (std::size_t i = 0; i < z.size(); ++i) CHECK(std::abs(gs[i] - (0.25 * gb[i] + 2.0 * gd[i])) <= 1e-15 * (std::abs(gs[i]) + 1e-300));
}

TEST_CASE("losses are finite and correct at extreme logits", "[train][loss]") {
    // |z| = 100 (and beyond): no overflow, exact limits.
    const std::vector<double> z{100.0, -100.0, 700.0, -700.0};
    const std::vector<double> t{1.0, 0.0, 0.0, 1.0};
    std::vector<double> g(4);
    const double v = bce_with_logits(z, t, g, 1);
    CHECK(v == Approx((std::log1p(std::exp(-100.0)) * 2 + 700.0 * 2) / 4).epsilon(1e-15));
    CHECK(g[2] == Approx(0.25).epsilon(1e-15));
    CHECK(g[3] == Approx(-0.25).epsilon(1e-15));
    for (double x : g) CHECK(std::isfinite(x));
    const double d = soft_dice(z, t, g, 1);
    CHECK(std::isfinite(d));
    for (double x : g) CHECK(std::isfinite(x));
    const double l = lovasz_hinge(z, t, g, 1);
    CHECK(std::isfinite(l));
}

TEST_CASE("the Lovasz hinge value does not depend on the order of tied errors", "[train][loss]") {
    // Ties: the Lovasz extension is one function, so any tie order gives the same value.
    std::vector<double> z{0.5, 0.5, -0.5, -0.5, 0.5, 2.0, -1.0, 0.5};
    std::vector<double> t{1, 0, 1, 0, 1, 1, 0, 0};
    const double v = lovasz_hinge(z, t, {}, 1);
    std::vector<double> zr(z.rbegin(), z.rend()), tr(t.rbegin(), t.rend());
    CHECK(lovasz_hinge(zr, tr, {}, 1) == Approx(v).epsilon(1e-15));
    // Known values: all-empty target -> relu(max error); all-full -> mean relu(error).
    const std::vector<double> z2{-3.0, 0.25, 2.0, -0.5};
    const std::vector<double> empty(4, 0.0), full(4, 1.0);
    CHECK(lovasz_hinge(z2, empty, {}, 1) == Approx(3.0).epsilon(1e-15));
    CHECK(lovasz_hinge(z2, full, {}, 1) == Approx((4.0 + 0.75 + 0.0 + 1.5) / 4).epsilon(1e-15));
}

TEST_CASE("loss names and argument errors", "[train][loss]") {
    CHECK(parse_loss_kind("bce") == LossKind::bce);
    CHECK(parse_loss_kind("dice") == LossKind::dice);
    CHECK(parse_loss_kind("bce_dice") == LossKind::bce_dice);
    CHECK(parse_loss_kind("lovasz") == LossKind::lovasz);
    for (auto k : {LossKind::bce, LossKind::dice, LossKind::bce_dice, LossKind::lovasz}) CHECK(parse_loss_kind(loss_name(k)) == k);
    CHECK_THROWS_WITH(parse_loss_kind("focal"), Catch::Contains("bce, dice, bce_dice, lovasz") && Catch::Contains("focal"));
    const std::vector<float> z(8), t(8), t7(7);
    std::vector<float> g5(5);
    CHECK_THROWS_AS(bce_with_logits(z, t7, {}, 1), std::invalid_argument);
    CHECK_THROWS_AS(bce_with_logits(z, t, g5, 1), std::invalid_argument);
    CHECK_THROWS_AS(bce_with_logits(z, t, {}, 3), std::invalid_argument);
    CHECK_THROWS_AS(lovasz_hinge(z, t, {}, 0), std::invalid_argument);
}

// A diverged network hands the loss NaN or infinite logits. Sorting them for the Lovasz hinge is
// undefined behaviour (std::sort needs a strict weak order, which NaN breaks), so the loss refuses
// them with a message naming the pixel, on every entry point and every backend.
TEST_CASE("Lovasz with non-finite logits is a clear error, not undefined behaviour", "[train][loss]") {
    for (double bad : {std::nan(""), HUGE_VAL, -HUGE_VAL}) {
        std::vector<double> z{0.5, -1.0, bad, 2.0, 0.25, -0.5}, t{1, 0, 1, 0, 1, 0};
        std::vector<double> g(z.size(), 7.0);
        CHECK_THROWS_WITH(lovasz_hinge(z, t, g, 2),
                          Catch::Contains("logit") && Catch::Contains("image 0") && Catch::Contains("not finite"));
        std::vector<float> zf(z.begin(), z.end()), tf(t.begin(), t.end());
        CHECK_THROWS_WITH(compute_loss(LossKind::lovasz, zf, tf, {}, 1), Catch::Contains("not finite"));
        // the op itself, on a map with a scored region: the position is the map's row and column
        const salt::MapGeometry geo{1, 2, 3, salt::Region{0, 0, 2, 3}};
        CHECK_THROWS_WITH(salt::ops::loss_lovasz(geo, z.data(), t.data(), g.data()),
                          Catch::Contains("row 0, column 2"));
    }
}
