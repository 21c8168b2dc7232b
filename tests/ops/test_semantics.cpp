// Semantics of the reference ops that the gradient checks and the torch fixtures do not pin down:
// argument validation (std::invalid_argument naming the op), aliasing, overwrite vs accumulate,
// hand-computed values, edge cases (extremes, NaN, ties, p = 0 / 1), and that every op builds and
// runs in float as well as double.
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/core/rng.hpp"
#include "salt/ops/ops.hpp"

namespace {

using salt::Shape;
namespace ops = salt::ops;

// Runs f and requires std::invalid_argument whose message contains every given fragment.
template <class F>
void require_invalid(F&& f, std::initializer_list<const char*> fragments) {
    try {
        f();
        FAIL("expected std::invalid_argument");
    } catch (const std::invalid_argument& e) {
        const std::string msg = e.what();
        for (const char* frag : fragments) {
            INFO("message: " << msg);
            CHECK(msg.find(frag) != std::string::npos);
        }
    }
}

TEST_CASE("invalid arguments throw std::invalid_argument naming the op and values", "[unit][ops][validation]") {
    std::vector<float> a(4096, 1.f), b(4096, 1.f), c(4096, 1.f), d(4096, 1.f), e(4096, 1.f), f(4096, 1.f);
    std::vector<std::int32_t> idx(4096);
    salt::Rng rng(1);

    const salt::Conv2dParams p{3, 4, 3, 1, 1, 1, false};
    require_invalid([&] { ops::conv2d_forward(Shape{5, 5, 2}, 1, p, a.data(), b.data(), nullptr, c.data()); },
                    {"conv2d_forward", "2 channels", "in_channels=3"});
    require_invalid([&] { ops::conv2d_forward(Shape{2, 2, 3}, 1, salt::Conv2dParams{3, 4, 7, 1, 0, 1, false}, a.data(), b.data(), nullptr, c.data()); },
                    {"conv2d_forward", "does not fit", "kernel=7"});
    require_invalid([&] { ops::conv2d_forward(Shape{5, 5, 3}, 1, salt::Conv2dParams{3, 4, 3, 0, 1, 1, false}, a.data(), b.data(), nullptr, c.data()); },
                    {"conv2d_forward", "stride", "0"});
    require_invalid([&] { ops::conv2d_forward(Shape{5, 5, 3}, 1, salt::Conv2dParams{3, 4, 3, 1, 1, 1, true}, a.data(), b.data(), nullptr, c.data()); },
                    {"conv2d_forward", "bias"});
    require_invalid([&] { ops::conv2d_backward_data(Shape{5, 5, 3}, 0, p, a.data(), b.data(), c.data()); },
                    {"conv2d_backward_data", "batch", "0"});
    require_invalid([&] { ops::conv2d_backward_params(Shape{5, 5, 3}, 1, p, a.data(), b.data(), static_cast<float*>(nullptr), nullptr); },
                    {"conv2d_backward_params", "dw"});

    const ops::BatchNormParams bp{};
    require_invalid([&] { ops::batch_norm_forward_train(Shape{1, 1, 8}, 1, bp, a.data(), b.data(), c.data(), d.data(), e.data(), f.data(), a.data(), b.data()); },
                    {"batch_norm_forward_train", "Expected more than 1 value per channel when training", "batch=1"});
    require_invalid([&] { ops::batch_norm_backward_train(Shape{1, 1, 8}, 1, a.data(), b.data(), c.data(), d.data(), e.data(), f.data(), a.data(), b.data()); },
                    {"batch_norm_backward_train", "Expected more than 1 value per channel"});
    require_invalid([&] { ops::batch_norm_forward_train(Shape{2, 2, 8}, 1, ops::BatchNormParams{1e-5, 1.5}, a.data(), b.data(), c.data(), d.data(), e.data(), f.data(), a.data(), b.data()); },
                    {"batch_norm_forward_train", "momentum", "1.5"});
    std::vector<float> negvar(8, -1.f);
    require_invalid([&] { ops::batch_norm_forward_eval(Shape{2, 2, 8}, 1, bp, a.data(), b.data(), c.data(), d.data(), negvar.data(), f.data()); },
                    {"batch_norm_forward_eval", "running_var"});

    require_invalid([&] { ops::max_pool2d_forward(Shape{5, 5, 1}, 1, salt::Pool2dParams{3, 2, 2}, a.data(), b.data(), idx.data()); },
                    {"max_pool2d_forward", "padding=2", "kernel=3"});
    require_invalid([&] { ops::max_pool2d_forward(Shape{2, 2, 1}, 1, salt::Pool2dParams{5, 1, 0}, a.data(), b.data(), idx.data()); },
                    {"max_pool2d_forward", "does not fit"});
    std::vector<std::int32_t> bad_idx(4, 99);
    require_invalid([&] { ops::max_pool2d_backward(Shape{4, 4, 1}, 1, salt::Pool2dParams{2, 2, 0}, a.data(), bad_idx.data(), b.data()); },
                    {"max_pool2d_backward", "99"});

    require_invalid([&] { ops::resize_bilinear_forward(Shape{4, 4, 1}, 1, 0, 5, false, a.data(), b.data()); },
                    {"resize_bilinear_forward", "0x5"});
    require_invalid([&] { ops::resize_bilinear_backward(Shape{0, 4, 1}, 1, 3, 5, true, a.data(), b.data()); },
                    {"resize_bilinear_backward", "h=0"});
    require_invalid([&] { ops::global_avg_pool_forward(Shape{4, 4, 1}, -1, a.data(), b.data()); },
                    {"global_avg_pool_forward", "-1"});

    const int ch2[] = {2, 3};
    const int ch_bad[] = {2, 0};
    const float* in1[] = {a.data()};
    const float* in2[] = {a.data(), b.data()};
    require_invalid([&] { ops::concat_channels_forward<float>(4, ch2, in1, c.data()); },
                    {"concat_channels_forward", "2 channel counts", "1 tensors"});
    require_invalid([&] { ops::concat_channels_forward<float>(4, ch_bad, in2, c.data()); },
                    {"concat_channels_forward", "input 1 has 0 channels"});

    std::vector<std::uint8_t> mask(16);
    require_invalid([&] { ops::dropout_forward(16, 1.5, 1, a.data(), b.data(), mask.data()); },
                    {"dropout_forward", "1.5"});
    require_invalid([&] { ops::dropout_forward(16, -0.1, 1, a.data(), b.data(), mask.data()); },
                    {"dropout_forward", "-0.1"});
    require_invalid([&] { ops::dropout_backward(16, std::nan(""), mask.data(), a.data(), b.data()); },
                    {"dropout_backward", "nan"});
    require_invalid([&] { ops::relu_forward<float>(4, nullptr, b.data()); }, {"relu_forward", "'x'"});
    require_invalid([&] { ops::add_forward<float>(4, a.data(), nullptr, c.data()); }, {"add_forward", "'b'"});
}

TEST_CASE("conv2d: hand-computed values, layout conversion, overwrite and accumulate", "[unit][ops][conv2d]") {
    // 3x3 input, one channel, 2x2 kernel of ones, padding 0: each output is a 2x2 window sum.
    const salt::Conv2dParams p{1, 1, 2, 1, 0, 1, true};
    const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w = {1, 1, 1, 1}, bias = {0.5};
    std::vector<double> y(4, -1);
    ops::conv2d_forward(Shape{3, 3, 1}, 1, p, x.data(), w.data(), bias.data(), y.data());
    CHECK(y == std::vector<double>{12.5, 16.5, 24.5, 28.5});
    // A null bias with params.bias == false is allowed.
    ops::conv2d_forward(Shape{3, 3, 1}, 1, salt::Conv2dParams{1, 1, 2, 1, 0, 1, false}, x.data(), w.data(),
                        nullptr, y.data());
    CHECK(y == std::vector<double>{12, 16, 24, 28});

    // dx is overwritten; dw and dbias accumulate.
    const std::vector<double> dy = {1, 1, 1, 1};
    std::vector<double> dx(9, 1e9), dw(4, 10.0), db(1, 100.0);
    ops::conv2d_backward_data(Shape{3, 3, 1}, 1, p, dy.data(), w.data(), dx.data());
    CHECK(dx == std::vector<double>{1, 2, 1, 2, 4, 2, 1, 2, 1});
    ops::conv2d_backward_params(Shape{3, 3, 1}, 1, p, x.data(), dy.data(), dw.data(), db.data());
    CHECK(dw == std::vector<double>{10 + 12, 10 + 16, 10 + 24, 10 + 28});
    CHECK(db[0] == 104.0);

    // OIHW -> HWIO: element (co, ci, ky, kx) lands at ((ky*k + kx)*cin + ci)*cout + co.
    const salt::Conv2dParams q{3, 2, 3, 1, 1, 1, false};
    std::vector<float> oihw(q.weight_count()), hwio(q.weight_count()), back(q.weight_count());
    for (std::size_t i = 0; i < oihw.size(); ++i) oihw[i] = float(i);
    ops::conv2d_weight_from_oihw(salt::WeightLayout::hwio, q, oihw.data(), hwio.data());
    for (int co = 0; co < 2; ++co)
        for (int ci = 0; ci < 3; ++ci)
            for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 3; ++kx)
                    REQUIRE(hwio[((ky * 3 + kx) * 3 + ci) * 2 + co] == oihw[((co * 3 + ci) * 3 + ky) * 3 + kx]);
    ops::conv2d_weight_to_oihw(salt::WeightLayout::hwio, q, hwio.data(), back.data());
    CHECK(back == oihw);
    // OIHW -> OHWI (cuDNN's NHWC filters, KRSC): element (co, ci, ky, kx) lands at ((co*k + ky)*k + kx)*cin + ci.
    std::vector<float> ohwi(q.weight_count()), from_hwio(q.weight_count());
    ops::conv2d_weight_from_oihw(salt::WeightLayout::ohwi, q, oihw.data(), ohwi.data());
    for (int co = 0; co < 2; ++co)
        for (int ci = 0; ci < 3; ++ci)
            for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 3; ++kx)
                    REQUIRE(ohwi[((co * 3 + ky) * 3 + kx) * 3 + ci] == oihw[((co * 3 + ci) * 3 + ky) * 3 + kx]);
    ops::conv2d_weight_to_oihw(salt::WeightLayout::ohwi, q, ohwi.data(), back.data());
    CHECK(back == oihw);
    ops::conv2d_weight_from_hwio(salt::WeightLayout::ohwi, q, hwio.data(), from_hwio.data());
    CHECK(from_hwio == ohwi);
}

