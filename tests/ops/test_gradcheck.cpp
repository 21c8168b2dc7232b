// Gradient checks for every reference op, in double: the analytic backward pass against numeric
// differentiation of the scalar loss L = sum(y * r) (r random, fixed per case) with respect to every
// differentiable input and parameter, element by element.
//
// Numeric derivative: the fourth-order central difference
//     L'(v) ~ (-L(v + 2h) + 8 L(v + h) - 8 L(v - h) + L(v - 2h)) / (12 h).
// Its truncation error is h^4 / 30 * L^(5). For ops that are linear (or affine) in each single element
// (conv, add, concat, gap, resize, dropout with a fixed mask, eval BN, train BN in gamma and beta),
// there is no truncation error at all, so a large step (h = 0.1) is used to keep rounding noise small.
// For piecewise-linear ops (relu, max pool) the inputs are kept at least 4h from every kink/tie and
// h = 1e-3. For the smooth non-linear ones (train BN in x, sigmoid) h = 1e-3: truncation ~ 1e-13.
// L is summed in long double so that its own rounding does not dominate.
//
// Error measure per element: |a - n| / max(kFloor, |a| + |n|) <= 1e-6.
// kFloor = 1e-4. Why: inputs, parameters and r are O(1), so gradients are O(0.1..10). The numeric
// derivative carries absolute noise of about 1.5 * eps_L / h where eps_L is the rounding noise of L
// between two evaluations; with double and these sizes eps_L <~ 1e-14, so the noise is <~ 2e-13 for
// h = 0.1 and <~ 2e-11 for h = 1e-3. An element whose true gradient is (near) zero therefore needs a
// floor F with 1e-6 * F well above 2e-11, i.e. F >= ~1e-4 (1e-10 absolute), leaving 5x margin on the
// estimated worst case (measured: the largest |a - n| over all cases is 6e-12, the largest relative
// error 3e-9; run with SALT_GRADCHECK_VERBOSE=1 to print them per case). A larger floor would let
// errors in small gradients (e.g. 1/(h*w)-scaled pooling gradients, sigmoid tails) go unchecked. Above the floor every element is checked to 1e-6 relative, and a genuine bug (wrong
// index, missing term, wrong scale) produces errors of the gradient's own magnitude, i.e. O(1)
// relative — six orders above the threshold. Each case also asserts that its analytic gradient is
// not trivially small (max |a| > 10 * kFloor), so a backward that writes zeros cannot pass.
//
// Data gradients are pre-filled with NaN (they must be overwritten entirely); parameter gradients
// are pre-filled with random values and the check uses (after - before), so accumulation (+=) is
// verified at the same time.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/core/rng.hpp"
#include "salt/ops/ops.hpp"

