// Numeric gradient check of every loss, in double: the analytic d loss / d logits against the
// fourth-order central difference
//     L'(z) ~ (-L(z + 2h) + 8 L(z + h) - 8 L(z - h) + L(z - 2h)) / (12 h),   h = 1e-3.
// Truncation error h^4 / 30 |L^(5)| ~ 1e-13 here for the smooth losses (BCE, Dice, BCE+Dice: the
// logits are O(1) and each pixel enters with weight 1/n). The Lovasz hinge is piecewise linear:
// its inputs are built so that all errors 1 - z(2t-1) lie on a grid of spacing 0.05 offset by
// 0.025 from 0, so a step of 2h = 0.002 never reorders them nor crosses a hinge, and the
// difference quotient is exact up to rounding.
//
// Per element: |a - n| / (|a| + |n| + 1e-5) <= 1e-6. The loss is O(1) with rounding noise
// <~ 1e-15, so the numeric derivative has noise <~ 1.5e-15 / h = 1.5e-12; the floor 1e-5 (an
// absolute 1e-11) keeps that noise from failing elements whose gradient is nearly 0 (saturated
// sigmoids) while every gradient above 1e-5 (nearly all: they are O(1/n) = O(1e-2)) is held to
// 1e-6 relative. Each case also requires a non-trivial gradient (max |a| > 1e-3).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>
#include <span>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/core/rng.hpp"
#include "salt/train/loss.hpp"

using namespace salt;
using namespace salt::train;

namespace {

constexpr int kBatch = 3;
constexpr int kPixels = 36;

double check_case(const char* name, LossKind kind, const LossOptions& o, const std::vector<double>& z0,
                  const std::vector<double>& t) {
    auto loss = [&](const std::vector<double>& z) {
        return compute_loss(kind, std::span<const double>(z), std::span<const double>(t), {}, kBatch, o);
    };
    std::vector<double> g(z0.size());
    compute_loss(kind, std::span<const double>(z0), std::span<const double>(t), std::span<double>(g), kBatch, o);
    const double h = 1e-3;
    double worst = 0.0, amax = 0.0;
    std::vector<double> z = z0;
    for (std::size_t i = 0; i < z.size(); ++i) {
        auto at = [&](double d) {
            z[i] = z0[i] + d;
            return loss(z);
        };
        const double n = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
        z[i] = z0[i];
        const double e = std::abs(g[i] - n) / (std::abs(g[i]) + std::abs(n) + 1e-5);
        worst = std::max(worst, e);
        amax = std::max(amax, std::abs(g[i]));
    }
    std::printf("  %-22s max rel err %.2e (max |grad| %.2e)\n", name, worst, amax);
    INFO(name << ": max rel err " << worst << ", max |grad| " << amax);
    CHECK(amax > 1e-3);
    return worst;
}

std::vector<double> targets(Rng& rng) {
    std::vector<double> t(kBatch * kPixels);
    for (int i = 0; i < kPixels; ++i) {
        t[i] = 0.0;                               // image 0: empty
        t[kPixels + i] = 1.0;                     // image 1: full
        t[2 * kPixels + i] = rng.uniform() < 0.4;  // image 2: random
    }
    return t;
}

}  // namespace

TEST_CASE("smooth losses: analytic gradients match central differences", "[train][loss][gradcheck]") {
    Rng rng(2024);
    const auto t = targets(rng);
    std::vector<double> soft(t.size());
    for (auto& s : soft) s = rng.uniform();
    std::vector<double> z(t.size());
    for (auto& x : z) x = 2.0 * rng.normal();
    LossOptions batch;
    batch.dice_reduction = DiceReduction::batch;
    LossOptions s0;
    s0.dice_smooth = 0.0;  // no smoothing (the denominators stay positive: sum p > 0)
    LossOptions w;
    w.bce_weight = 0.3;
    w.dice_weight = 1.7;
    CHECK(check_case("bce", LossKind::bce, {}, z, t) <= 1e-6);
    CHECK(check_case("bce soft targets", LossKind::bce, {}, z, soft) <= 1e-6);
    CHECK(check_case("dice per image", LossKind::dice, {}, z, t) <= 1e-6);
    CHECK(check_case("dice batch", LossKind::dice, batch, z, t) <= 1e-6);
    CHECK(check_case("dice smooth 0", LossKind::dice, s0, z, t) <= 1e-6);
    CHECK(check_case("bce_dice weighted", LossKind::bce_dice, w, z, t) <= 1e-6);
    w.dice_reduction = DiceReduction::batch;
    CHECK(check_case("bce_dice batch", LossKind::bce_dice, w, z, t) <= 1e-6);
}

TEST_CASE("Lovasz hinge: analytic gradient matches central differences away from ties", "[train][loss][gradcheck]") {
    Rng rng(77);
    const auto t = targets(rng);
    // Errors e: distinct values (k + 0.5) * 0.05 - 1.2 for a random permutation of k, i.e. on a grid
    // that stays 0.025 away from 0 and from each other by 0.05; logits z = (1 - e) (2t - 1).
    std::vector<double> z(t.size());
    for (int b = 0; b < kBatch; ++b) {
        std::vector<int> k(kPixels);
        std::iota(k.begin(), k.end(), 0);
        for (int i = kPixels - 1; i > 0; --i) std::swap(k[i], k[rng.below(std::uint64_t(i) + 1)]);
        for (int i = 0; i < kPixels; ++i) {
            const double e = (k[i] + 0.5) * 0.05 - 1.2;
            const double s = 2.0 * t[b * kPixels + i] - 1.0;
            z[b * kPixels + i] = (1.0 - e) * s;
        }
    }
    CHECK(check_case("lovasz", LossKind::lovasz, {}, z, t) <= 1e-6);
}