TEST_CASE("batch_norm: hand-computed statistics, unbiased running variance", "[unit][ops][batch_norm]") {
    // One channel, values 1..4: mean 2.5, biased var 1.25, unbiased var 5/3.
    const std::vector<double> x = {1, 2, 3, 4}, g = {2}, b = {0.5};
    std::vector<double> rm = {0}, rv = {1}, y(4), sm(1), si(1);
    ops::batch_norm_forward_train(Shape{2, 2, 1}, 1, ops::BatchNormParams{0.0, 0.1}, x.data(), g.data(),
                                  b.data(), rm.data(), rv.data(), y.data(), sm.data(), si.data());
    CHECK(sm[0] == Approx(2.5).epsilon(1e-15));
    CHECK(si[0] == Approx(1 / std::sqrt(1.25)).epsilon(1e-15));
    CHECK(rm[0] == Approx(0.25).epsilon(1e-15));
    CHECK(rv[0] == Approx(0.9 + 0.1 * 5.0 / 3.0).epsilon(1e-15));
    for (int i = 0; i < 4; ++i) CHECK(y[i] == Approx((x[i] - 2.5) / std::sqrt(1.25) * 2 + 0.5).epsilon(1e-14));

    // Batch 2 of a 1x1 map (the ASPP pooling branch with batch > 1) is allowed.
    const std::vector<float> x2 = {1.f, -1.f};
    std::vector<float> g2 = {1.f}, b2 = {0.f}, rm2 = {0.f}, rv2 = {1.f}, y2(2), sm2(1), si2(1);
    ops::batch_norm_forward_train(Shape{1, 1, 1}, 2, ops::BatchNormParams{}, x2.data(), g2.data(), b2.data(),
                                  rm2.data(), rv2.data(), y2.data(), sm2.data(), si2.data());
    CHECK(y2[0] == Approx(1.0).epsilon(1e-4));
    CHECK(y2[1] == Approx(-1.0).epsilon(1e-4));

    // Eval uses the running statistics; dgamma/dbeta accumulate, dx is overwritten.
    std::vector<double> ye(4), dx(4, 1e9), dg = {1}, db = {1};
    const std::vector<double> erm = {1}, erv = {4};
    ops::batch_norm_forward_eval(Shape{2, 2, 1}, 1, ops::BatchNormParams{0.0, 0.1}, x.data(), g.data(), b.data(),
                                 erm.data(), erv.data(), ye.data());
    CHECK(ye == std::vector<double>{0.5, 1.5, 2.5, 3.5});
    const std::vector<double> dy = {1, 1, 1, 1};
    ops::batch_norm_backward_eval(Shape{2, 2, 1}, 1, ops::BatchNormParams{0.0, 0.1}, x.data(), dy.data(),
                                  g.data(), erm.data(), erv.data(), dx.data(), dg.data(), db.data());
    CHECK(dx == std::vector<double>{1, 1, 1, 1});
    CHECK(dg[0] == 1 + (0 + 0.5 + 1 + 1.5));
    CHECK(db[0] == 5);
}