namespace {

using salt::Shape;
using V = std::vector<double>;

constexpr double kTol = 1e-6;
constexpr double kFloor = 1e-4;
constexpr double kLinearStep = 0.1;
constexpr double kSmoothStep = 1e-3;

V randn(salt::Rng& rng, std::size_t n, double scale = 1.0, double shift = 0.0) {
    V v(n);
    for (auto& e : v) e = shift + scale * rng.normal();
    return v;
}
V uniform(salt::Rng& rng, std::size_t n, double lo, double hi) {
    V v(n);
    for (auto& e : v) e = lo + (hi - lo) * rng.uniform();
    return v;
}
V nans(std::size_t n) { return V(n, std::numeric_limits<double>::quiet_NaN()); }

double dot(const V& y, const V& r) {
    REQUIRE(y.size() == r.size());
    long double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += (long double)y[i] * (long double)r[i];
    return double(s);
}

// Compares the analytic gradient `ana` of L with respect to `param` (modified in place, restored)
// against the numeric derivative of `loss`, which recomputes L from the current values.
void check_grad(const std::string& what, V& param, const V& ana, double h, const std::function<double()>& loss,
                bool nontrivial = true) {
    REQUIRE(ana.size() == param.size());
    double worst = 0, worst_a = 0, worst_n = 0, max_abs = 0, max_err = 0;
    std::size_t worst_i = 0;
    for (std::size_t i = 0; i < param.size(); ++i) {
        const double v = param[i];
        param[i] = v + 2 * h;
        const double lp2 = loss();
        param[i] = v + h;
        const double lp1 = loss();
        param[i] = v - h;
        const double lm1 = loss();
        param[i] = v - 2 * h;
        const double lm2 = loss();
        param[i] = v;
        const double num = (-lp2 + 8 * lp1 - 8 * lm1 + lm2) / (12 * h);
        const double a = ana[i];
        const double rel = std::isfinite(a) ? std::abs(a - num) / std::max(kFloor, std::abs(a) + std::abs(num))
                                            : std::numeric_limits<double>::infinity();
        max_abs = std::max(max_abs, std::abs(a));
        max_err = std::max(max_err, std::abs(a - num));
        if (!(rel <= worst)) {
            worst = rel;
            worst_i = i;
            worst_a = a;
            worst_n = num;
        }
    }
    INFO(what << ": " << param.size() << " elements, worst relative error " << worst << " at element " << worst_i
              << " (analytic " << worst_a << ", numeric " << worst_n << "), max |analytic| " << max_abs);
    if (std::getenv("SALT_GRADCHECK_VERBOSE"))
        std::printf("%-90s worst rel %.2e  max abs err %.2e  max |a| %.2e\n", what.c_str(), worst, max_err, max_abs);
    CHECK(worst <= kTol);
    if (nontrivial) CHECK(max_abs > 10 * kFloor);
}

V minus(const V& a, const V& b) {
    V d(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
    return d;
}

std::string describe(Shape s, int batch) {
    std::ostringstream os;
    os << "batch " << batch << " x " << s.h << "x" << s.w << "x" << s.c;
    return os.str();
}

// ---------------------------------------------------------------------------------------------- conv2d

struct ConvCase {
    Shape in;
    int batch;
    salt::Conv2dParams p;
};

void check_conv(const ConvCase& cc, std::uint64_t seed) {
    const auto& p = cc.p;
    const Shape out = salt::conv2d_out_shape(cc.in, p);
    std::ostringstream name;
    name << "conv2d " << describe(cc.in, cc.batch) << " -> " << p.out_channels << " k" << p.kernel << " s"
         << p.stride << " p" << p.padding << " d" << p.dilation << (p.bias ? " bias" : "") << " (out " << out.h
         << "x" << out.w << ")";
    INFO(name.str());
    REQUIRE(salt::conv2d_fits(cc.in, p));
    salt::Rng rng(seed);
    V x = randn(rng, cc.in.size() * cc.batch);
    V w = randn(rng, p.weight_count(), 1.0 / std::sqrt(double(p.kernel * p.kernel * p.in_channels)));
    V b = p.bias ? randn(rng, p.out_channels) : V{};
    V r = randn(rng, out.size() * cc.batch);
    V y(r.size());
    auto loss = [&] {
        salt::ops::conv2d_forward(cc.in, cc.batch, p, x.data(), w.data(), p.bias ? b.data() : nullptr, y.data());
        return dot(y, r);
    };
    V dx = nans(x.size());
    salt::ops::conv2d_backward_data(cc.in, cc.batch, p, r.data(), w.data(), dx.data());
    const V dw0 = randn(rng, w.size());
    const V db0 = p.bias ? randn(rng, b.size()) : V{};
    V dw = dw0, db = db0;
    salt::ops::conv2d_backward_params(cc.in, cc.batch, p, x.data(), r.data(), dw.data(),
                                      p.bias ? db.data() : nullptr);
    check_grad(name.str() + " dx", x, dx, kLinearStep, loss);
    check_grad(name.str() + " dw", w, minus(dw, dw0), kLinearStep, loss);
    if (p.bias) check_grad(name.str() + " dbias", b, minus(db, db0), kLinearStep, loss);
}

salt::Conv2dParams conv(int cin, int cout, int k, int s, int p, int d, bool bias) {
    return salt::Conv2dParams{cin, cout, k, s, p, d, bias};
}

TEST_CASE("conv2d: analytic gradients match numeric ones", "[gradcheck][conv2d]") {
    const std::vector<ConvCase> cases = {
        {{9, 9, 3}, 2, conv(3, 4, 3, 1, 1, 1, true)},    // 3x3 same
        {{7, 5, 2}, 2, conv(2, 3, 3, 2, 1, 1, true)},    // stride 2, odd sizes
        {{9, 9, 2}, 1, conv(2, 3, 3, 1, 2, 2, false)},   // dilation 2, padding = dilation
        {{11, 10, 2}, 2, conv(2, 2, 3, 1, 3, 3, true)},  // dilation 3, padding = dilation
        {{7, 5, 2}, 1, conv(2, 2, 3, 1, 0, 1, false)},   // padding 0
        {{10, 9, 2}, 2, conv(2, 3, 3, 2, 2, 2, true)},   // strided and dilated
        {{11, 11, 2}, 1, conv(2, 3, 7, 2, 3, 1, false)}, // stem: 7x7 stride 2 padding 3
        {{1, 1, 5}, 3, conv(5, 4, 1, 1, 0, 1, true)},    // 1x1 conv on a 1x1 input (ASPP pooling)
        {{8, 6, 3}, 2, conv(3, 4, 1, 2, 0, 1, false)},   // 1x1 stride 2 projection
        {{5, 4, 2}, 1, conv(2, 2, 3, 1, 6, 6, true)},    // rate larger than the map: mostly padding
    };
    std::uint64_t seed = 100;
    for (const auto& c : cases) check_conv(c, seed++);
}

TEST_CASE("conv2d: random geometries (seeded)", "[gradcheck][conv2d]") {
    salt::Rng g(777);
    const int kernels[] = {1, 3, 7};
    int done = 0;
    while (done < 16) {
        const int k = kernels[g.below(3)];
        const int s = 1 + int(g.below(2));
        const int d = 1 + int(g.below(3));
        const int pads[] = {0, 1, d * (k - 1) / 2};
        const int pad = pads[g.below(3)];
        const Shape in{1 + int(g.below(10)), 1 + int(g.below(10)), 1 + int(g.below(3))};
        const auto p = conv(in.c, 1 + int(g.below(3)), k, s, pad, d, g.below(2) == 1);
        if (!salt::conv2d_fits(in, p)) continue;
        check_conv({in, 1 + int(g.below(2)), p}, 1000 + done);
        ++done;
    }
}

// ----------------------------------------------------------------------------------------- batch norm

TEST_CASE("batch_norm train: gradients w.r.t. x, gamma, beta", "[gradcheck][batch_norm]") {
    const std::vector<std::pair<Shape, int>> cases = {
        {{5, 3, 4}, 2}, {{1, 1, 3}, 4}, {{7, 5, 2}, 1}, {{2, 1, 3}, 1}, {{3, 3, 2}, 3}};
    std::uint64_t seed = 200;
    for (const auto& [s, batch] : cases) {
        const std::string name = "batch_norm_train " + describe(s, batch);
        INFO(name);
        salt::Rng rng(seed++);
        const std::size_t n = s.size() * batch;
        const salt::ops::BatchNormParams bp{1e-5, 0.1};
        V x = randn(rng, n, 1.5, 0.7);
        V gamma = uniform(rng, s.c, 0.5, 1.5), beta = randn(rng, s.c);
        V r = randn(rng, n);
        V y(n), rm(s.c), rv(s.c), sm(s.c), si(s.c);
        auto loss = [&] {
            V rm_ = V(s.c, 0.0), rv_ = V(s.c, 1.0);
            salt::ops::batch_norm_forward_train(s, batch, bp, x.data(), gamma.data(), beta.data(), rm_.data(),
                                                rv_.data(), y.data(), sm.data(), si.data());
            return dot(y, r);
        };
        loss();  // fills saved mean / invstd for the current x
        V dx = nans(n);
        const V dg0 = randn(rng, s.c), db0 = randn(rng, s.c);
        V dg = dg0, db = db0;
        salt::ops::batch_norm_backward_train(s, batch, x.data(), r.data(), gamma.data(), sm.data(), si.data(),
                                             dx.data(), dg.data(), db.data());
        // Two values per channel: xhat = +-1 up to eps, so dL/dx is eps-sized and may sit below the
        // floor; it is still checked, just not required to be large (the next test case covers m == 2
        // with a large eps).
        check_grad(name + " dx", x, dx, kSmoothStep, loss, s.pixels() * batch != 2);
        check_grad(name + " dgamma", gamma, minus(dg, dg0), kLinearStep, loss);
        check_grad(name + " dbeta", beta, minus(db, db0), kLinearStep, loss);
    }
}

TEST_CASE("batch_norm train: dx for two values per channel (ill-conditioned, eps = 0.5)", "[gradcheck][batch_norm]") {
    // With a large eps the m == 2 case has an O(1) gradient and can be checked like the others.
    const Shape s{2, 1, 3};
    const int batch = 1;
    salt::Rng rng(250);
    const salt::ops::BatchNormParams bp{0.5, 0.1};
    V x = randn(rng, s.size()), gamma = uniform(rng, 3, 0.5, 1.5), beta = randn(rng, 3), r = randn(rng, s.size());
    V y(s.size()), sm(3), si(3);
    auto loss = [&] {
        V rm(3, 0.0), rv(3, 1.0);
        salt::ops::batch_norm_forward_train(s, batch, bp, x.data(), gamma.data(), beta.data(), rm.data(),
                                            rv.data(), y.data(), sm.data(), si.data());
        return dot(y, r);
    };
    loss();
    V dx = nans(x.size()), dg(3, 0.0), db(3, 0.0);
    salt::ops::batch_norm_backward_train(s, batch, x.data(), r.data(), gamma.data(), sm.data(), si.data(),
                                         dx.data(), dg.data(), db.data());
    check_grad("batch_norm_train m=2 eps=0.5 dx", x, dx, kSmoothStep, loss);
}

TEST_CASE("batch_norm eval: gradients w.r.t. x, gamma, beta", "[gradcheck][batch_norm]") {
    const std::vector<std::pair<Shape, int>> cases = {{{5, 3, 4}, 2}, {{1, 1, 3}, 1}, {{7, 5, 2}, 1}};
    std::uint64_t seed = 300;
    for (const auto& [s, batch] : cases) {
        const std::string name = "batch_norm_eval " + describe(s, batch);
        INFO(name);
        salt::Rng rng(seed++);
        const std::size_t n = s.size() * batch;
        const salt::ops::BatchNormParams bp{1e-5, 0.1};
        V x = randn(rng, n, 1.5, 0.7);
        V gamma = uniform(rng, s.c, 0.5, 1.5), beta = randn(rng, s.c);
        const V rm = randn(rng, s.c), rv = uniform(rng, s.c, 0.3, 2.0);
        V r = randn(rng, n), y(n);
        auto loss = [&] {
            salt::ops::batch_norm_forward_eval(s, batch, bp, x.data(), gamma.data(), beta.data(), rm.data(),
                                               rv.data(), y.data());
            return dot(y, r);
        };
        V dx = nans(n);
        const V dg0 = randn(rng, s.c), db0 = randn(rng, s.c);
        V dg = dg0, db = db0;
        salt::ops::batch_norm_backward_eval(s, batch, bp, x.data(), r.data(), gamma.data(), rm.data(), rv.data(),
                                            dx.data(), dg.data(), db.data());
        check_grad(name + " dx", x, dx, kLinearStep, loss);
        check_grad(name + " dgamma", gamma, minus(dg, dg0), kLinearStep, loss);
        check_grad(name + " dbeta", beta, minus(db, db0), kLinearStep, loss);
    }
}

// ----------------------------------------------------------------------------------- element-wise ops

TEST_CASE("relu: gradient away from 0", "[gradcheck][relu]") {
    salt::Rng rng(400);
    const std::size_t n = 200;
    V x(n);
    for (auto& v : x) {
        const double m = 0.05 + 2.0 * rng.uniform();  // |x| >= 0.05 > 2h: no perturbation crosses 0
        v = rng.below(2) ? m : -m;
    }
    V r = randn(rng, n), y(n);
    auto loss = [&] {
        salt::ops::relu_forward(n, x.data(), y.data());
        return dot(y, r);
    };
    loss();
    V dx = nans(n);
    salt::ops::relu_backward(n, y.data(), r.data(), dx.data());
    check_grad("relu dx", x, dx, kSmoothStep, loss);
}

TEST_CASE("sigmoid: gradient", "[gradcheck][sigmoid]") {
    salt::Rng rng(410);
    const std::size_t n = 200;
    V x = uniform(rng, n, -8.0, 8.0), r = randn(rng, n), y(n);
    auto loss = [&] {
        salt::ops::sigmoid_forward(n, x.data(), y.data());
        return dot(y, r);
    };
    loss();
    V dx = nans(n);
    salt::ops::sigmoid_backward(n, y.data(), r.data(), dx.data());
    // The floor applies to the tails (|x| near 8 gives sigma' ~ 3e-4).
    check_grad("sigmoid dx", x, dx, kSmoothStep, loss);
}

TEST_CASE("add: gradients w.r.t. both operands; accumulate", "[gradcheck][add]") {
    salt::Rng rng(420);
    const std::size_t n = 150;
    V a = randn(rng, n), b = randn(rng, n), r = randn(rng, n), y(n);
    auto loss = [&] {
        salt::ops::add_forward(n, a.data(), b.data(), y.data());
        return dot(y, r);
    };
    V da = nans(n), db = nans(n);
    salt::ops::add_backward(n, r.data(), da.data(), db.data());
    check_grad("add da", a, da, kLinearStep, loss);
    check_grad("add db", b, db, kLinearStep, loss);

    // accumulate: L = sum((dst + src) * r) as a function of src has gradient r.
    V src = randn(rng, n), dst0 = randn(rng, n), out(n);
    auto loss2 = [&] {
        out = dst0;
        salt::ops::accumulate(n, src.data(), out.data());
        return dot(out, r);
    };
    check_grad("accumulate dsrc", src, r, kLinearStep, loss2);
}

TEST_CASE("dropout: gradient with a fixed mask", "[gradcheck][dropout]") {
    for (double p : {0.0, 0.3, 0.5, 0.9}) {
        INFO("p = " << p);
        salt::Rng data(430);
        const std::size_t n = 300;
        V x = randn(data, n), r = randn(data, n), y(n);
        std::vector<std::uint8_t> mask(n);
        auto loss = [&] {
            salt::ops::dropout_forward(n, p, 4242, x.data(), y.data(), mask.data());  // one seed: one mask
            return dot(y, r);
        };
        loss();
        const auto mask0 = mask;
        V dx = nans(n);
        salt::ops::dropout_backward(n, p, mask.data(), r.data(), dx.data());
        check_grad("dropout dx p=" + std::to_string(p), x, dx, kLinearStep, loss);
        CHECK(mask == mask0);
    }
}

// ------------------------------------------------------------------------------------ spatial ops

TEST_CASE("global_avg_pool: gradient", "[gradcheck][global_avg_pool]") {
    const std::vector<std::pair<Shape, int>> cases = {{{7, 5, 3}, 2}, {{1, 1, 4}, 3}, {{16, 16, 2}, 1}};
    std::uint64_t seed = 500;
    for (const auto& [s, batch] : cases) {
        salt::Rng rng(seed++);
        V x = randn(rng, s.size() * batch), r = randn(rng, std::size_t(s.c) * batch), y(r.size());
        auto loss = [&] {
            salt::ops::global_avg_pool_forward(s, batch, x.data(), y.data());
            return dot(y, r);
        };
        V dx = nans(x.size());
        salt::ops::global_avg_pool_backward(s, batch, r.data(), dx.data());
        // Gradients are r / (h*w): with 16x16 they are ~4e-3, still above the floor.
        check_grad("global_avg_pool dx " + describe(s, batch), x, dx, kLinearStep, loss);
    }
}

TEST_CASE("max_pool2d: gradient with distinct values", "[gradcheck][max_pool]") {
    struct Case {
        Shape in;
        int batch;
        salt::Pool2dParams p;
    };
    const std::vector<Case> cases = {{{7, 5, 2}, 2, {3, 2, 1}}, {{9, 9, 3}, 1, {3, 2, 1}}, {{6, 6, 2}, 1, {2, 2, 0}},
                                     {{5, 7, 2}, 2, {3, 1, 1}}, {{1, 1, 2}, 2, {3, 2, 1}}, {{4, 3, 1}, 1, {3, 3, 0}}};
    std::uint64_t seed = 600;
    for (const auto& c : cases) {
        const Shape out = salt::pool2d_out_shape(c.in, c.p);
        const std::string name = "max_pool2d " + describe(c.in, c.batch) + " k" + std::to_string(c.p.kernel) + " s" +
                                 std::to_string(c.p.stride) + " p" + std::to_string(c.p.padding);
        INFO(name);
        salt::Rng rng(seed++);
        const std::size_t n = c.in.size() * c.batch;
        // Distinct values 0.013 apart (> 4h), half of them negative: no perturbation changes a winner.
        std::vector<std::size_t> perm(n);
        std::iota(perm.begin(), perm.end(), 0);
        for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng.below(i)]);
        V x(n);
        for (std::size_t i = 0; i < n; ++i) x[i] = (double(perm[i]) - double(n) / 2) * 0.013;
        V r = randn(rng, out.size() * c.batch), y(r.size());
        std::vector<std::int32_t> am(r.size());
        auto loss = [&] {
            salt::ops::max_pool2d_forward(c.in, c.batch, c.p, x.data(), y.data(), am.data());
            return dot(y, r);
        };
        loss();
        V dx = nans(n);
        salt::ops::max_pool2d_backward(c.in, c.batch, c.p, r.data(), am.data(), dx.data());
        check_grad(name + " dx", x, dx, kSmoothStep, loss);
    }
}