TEST_CASE("relu and sigmoid: in place, extremes, NaN", "[unit][ops][relu][sigmoid]") {
    std::vector<float> v = {-2.f, -0.f, 0.f, 3.f, std::numeric_limits<float>::quiet_NaN()};
    ops::relu_forward(v.size(), v.data(), v.data());  // in place
    CHECK(v[0] == 0.f);
    CHECK(v[3] == 3.f);
    CHECK(std::isnan(v[4]));  // NaN propagates, as torch
    std::vector<float> g = {5.f, 5.f, 5.f, 5.f, 5.f};
    ops::relu_backward(4, v.data(), g.data(), g.data());  // dx aliases dy
    CHECK(g[0] == 0.f);
    CHECK(g[1] == 0.f);
    CHECK(g[2] == 0.f);
    CHECK(g[3] == 5.f);

    for (double big : {30.0, 100.0, 1000.0, 1e30}) {
        float s[2] = {float(big), float(-big)};
        ops::sigmoid_forward(2, s, s);
        CHECK(std::isfinite(s[0]));
        CHECK(std::isfinite(s[1]));
        CHECK(s[0] == Approx(1.0));
        CHECK(s[1] >= 0.f);
        CHECK(s[1] < 1e-12f);
        double t[2] = {big, -big};
        ops::sigmoid_forward(2, t, t);
        CHECK(t[0] == Approx(1.0));
        CHECK(t[1] == Approx(std::exp(-big)).epsilon(1e-12));  // relative accuracy in the left tail
    }
    double z = 0, dz = 2;
    ops::sigmoid_forward(1, &z, &z);
    CHECK(z == 0.5);
    ops::sigmoid_backward(1, &z, &dz, &dz);
    CHECK(dz == 0.5);
}

TEST_CASE("add: aliasing and null gradient outputs", "[unit][ops][add]") {
    std::vector<float> a = {1, 2, 3}, b = {10, 20, 30};
    ops::add_forward(3, a.data(), b.data(), a.data());
    CHECK(a == std::vector<float>{11, 22, 33});
    std::vector<float> dy = {1, 2, 3}, da(3, -1);
    ops::add_backward(3, dy.data(), da.data(), nullptr);
    CHECK(da == dy);
    ops::accumulate(3, dy.data(), da.data());
    CHECK(da == std::vector<float>{2, 4, 6});
}

TEST_CASE("max_pool2d: padding never wins, ties pick the first, NaN wins", "[unit][ops][max_pool]") {
    // All negative: a 3x3/s2/p1 pool of a 3x3 map. Output (0,0) sees the top-left 2x2 real values.
    const std::vector<float> x = {-5, -4, -9, -3, -8, -7, -6, -2, -1};
    std::vector<float> y(4);
    std::vector<std::int32_t> am(4);
    ops::max_pool2d_forward(Shape{3, 3, 1}, 1, salt::Pool2dParams{3, 2, 1}, x.data(), y.data(), am.data());
    CHECK(y == std::vector<float>{-3, -4, -2, -1});
    CHECK(am == std::vector<std::int32_t>{3, 1, 7, 8});

    // Ties: first maximum in row-major order inside the window.
    const std::vector<double> t = {1, 1, 1, 1};
    std::vector<double> ty(1);
    std::vector<std::int32_t> ta(1);
    ops::max_pool2d_forward(Shape{2, 2, 1}, 1, salt::Pool2dParams{2, 2, 0}, t.data(), ty.data(), ta.data());
    CHECK(ta[0] == 0);
    // The backward scatters into the argmax and zeroes (overwrites) everything else.
    std::vector<double> dx(4, 7.0);
    const double g = 3.0;
    ops::max_pool2d_backward(Shape{2, 2, 1}, 1, salt::Pool2dParams{2, 2, 0}, &g, ta.data(), dx.data());
    CHECK(dx == std::vector<double>{3, 0, 0, 0});

    const std::vector<float> n = {1.f, std::numeric_limits<float>::quiet_NaN(), 5.f, 2.f};
    std::vector<float> ny(1);
    ops::max_pool2d_forward(Shape{2, 2, 1}, 1, salt::Pool2dParams{2, 2, 0}, n.data(), ny.data(), ta.data());
    CHECK(std::isnan(ny[0]));
    CHECK(ta[0] == 1);

    // Overlapping windows (stride 1) accumulate into the same input position.
    const std::vector<float> m = {0, 0, 0, 0, 9, 0, 0, 0, 0};
    std::vector<float> my(9), mdy(9, 1.f), mdx(9);
    std::vector<std::int32_t> ma(9);
    ops::max_pool2d_forward(Shape{3, 3, 1}, 1, salt::Pool2dParams{3, 1, 1}, m.data(), my.data(), ma.data());
    ops::max_pool2d_backward(Shape{3, 3, 1}, 1, salt::Pool2dParams{3, 1, 1}, mdy.data(), ma.data(), mdx.data());
    CHECK(mdx[4] == 9.f);
}