TEST_CASE("resize_bilinear: gradient, both alignments, up and down", "[gradcheck][resize_bilinear]") {
    struct Case {
        Shape in;
        int oh, ow;
    };
    const std::vector<Case> cases = {{{4, 5, 2}, 9, 7},  {{9, 7, 2}, 4, 3},  {{1, 1, 3}, 6, 5},  {{5, 5, 2}, 5, 5},
                                     {{3, 4, 2}, 1, 1},  {{6, 7, 1}, 13, 11}, {{13, 13, 1}, 7, 9}, {{2, 9, 1}, 5, 9}};
    std::uint64_t seed = 700;
    for (bool align : {false, true}) {
        for (const auto& c : cases) {
            const std::string name = "resize_bilinear " + describe(c.in, 2) + " -> " + std::to_string(c.oh) + "x" +
                                     std::to_string(c.ow) + (align ? " align_corners" : "");
            INFO(name);
            salt::Rng rng(seed++);
            const int batch = 2;
            V x = randn(rng, c.in.size() * batch);
            V r = randn(rng, std::size_t(c.oh) * c.ow * c.in.c * batch), y(r.size());
            auto loss = [&] {
                salt::ops::resize_bilinear_forward(c.in, batch, c.oh, c.ow, align, x.data(), y.data());
                return dot(y, r);
            };
            V dx = nans(x.size());
            salt::ops::resize_bilinear_backward(c.in, batch, c.oh, c.ow, align, r.data(), dx.data());
            check_grad(name + " dx", x, dx, kLinearStep, loss);
        }
    }
}

TEST_CASE("concat_channels: gradient w.r.t. every input", "[gradcheck][concat]") {
    salt::Rng rng(800);
    const std::size_t rows = 2 * 3 * 5;
    const std::vector<int> ch = {2, 3, 1, 4};
    std::vector<V> in;
    int total = 0;
    for (int c : ch) {
        in.push_back(randn(rng, rows * c));
        total += c;
    }
    V r = randn(rng, rows * total), y(r.size());
    auto loss = [&] {
        std::vector<const double*> ptrs;
        for (auto& v : in) ptrs.push_back(v.data());
        salt::ops::concat_channels_forward<double>(rows, ch, ptrs, y.data());
        return dot(y, r);
    };
    std::vector<V> d;
    std::vector<double*> dptrs;
    for (int c : ch) d.push_back(nans(rows * c));
    for (auto& v : d) dptrs.push_back(v.data());
    salt::ops::concat_channels_backward<double>(rows, ch, r.data(), dptrs);
    for (std::size_t i = 0; i < ch.size(); ++i) check_grad("concat d input " + std::to_string(i), in[i], d[i], kLinearStep, loss);
}

}  // namespace