TEST_CASE("global_avg_pool and resize: hand-computed values", "[unit][ops][global_avg_pool][resize_bilinear]") {
    const std::vector<double> x = {1, 10, 2, 20, 3, 30, 4, 40};  // 2x2x2
    std::vector<double> y(2), dx(8, -1);
    ops::global_avg_pool_forward(Shape{2, 2, 2}, 1, x.data(), y.data());
    CHECK(y == std::vector<double>{2.5, 25});
    const std::vector<double> dy = {4, 8};
    ops::global_avg_pool_backward(Shape{2, 2, 2}, 1, dy.data(), dx.data());
    CHECK(dx == std::vector<double>{1, 2, 1, 2, 1, 2, 1, 2});

    // 1x1 -> 3x4 broadcasts; identity size copies exactly (both alignments).
    for (bool align : {false, true}) {
        const float one[2] = {7.f, -3.f};
        std::vector<float> up(3 * 4 * 2);
        ops::resize_bilinear_forward(Shape{1, 1, 2}, 1, 3, 4, align, one, up.data());
        for (std::size_t i = 0; i < up.size(); ++i) REQUIRE(up[i] == one[i % 2]);
        std::vector<float> src(5 * 3), same(5 * 3);
        for (std::size_t i = 0; i < src.size(); ++i) src[i] = float(i) * 0.37f - 1.f;
        ops::resize_bilinear_forward(Shape{5, 3, 1}, 1, 5, 3, align, src.data(), same.data());
        CHECK(same == src);
    }
    // 1-D 2 -> 4 along w, align_corners=false: src = (d + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25.
    const double row[2] = {0, 4};
    double out[4];
    ops::resize_bilinear_forward(Shape{1, 2, 1}, 1, 1, 4, false, row, out);
    CHECK(out[0] == 0);
    CHECK(out[1] == 1);
    CHECK(out[2] == 3);
    CHECK(out[3] == 4);
    // align_corners=true: src = d/3 -> 0, 4/3, 8/3, 4.
    ops::resize_bilinear_forward(Shape{1, 2, 1}, 1, 1, 4, true, row, out);
    CHECK(out[0] == 0);
    CHECK(out[1] == Approx(4.0 / 3));
    CHECK(out[2] == Approx(8.0 / 3));
    CHECK(out[3] == 4);
}

TEST_CASE("concat_channels: layout and skipped gradients", "[unit][ops][concat]") {
    const std::vector<int> ch = {1, 2};
    const std::vector<float> a = {1, 2}, b = {10, 11, 20, 21};
    const std::vector<const float*> in = {a.data(), b.data()};
    std::vector<float> y(6);
    ops::concat_channels_forward<float>(2, ch, in, y.data());
    CHECK(y == std::vector<float>{1, 10, 11, 2, 20, 21});
    std::vector<float> db(4, -1);
    const std::vector<float*> d = {nullptr, db.data()};
    ops::concat_channels_backward<float>(2, ch, y.data(), d);
    CHECK(db == b);
}

TEST_CASE("dropout: p = 0, p = 1, keep rate, determinism, scaling", "[unit][ops][dropout]") {
    const std::size_t n = 100000;
    std::vector<float> x(n), y(n), dx(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = float(i % 17) - 8.f;
    std::vector<std::uint8_t> mask(n, 7);

    ops::dropout_forward(n, 0.0, 9, x.data(), y.data(), mask.data());
    CHECK(y == x);
    CHECK(std::count(mask.begin(), mask.end(), 1) == std::ptrdiff_t(n));

    ops::dropout_forward(n, 1.0, 9, x.data(), y.data(), mask.data());
    CHECK(std::count(y.begin(), y.end(), 0.f) == std::ptrdiff_t(n));
    CHECK(std::count(mask.begin(), mask.end(), 0) == std::ptrdiff_t(n));
    ops::dropout_backward(n, 1.0, mask.data(), x.data(), dx.data());
    CHECK(std::count(dx.begin(), dx.end(), 0.f) == std::ptrdiff_t(n));

    for (double p : {0.1, 0.5}) {
        ops::dropout_forward(n, p, 123, x.data(), y.data(), mask.data());
        const double kept = double(std::count(mask.begin(), mask.end(), 1)) / double(n);
        // Binomial: sd = sqrt(p(1-p)/n) <= 1.6e-3; 5 sd.
        CHECK(std::abs(kept - (1 - p)) < 8e-3);
        const float scale = float(1.0 / (1.0 - p));
        for (std::size_t i = 0; i < n; ++i) REQUIRE(y[i] == (mask[i] ? x[i] * scale : 0.f));
        // Element i's draw is a function of (seed, i) alone: the same seed gives the same mask, and
        // the first half of a mask does not depend on the length (threads or devices may draw any part).
        std::vector<std::uint8_t> mask2(n), half(n / 2);
        std::vector<float> y2(n);
        ops::dropout_forward(n, p, 123, x.data(), y2.data(), mask2.data());
        CHECK(mask2 == mask);
        ops::dropout_forward(n / 2, p, 123, x.data(), y2.data(), half.data());
        CHECK(std::equal(half.begin(), half.end(), mask.begin()));
        // Element i is kept exactly when its uniform draw u_i = (counter_u64(seed, i) >> 11) 2^-53 is >= p.
        for (std::size_t i = 0; i < n; i += 997) {
            const double u = double(salt::counter_u64(123, i) >> 11) * (1.0 / 9007199254740992.0);
            REQUIRE(mask[i] == (u >= p ? 1 : 0));
        }
        // Another seed, another mask.
        ops::dropout_forward(n, p, 124, x.data(), y2.data(), mask2.data());
        CHECK(mask2 != mask);
        // Backward in place.
        std::vector<float> g(n, 1.f);
        ops::dropout_backward(n, p, mask.data(), g.data(), g.data());
        for (std::size_t i = 0; i < n; ++i) REQUIRE(g[i] == (mask[i] ? scale : 0.f));
    }
}

// Every backward op in float (what training runs) agrees with the same op in double on the same
// inputs. Tolerance 1e-5 of the largest |value|: the float kernels accumulate reductions in double,
// so the only float error is the rounding of inputs/outputs and element-wise products (a few u).
template <class F>
void float_vs_double(const char* what, F&& run) {
    std::vector<double> d;
    std::vector<float> f;
    run(d, 0.0);
    run(f, 0.0f);
    REQUIRE(d.size() == f.size());
    double num = 0, den = 0;
    for (std::size_t i = 0; i < d.size(); ++i) {
        num = std::max(num, std::abs(double(f[i]) - d[i]));
        den = std::max(den, std::abs(d[i]));
    }
    INFO(what << ": max |float - double| = " << num << ", max |double| = " << den);
    CHECK(den > 0);
    CHECK(num <= 1e-5 * den);
}

template <class T>
std::vector<T> seq(std::size_t n, std::uint64_t seed) {
    salt::Rng r(seed);
    std::vector<T> v(n);
    for (auto& e : v) e = T(r.normal());
    return v;
}

TEST_CASE("backward ops in float agree with double", "[unit][ops][float]") {
    const Shape in{9, 7, 3};
    const int batch = 2;
    float_vs_double("conv2d backward (dx, dw, dbias)", [&](auto& out, auto zero) {
        using T = decltype(zero);
        const salt::Conv2dParams p{3, 4, 3, 2, 2, 2, true};
        const Shape o = salt::conv2d_out_shape(in, p);
        const auto x = seq<T>(in.size() * batch, 1), w = seq<T>(p.weight_count(), 2), dy = seq<T>(o.size() * batch, 3);
        std::vector<T> dx(x.size()), dw(w.size(), T(0)), db(4, T(0));
        ops::conv2d_backward_data(in, batch, p, dy.data(), w.data(), dx.data());
        ops::conv2d_backward_params(in, batch, p, x.data(), dy.data(), dw.data(), db.data());
        out.assign(dx.begin(), dx.end());
        out.insert(out.end(), dw.begin(), dw.end());
        out.insert(out.end(), db.begin(), db.end());
    });
    float_vs_double("batch_norm backward train and eval", [&](auto& out, auto zero) {
        using T = decltype(zero);
        const auto x = seq<T>(in.size() * batch, 4), dy = seq<T>(in.size() * batch, 5);
        std::vector<T> g(3, T(1.3)), b(3, T(0.2)), rm(3, T(0)), rv(3, T(1)), y(x.size()), sm(3), si(3);
        ops::batch_norm_forward_train(in, batch, ops::BatchNormParams{}, x.data(), g.data(), b.data(), rm.data(),
                                      rv.data(), y.data(), sm.data(), si.data());
        std::vector<T> dx(x.size()), dg(3, T(0)), dbe(3, T(0)), dx2(x.size());
        ops::batch_norm_backward_train(in, batch, x.data(), dy.data(), g.data(), sm.data(), si.data(), dx.data(),
                                       dg.data(), dbe.data());
        ops::batch_norm_backward_eval(in, batch, ops::BatchNormParams{}, x.data(), dy.data(), g.data(),
                                      rm.data(), rv.data(), dx2.data(), dg.data(), dbe.data());
        out.assign(y.begin(), y.end());
        out.insert(out.end(), dx.begin(), dx.end());
        out.insert(out.end(), dx2.begin(), dx2.end());
        out.insert(out.end(), dg.begin(), dg.end());
        out.insert(out.end(), dbe.begin(), dbe.end());
    });
    float_vs_double("max pool, resize, gap, sigmoid, relu, dropout backward", [&](auto& out, auto zero) {
        using T = decltype(zero);
        const auto x = seq<T>(in.size() * batch, 6);
        const salt::Pool2dParams pp{3, 2, 1};
        const Shape po = salt::pool2d_out_shape(in, pp);
        std::vector<T> py(po.size() * batch), pdx(x.size());
        std::vector<std::int32_t> am(py.size());
        ops::max_pool2d_forward(in, batch, pp, x.data(), py.data(), am.data());
        const auto pdy = seq<T>(py.size(), 7);
        ops::max_pool2d_backward(in, batch, pp, pdy.data(), am.data(), pdx.data());
        const auto rdy = seq<T>(std::size_t(20) * 17 * 3 * batch, 8);
        std::vector<T> rdx(x.size()), rdx2(x.size()), gy(3 * batch), gdx(x.size()), s(x.size()), sdx(x.size());
        ops::resize_bilinear_backward(in, batch, 20, 17, false, rdy.data(), rdx.data());
        ops::resize_bilinear_backward(in, batch, 20, 17, true, rdy.data(), rdx2.data());
        ops::global_avg_pool_forward(in, batch, x.data(), gy.data());
        ops::global_avg_pool_backward(in, batch, gy.data(), gdx.data());
        ops::sigmoid_forward(x.size(), x.data(), s.data());
        ops::sigmoid_backward(x.size(), s.data(), x.data(), sdx.data());
        std::vector<T> ry(x.size()), rdxx(x.size()), dy(x.size()), ddx(x.size());
        ops::relu_forward(x.size(), x.data(), ry.data());
        ops::relu_backward(x.size(), ry.data(), x.data(), rdxx.data());
        std::vector<std::uint8_t> mask(x.size());
        ops::dropout_forward(x.size(), 0.5, 5, x.data(), dy.data(), mask.data());
        ops::dropout_backward(x.size(), 0.5, mask.data(), x.data(), ddx.data());
        for (const auto* v : {&pdx, &rdx, &rdx2, &gdx, &s, &sdx, &rdxx, &dy, &ddx}) out.insert(out.end(), v->begin(), v->end());
    });
}

}  // namespace
