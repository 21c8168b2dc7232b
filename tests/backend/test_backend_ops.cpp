// tests/backend/test_backend_ops.cpp — backend conformance (the idea of ggml's test-backend-ops):
// for every backend, every op it *declares* (B::ops), forward and backward, every output, against
// the reference kernels run in double on the same (float-representable) inputs, over a list of
// shapes that includes the model's odd ones (the 101x101 path 51 -> 26 -> 13, strides, dilations
// 1/2/4/12/24/36, padding at the edges, 1x1 maps, batch 1 and 3). The list of ops comes from the
// backend's declaration, not from this file: an op with no case here does not compile, and a
// backend declaring an op runs its case. Inputs and outputs move only through the backend's own
// copies, so the same test runs on backends whose memory the host cannot touch.
//
// Tolerances (fp32, eps = 2^-24 relative rounding, i.e. FLT_EPSILON / 2):
//  * Sums of K products (convolutions): a float sum of K terms computed in any order is within
//    gamma_K * sum|terms| of the exact one (Higham, "Accuracy and Stability of Numerical Algorithms",
//    3.1); the errors of blocked/FMA sums behave like a random walk, so we allow
//        |got - exact| <= 4 * sqrt(K + 1) * eps_f * sum|terms| + 1e-30
//    per element, where sum|terms| is the same op applied (in double) to |inputs| (the +1 covers
//    the value a weight gradient accumulates into).
//  * Batch norm: every output is a smooth function of per-channel sums over m = batch*h*w values;
//    we allow 32 * sqrt(m) * eps_f * max(1, max|exact|) per output array (its sums are float blocks
//    of 64 added in double, and xhat is formed in float: a few eps relative, times the sqrt(m) of
//    the float blocks).
//  * Element-wise ops: one or two roundings: 4 * eps_f * |exact| (sigmoid: 16 ulp for xsimd's exp).
//  * Adam: p - step * m / (sqrt(v)/c + eps), each op rounded once in float: 8 eps of |p| + |update|.
//  * Losses: computed in double from the same float inputs; only the order of the sums may differ
//    (1e-12 relative); the gradient is that double value rounded once (1 ulp).
//  * Integer outputs (argmax, dropout masks, mask statistics) and pure copies (concat, crop, flip,
//    max value, threshold): exact.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <omp.h>
#include <xsimd/xsimd.hpp>

#include "backend/conformance.hpp"
#include "support/test_env.hpp"
#include "salt/backend/reference/reference.hpp"
#include "salt/backend/simd/simd.hpp"

namespace {

using namespace salt::test::conformance;
namespace bk = salt::backend;
namespace ops = salt::ops;
using salt::Conv2dParams;
using salt::Shape;

}  // namespace

TEST_CASE("every op every backend declares matches the reference in double", "[backend]") {
    INFO("xsimd architecture: " << xsimd::default_arch::name() << ", threads " << omp_get_max_threads());
#ifdef SALT_EXPECT_ARCH
    CHECK(std::string(xsimd::default_arch::name()) == SALT_EXPECT_ARCH);
#endif
    {
        bk::Reference::device d;
        CHECK(run_declared<bk::Reference>(d) == bk::Reference::ops.size());
    }
    {
        bk::Simd::device d;
        CHECK(run_declared<bk::Simd>(d) == bk::Simd::ops.size());
    }
}


// The three passes of one convolution on the simd backend against the reference in double.
void check_conv_all(salt::backend::simd::Device& dev, const ConvCase& cc, float (*quantise)(float) = nullptr) {
    check_conv_forward<bk::Simd>(dev, cc, quantise);
    check_conv_backward_data<bk::Simd>(dev, cc, quantise);
    check_conv_backward_params<bk::Simd>(dev, cc, quantise);
}

// The simd backend's own structure: dead-tap pruning, padding-free regions, fusion, threads, bf16.
TEST_CASE("live taps are computed at compile time", "[backend]") {
    namespace sk = salt::backend::simd;
    // ASPP rate 24 and 36 at 16x16 (128 input) and 13x13 (101 input): only the centre tap is live.
    constexpr Conv2dParams r12{2048, 256, 3, 1, 12, 12}, r24{2048, 256, 3, 1, 24, 24}, r36{2048, 256, 3, 1, 36, 36};
    static_assert(sk::conv2d_live_taps({16, 16, 2048}, r36).count() == 1);
    static_assert(sk::conv2d_live_taps({16, 16, 2048}, r36).live(1, 1));
    static_assert(sk::conv2d_live_taps({16, 16, 2048}, r24).count() == 1);
    static_assert(sk::conv2d_live_taps({13, 13, 2048}, r24).count() == 1);
    static_assert(sk::conv2d_live_taps({16, 16, 2048}, r12).all());
    static_assert(sk::conv2d_live_taps({13, 13, 2048}, r12).all());
    // layer4's dilation-4 convs at 16x16 keep all taps; at 4x4 only the centre.
    static_assert(sk::conv2d_live_taps({16, 16, 512}, {512, 512, 3, 1, 4, 4}).all());
    static_assert(sk::conv2d_live_taps({4, 4, 512}, {512, 512, 3, 1, 4, 4}).count() == 1);
    // a 1x1 map with a padded 3x3: centre only
    static_assert(sk::conv2d_live_taps({1, 1, 8}, {8, 8, 3, 1, 1, 1}).count() == 1);
    // brute force against the definition on small cases
    for (int h = 1; h <= 9; ++h)
        for (int k : {1, 2, 3, 5})
            for (int s : {1, 2, 3})
                for (int pad = 0; pad <= 6; ++pad)
                    for (int d : {1, 2, 4}) {
                        const Conv2dParams p{1, 1, k, s, pad, d};
                        const Shape in{h, h + 1, 1};
                        if (!salt::conv2d_fits(in, p)) continue;
                        const auto live = sk::conv2d_live_taps(in, p);
                        const Shape out = salt::conv2d_out_shape(in, p);
                        for (int ky = 0; ky < k; ++ky)
                            for (int kx = 0; kx < k; ++kx) {
                                bool any = false;
                                for (int oy = 0; oy < out.h; ++oy)
                                    for (int ox = 0; ox < out.w; ++ox) {
                                        const int iy = oy * s - pad + ky * d, ix = ox * s - pad + kx * d;
                                        any = any || (iy >= 0 && iy < in.h && ix >= 0 && ix < in.w);
                                    }
                                CHECK(live.live(ky, kx) == any);
                            }
                    }
}

TEST_CASE("pruned convolutions equal unpruned ones (ASPP rate 36 at 16x16 and 13x13)", "[backend]") {
    namespace sk = salt::backend::simd;
    sk::Device dev;
    // 256 channels in and out: one K block per tap, so dropping dead taps drops whole blocks of
    // exact zeros and the results are bitwise those of the unpruned GEMM.
    for (Shape in : {Shape{16, 16, 256}, Shape{13, 13, 256}}) {
        const int n = 2;
        const Conv2dParams p{256, 256, 3, 1, 36, 36, true};
        REQUIRE(sk::conv2d_live_taps(in, p).count() == 1);
        const Shape out = salt::conv2d_out_shape(in, p);
        const auto x = rnd(in.size() * n, 61), w = rnd(p.weight_count(), 62), b = rnd(256, 63);
        const auto dy = rnd(out.size() * n, 64);
        std::vector<float> y1(out.size() * n), y2(y1.size()), dx1(in.size() * n), dx2(dx1.size());
        std::vector<float> dw1(p.weight_count(), 0.5f), dw2 = dw1, db1(256, 0.f), db2(256, 0.f);
        sk::conv2d_forward_impl(dev, in, n, p, x.data(), w.data(), b.data(), y1.data(), true);
        sk::conv2d_forward_impl(dev, in, n, p, x.data(), w.data(), b.data(), y2.data(), false);
        sk::conv2d_backward_data_impl(dev, in, n, p, dy.data(), w.data(), dx1.data(), true);
        sk::conv2d_backward_data_impl(dev, in, n, p, dy.data(), w.data(), dx2.data(), false);
        sk::conv2d_backward_params_impl(dev, in, n, p, x.data(), dy.data(), dw1.data(), db1.data(), true);
        sk::conv2d_backward_params_impl(dev, in, n, p, x.data(), dy.data(), dw2.data(), db2.data(), false);
        CHECK(y1 == y2);
        CHECK(dx1 == dx2);
        CHECK(dw1 == dw2);
        CHECK(db1 == db2);
        // and the dead taps' weight gradients were left as they were
        for (int t = 0; t < 9; ++t)
            if (t != 4)
                for (std::size_t i = 0; i < std::size_t(256) * 256; ++i) REQUIRE(dw1[t * 256 * 256 + i] == 0.5f);
        // against the (unpruned) reference kernel
        check_conv_all(dev, {in, n, p});
    }
}

// The Winograd device (Options::winograd): the 3x3 convs it takes run as F(2x2, 3x3), against the
// reference with the same tolerance as the direct conv (its own derived bound: test_winograd.cpp).
TEST_CASE("winograd device: the 3x3 convs where it pays against the reference", "[backend][winograd]") {
    namespace sk = salt::backend::simd;
    sk::Device dev(sk::Options{.winograd = true});
    const ConvCase cases[] = {
        {{16, 16, 64}, 2, {64, 48, 3, 1, 1, 1, true}},    // layer1-like, bias
        {{13, 13, 40}, 3, {40, 64, 3, 1, 2, 2}},          // dilation 2 on an odd map (phase grids 7 and 6)
        {{16, 16, 300}, 1, {300, 33, 3, 1, 4, 4}},        // dilation 4, Cin past the GEMM's K block
        {{7, 9, 5}, 2, {5, 3, 3, 1, 1, 1}},               // partial tiles, channels off the vector width
    };
    for (const auto& cc : cases) {
        INFO(cc.in.h << "x" << cc.in.w << "x" << cc.in.c << " dilation " << cc.p.dilation);
        REQUIRE(sk::use_winograd(dev, cc.in, cc.p));
        check_conv_all(dev, cc);
    }
    // Where it does not pay (ASPP rate 12 on a 16x16 map: phase grids of 2x2 and 1x1) or does not
    // apply, the direct conv runs.
    CHECK_FALSE(sk::use_winograd(dev, {16, 16, 2048}, {2048, 256, 3, 1, 12, 12}));
    CHECK_FALSE(sk::use_winograd(dev, {32, 32, 128}, {128, 128, 3, 2, 1, 1}));
    CHECK_FALSE(sk::use_winograd(sk::Device{}, {16, 16, 64}, {64, 64, 3, 1, 1, 1}));
    if constexpr (sk::Device::bf16_available()) {
        if (__builtin_cpu_supports("avx512bf16"))
            CHECK_FALSE(sk::use_winograd(sk::Device(sk::Options{.bf16 = true, .winograd = true}), {16, 16, 64}, {64, 64, 3, 1, 1, 1}));
    }
}

TEST_CASE("simd results are identical run to run and across thread counts", "[backend]") {
    const Shape in{16, 16, 64};
    const int n = 3;
    const Conv2dParams p{64, 96, 3, 1, 2, 2, true};
    const Shape out = salt::conv2d_out_shape(in, p);
    const auto x = rnd(in.size() * n, 71), w = rnd(p.weight_count(), 72), b = rnd(96, 73), dy = rnd(out.size() * n, 74);
    auto run = [&](int threads) {
        salt::backend::simd::Device dev(salt::backend::simd::Options{.threads = threads});
        namespace sk = salt::backend::simd;
        std::vector<float> r(out.size() * n + in.size() * n + p.weight_count() + 96 + 96 * 4, 0.f);
        float* y = r.data();
        float* dx = y + out.size() * n;
        float* dw = dx + in.size() * n;
        float* db = dw + p.weight_count();
        float* bn = db + 96;
        sk::conv2d_forward(dev, in, n, p, x.data(), w.data(), b.data(), y);
        sk::conv2d_backward_data(dev, in, n, p, dy.data(), w.data(), dx);
        sk::conv2d_backward_params(dev, in, n, p, x.data(), dy.data(), dw, db);
        std::vector<float> g(96, 1.f), be(96, 0.f), rm(96, 0.f), rv(96, 1.f), yb(out.size() * n);
        sk::batch_norm_forward_train(dev, out, n, {}, y, g.data(), be.data(), rm.data(), rv.data(), yb.data(), bn,
                                     bn + 96);
        sk::batch_norm_backward_train(dev, out, n, y, dy.data(), g.data(), bn, bn + 96, yb.data(), bn + 192, bn + 288);
        r.insert(r.end(), yb.begin(), yb.end());
        return r;
    };
    const auto a = run(0), b2 = run(0), c = run(1), d3 = run(3);
    CHECK(a == d3);
    CHECK(a == b2);
    CHECK(a == c);
}

// The fused inference op Conv -> BN (running statistics) [-> + residual] [-> ReLU] (conv2d.hpp,
// the GEMM's epilogue) against the same simd ops run one by one: the epilogue uses the same
// expressions in the same order, so the results agree to the last bit or within one rounding of
// the affine step (whether the compiler contracts it to an FMA may differ between the two sites).
TEST_CASE("fused conv + batch norm (+ residual, + relu) equals the separate simd ops", "[backend]") {
    struct Case {
        Shape in;
        Conv2dParams p;
        int n;
    };
    const Case cases[] = {
        {{16, 16, 64}, {64, 96, 1}, 2},                   // dense 1x1 GEMM, N not a multiple of the strip
        {{13, 13, 40}, {40, 64, 3, 1, 2, 2}, 3},          // 3x3 dilated, odd map (Winograd on that device)
        {{16, 16, 32}, {32, 48, 3, 1, 1, 1, true}, 2},    // 3x3 with bias (Winograd on that device)
        {{16, 16, 300}, {300, 48, 3, 1, 12, 12, true}, 1},// K > KC (several K blocks), bias
        {{16, 16, 64}, {64, 32, 3, 1, 36, 36}, 2},        // pruned to the centre tap
        {{32, 32, 1}, {1, 64, 7, 2, 3}, 2},               // the stem's shape
        {{9, 9, 8}, {8, 16, 9, 1, 4}, 1},                 // kernel > 8: the reference conv + epilogue pass
    };
    for (const Case& cs : cases) {
        const Shape in = cs.in, out = salt::conv2d_out_shape(in, cs.p);
        const int n = cs.n, C = cs.p.out_channels;
        const auto x = rnd(in.size() * n, 81), w = rnd(cs.p.weight_count(), 82), b = rnd(C, 83);
        const auto g = rnd(C, 84, 0.5, 1.5), be = rnd(C, 85), rm = rnd(C, 86), rv = rnd(C, 87, 0.2, 2.0);
        const auto res = rnd(out.size() * n, 88);
        const float* bias = cs.p.bias ? b.data() : nullptr;
        namespace sk = salt::backend::simd;
        for (bool winograd : {false, true})
        for (int variant = 0; variant < 4; ++variant) {
            sk::Device dev(sk::Options{.winograd = winograd});
            const bool use_res = variant & 1, relu = variant & 2;
            std::vector<float> fused(out.size() * n), sep(out.size() * n);
            sk::conv2d_bn_forward_eval(dev, in, n, cs.p, x.data(), w.data(), bias, {}, g.data(), be.data(),
                                        rm.data(), rv.data(), use_res ? res.data() : nullptr, relu, fused.data());
            sk::conv2d_forward(dev, in, n, cs.p, x.data(), w.data(), bias, sep.data());
            const std::vector<float> conv = sep;
            sk::batch_norm_forward_eval(dev, out, n, {}, sep.data(), g.data(), be.data(), rm.data(), rv.data(), sep.data());
            if (use_res) sk::add_forward(dev, sep.size(), sep.data(), res.data(), sep.data());
            if (relu) sk::relu_forward(dev, sep.size(), sep.data(), sep.data());
            INFO("in " << in.h << "x" << in.w << "x" << in.c << " k" << cs.p.kernel << " residual " << use_res
                       << " relu " << relu << " winograd " << sk::use_winograd(dev, in, cs.p));
            double worst = 0;
            for (std::size_t i = 0; i < sep.size(); ++i) {
                // one rounding of the largest intermediate: (conv - mean) * scale, beta, the residual
                const int c = int(i % std::size_t(C));
                const double scale = double(g[c]) / std::sqrt(double(rv[c]) + 1e-5);
                const double mag = std::fabs((double(conv[i]) - rm[c]) * scale) + std::fabs(double(be[c])) +
                                   (use_res ? std::fabs(double(res[i])) : 0.0);
                const double tol = 4 * kEps * mag + 1e-30;
                worst = std::max(worst, std::fabs(double(fused[i]) - double(sep[i])) / tol);
            }
            CHECK(worst <= 1.0);
        }
    }
}

// The fused training ops BatchNorm -> ReLU (batch_norm.hpp) against batch_norm_forward_train +
// relu_forward and relu_backward + batch_norm_backward_train of the same backend: same expressions,
// same order of summation, so the results are bitwise equal.
TEST_CASE("fused batch norm + relu (training) equals the separate simd ops", "[backend]") {
    for (Shape s : {Shape{16, 16, 64}, Shape{13, 13, 40}, Shape{1, 1, 256}, Shape{32, 32, 3}}) {
        const int n = 3, C = s.c;
        const std::size_t size = s.size() * n;
        const auto x = rnd(size, 91), dy = rnd(size, 92), g = rnd(C, 93, 0.5, 1.5), be = rnd(C, 94);
        std::vector<float> rm1(C, 0.1f), rv1(C, 0.9f), rm2 = rm1, rv2 = rv1;
        std::vector<float> y1(size), y2(size), sm1(C), si1(C), sm2(C), si2(C);
        namespace sk = salt::backend::simd;
        sk::Device dev;
        sk::batch_norm_relu_forward_train(dev, s, n, {}, x.data(), g.data(), be.data(), rm1.data(), rv1.data(),
                                           y1.data(), sm1.data(), si1.data());
        sk::batch_norm_forward_train(dev, s, n, {}, x.data(), g.data(), be.data(), rm2.data(), rv2.data(), y2.data(),
                                     sm2.data(), si2.data());
        sk::relu_forward(dev, size, y2.data(), y2.data());
        CHECK(y1 == y2);
        CHECK(rm1 == rm2);
        CHECK(rv1 == rv2);
        CHECK(sm1 == sm2);
        CHECK(si1 == si2);
        std::vector<float> dx1(size), dg1(C, 0.25f), db1(C, -0.25f), dg2 = dg1, db2 = db1, dy2 = dy, dx2(size);
        sk::batch_norm_relu_backward_train(dev, s, n, x.data(), y1.data(), dy.data(), g.data(), sm1.data(),
                                            si1.data(), dx1.data(), dg1.data(), db1.data());
        sk::relu_backward(dev, size, y2.data(), dy2.data(), dy2.data());
        sk::batch_norm_backward_train(dev, s, n, x.data(), dy2.data(), g.data(), sm2.data(), si2.data(),
                                       dx2.data(), dg2.data(), db2.data());
        CHECK(dx1 == dx2);
        CHECK(dg1 == dg2);
        CHECK(db1 == db2);
    }
}

// Padding-free regions (conv2d.hpp: TapRuns, conv2d_forward_regions): the forward conv split into
// one GEMM per run of output rows (and columns) that read the same live taps. Against the
// reference in double (all passes), and bitwise against the unsplit GEMM where every tap is whole
// K blocks (Cin a multiple of KC), so dropping a tap drops exact zeros only.
TEST_CASE("padding-free regions of dilated convolutions match the reference", "[backend]") {
    namespace sk = salt::backend::simd;
    sk::Device dev;
    // 2-D regions (batch x smallest region >= 4 MR), rows only (batch 1), odd maps, bias.
    check_conv_all(dev, {{16, 16, 40}, 8, {40, 24, 3, 1, 12, 12, true}});
    check_conv_all(dev, {{16, 16, 40}, 1, {40, 24, 3, 1, 12, 12}});
    check_conv_all(dev, {{16, 16, 24}, 8, {24, 40, 3, 1, 4, 4}});
    check_conv_all(dev, {{13, 13, 16}, 4, {16, 16, 3, 1, 12, 12, true}});
    check_conv_all(dev, {{13, 13, 16}, 1, {16, 8, 3, 1, 6, 6}});
    for (int n : {1, 8}) {
        const Shape in{16, 16, 256};
        const Conv2dParams p{256, 64, 3, 1, 12, 12};
        const Shape out = salt::conv2d_out_shape(in, p);
        const auto x = rnd(in.size() * n, 95), w = rnd(p.weight_count(), 96);
        std::vector<float> y1(out.size() * n), y2(y1.size());
        sk::conv2d_forward_impl(dev, in, n, p, x.data(), w.data(), nullptr, y1.data(), true);
        sk::conv2d_forward_impl(dev, in, n, p, x.data(), w.data(), nullptr, y2.data(), false);
        CHECK(y1 == y2);
    }
}

// The same split for the backward passes: the data gradient of a stride-1 conv by regions of the
// input that receive from the same taps (conv2d_backward_data_regions), the weight gradient by the
// rectangle of output pixels each tap reads real input with (tap_rect). Checks that the split
// paths are taken for the model's dilated shapes (so this test exercises them), their results
// against the reference in double, and the data gradient bitwise against the unsplit GEMM where
// every tap is whole K blocks (Cout a multiple of KC).
TEST_CASE("padding-free regions of dilated convolutions in the backward passes", "[backend]") {
    namespace sk = salt::backend::simd;
    sk::Device dev;
    struct Case {
        Shape in;
        int n;
        Conv2dParams p;
        bool data_split;  // expected: the data gradient is split into regions
    };
    const Case cases[] = {
        {{16, 16, 40}, 8, {40, 24, 3, 1, 12, 12, true}, true},  // ASPP rate 12 at OS 8 (2-D regions)
        {{16, 16, 24}, 8, {24, 40, 3, 1, 4, 4}, true},          // layer4's dilation 4 at OS 8
        {{8, 8, 24}, 8, {24, 16, 3, 1, 6, 6}, true},            // ASPP rate 6 at OS 16
        {{16, 16, 40}, 1, {40, 24, 3, 1, 12, 12}, true},        // batch 1: row runs only
        {{13, 13, 16}, 4, {16, 16, 3, 1, 12, 12, true}, true},  // the 101 path's odd map
        {{16, 16, 24}, 1, {24, 40, 3, 1, 4, 4}, false},         // batch 1, 17% saving: not worth it
    };
    for (const Case& c : cases) {
        INFO("in " << c.in.h << "x" << c.in.w << "x" << c.in.c << " batch " << c.n << " d" << c.p.dilation);
        const sk::ConvGeom g(c.in, c.p, true);
        const Shape out = salt::conv2d_out_shape(c.in, c.p);
        const auto dy = rnd(out.size() * c.n, 97), w = rnd(c.p.weight_count(), 98);
        std::vector<float> dx(c.in.size() * c.n, 7.f);
        CHECK(sk::conv2d_backward_data_regions(dev, g, c.n, dy.data(), w.data(), dx.data()) == c.data_split);
        // every tap of these convs loses at least 10% of its output pixels to padding
        double full = 0, live = 0;
        for (int t = 0; t < g.ntaps; ++t) {
            const sk::TapRect r = sk::tap_rect(g, t);
            full += double(out.h) * out.w;
            live += double(r.RH) * r.RW;
        }
        CHECK(live <= 0.9 * full);
        check_conv_all(dev, {c.in, c.n, c.p});
    }
    // Rectangles: ASPP rate 12 at 16x16, tap (0, 0) reads real input for output rows and columns
    // 12..15 only; the centre tap for all; tap (2, 1) for rows 0..3 and every column.
    {
        const sk::ConvGeom g({16, 16, 8}, {8, 8, 3, 1, 12, 12}, true);
        CHECK(sk::tap_rect(g, 0) == sk::TapRect{12, 4, 12, 4});
        CHECK(sk::tap_rect(g, 4) == sk::TapRect{0, 16, 0, 16});
        CHECK(sk::tap_rect(g, 7) == sk::TapRect{0, 4, 0, 16});
    }
    // Bitwise: with Cout = 256 = KC each tap is one K block of the data gradient's GEMM.
    static_assert(sk::kKC == 256);
    for (int n : {1, 8}) {
        const Shape in{16, 16, 64};
        const Conv2dParams p{64, 256, 3, 1, 12, 12};
        const Shape out = salt::conv2d_out_shape(in, p);
        const auto dy = rnd(out.size() * n, 99), w = rnd(p.weight_count(), 100);
        std::vector<float> dx1(in.size() * n, 7.f), dx2(dx1.size(), 5.f);
        sk::conv2d_backward_data_impl(dev, in, n, p, dy.data(), w.data(), dx1.data(), true);
        sk::conv2d_backward_data_impl(dev, in, n, p, dy.data(), w.data(), dx2.data(), false);
        CHECK(dx1 == dx2);
    }
}

// ---- bf16 GEMM (gemm.hpp, set_gemm_bf16) ---------------------------------------------------------
namespace {
// bf16 rounding to nearest even, written here independently of the kernels' VCVTNE2PS2BF16
// (finite inputs): add half an ulp of bf16 (minus one when the kept part is even), truncate.
float round_bf16(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7FFFu + ((u >> 16) & 1u);
    u &= 0xFFFF0000u;
    std::memcpy(&f, &u, 4);
    return f;
}
}  // namespace

// With inputs that are bf16 values, the products are exact in fp32 and the bf16 GEMM is an fp32
// sum of K products like the fp32 one, so it must meet the same tolerance against the reference in
// double. With arbitrary inputs it must equal the GEMM of the rounded inputs bit for bit (the
// packed blocks are rounded to nearest even, odd K padded with zeros).
TEST_CASE("bf16 GEMM path: exact products of rounded inputs, fp32 sums", "[backend]") {
    namespace sk = salt::backend::simd;
    if constexpr (!sk::Device::bf16_available()) {
        CHECK_THROWS_WITH(sk::Device(sk::Options{.bf16 = true}), Catch::Contains("AVX512_BF16"));
#ifdef SALT_EXPECT_ARCH
        // This test's deliberately narrow variants (backend_ops_avx2, backend_ops_sse4_2): that asking
        // for bf16 is refused is their check; nothing is skipped.
#else
        salt::test::skip_for_missing_isa(__builtin_cpu_supports("avx512bf16"), "AVX512_BF16",
                                         "the bf16 GEMM checks (only the error for asking for bf16 was tested)");
#endif
        return;
    }
    sk::Device fp32, bf16(sk::Options{.bf16 = true});
    CHECK(bf16.bf16());
    CHECK_FALSE(fp32.bf16());
    CHECK(round_bf16(1.0f + 1.0f / 256) == 1.0f);               // tie, kept part even: down
    CHECK(round_bf16(1.0f + 3.0f / 256) == 1.0f + 4.0f / 256);  // tie, kept part odd: up
    struct G {
        int M, N, K;
        bool acc;
    };
    for (const G g : {G{37, 45, 301, false}, G{14, 32, 2, true}, G{200, 70, 513, false}, G{1, 1, 1, false},
                      G{169, 33, 257, true}, G{300, 600, 64, false}}) {
        INFO("M " << g.M << " N " << g.N << " K " << g.K << (g.acc ? " accumulate" : ""));
        auto a = rnd(std::size_t(g.M) * g.K, 111), b = rnd(std::size_t(g.K) * g.N, 112);
        const auto c0 = rnd(std::size_t(g.M) * g.N, 113), bias = rnd(std::size_t(g.N), 114);
        auto ar = a, br = b;
        for (float& e : ar) e = round_bf16(e);
        for (float& e : br) e = round_bf16(e);
        std::vector<float> c_raw = c0, c_rounded = c0;
        sk::sgemm(bf16, false, false, g.M, g.N, g.K, a.data(), g.K, b.data(), g.N, c_raw.data(), g.N, g.acc, bias.data());
        sk::sgemm(bf16, false, false, g.M, g.N, g.K, ar.data(), g.K, br.data(), g.N, c_rounded.data(), g.N, g.acc,
                  bias.data());
        CHECK(c_raw == c_rounded);
        std::vector<double> exact(c0.size()), mag(c0.size());
        for (int i = 0; i < g.M; ++i)
            for (int j = 0; j < g.N; ++j) {
                double e = (g.acc ? double(c0[i * g.N + j]) : 0.0) + bias[j], m = std::fabs(e);
                for (int k = 0; k < g.K; ++k) {
                    const double t = double(ar[std::size_t(i) * g.K + k]) * double(br[std::size_t(k) * g.N + j]);
                    e += t, m += std::fabs(t);
                }
                exact[i * g.N + j] = e, mag[i * g.N + j] = m;
            }
        expect_close("bf16 sgemm", c_rounded, exact,
                     [&](std::size_t i) { return 4 * std::sqrt(double(g.K) + 2) * kEps * mag[i] + 1e-30; });
        // and the bf16 result really is a different computation from the fp32 one on raw inputs
        std::vector<float> c32 = c0;
        sk::sgemm(fp32, false, false, g.M, g.N, g.K, a.data(), g.K, b.data(), g.N, c32.data(), g.N, g.acc, bias.data());
        if (g.K > 8) CHECK(c32 != c_raw);
    }
    // The convolutions (all three passes, pruning, regions, the fused epilogue's GEMM) on bf16 inputs.
    for (const ConvCase& cc : std::vector<ConvCase>{
             {{13, 13, 8}, 3, {8, 12, 3, 1, 1, 1, false}},
             {{16, 16, 40}, 8, {40, 24, 3, 1, 12, 12, true}},
             {{9, 9, 5}, 3, {5, 40, 1, 1, 0, 1, false}},
             {{26, 26, 10}, 1, {10, 6, 1, 2, 0, 1, false}},
             {{5, 5, 33}, 1, {33, 37, 3, 1, 1, 1, true}},
             {{20, 20, 300}, 1, {300, 70, 3, 1, 1, 1, false}},
         })
        check_conv_all(bf16, cc, round_bf16);
}

// Settings belong to a device, not to the process: two simd devices with different thread counts
// and bf16 modes run side by side, each getting its own results, and a device made afterwards starts
// from the defaults (fp32, all threads) whatever the earlier ones did.
TEST_CASE("simd device settings do not leak between devices", "[backend]") {
    namespace sk = salt::backend::simd;
    const Shape in{16, 16, 64};
    const Conv2dParams p{64, 80, 3, 1, 1, 1, true};
    const Shape out = salt::conv2d_out_shape(in, p);
    const auto x = rnd(in.size() * 2, 121), w = rnd(p.weight_count(), 122), b = rnd(80, 123);
    auto conv = [&](sk::Device& dev) {
        std::vector<float> y(out.size() * 2);
        sk::conv2d_forward(dev, in, 2, p, x.data(), w.data(), b.data(), y.data());
        return y;
    };
    sk::Device plain;
    const auto y_plain = conv(plain);
    CHECK_FALSE(plain.bf16());
    CHECK(plain.threads() == omp_get_max_threads());
    {
        sk::Device one(sk::Options{.threads = 1});
        CHECK(one.threads() == 1);
        CHECK(conv(one) == y_plain);  // deterministic for any thread count
        if constexpr (sk::Device::bf16_available()) {
            sk::Device bf(sk::Options{.bf16 = true});
            const auto y_bf = conv(bf);
            CHECK(y_bf != y_plain);       // the bf16 device really ran bf16
            CHECK(conv(plain) == y_plain);  // ... and the other device did not follow it
        }
    }
    sk::Device later;
    CHECK_FALSE(later.bf16());
    CHECK(later.threads() == omp_get_max_threads());
    CHECK(conv(later) == y_plain);
}

// aligned_alloc requires a size that is a multiple of the alignment; the bf16 pair rows (kKC/2 + 1
// of them) made the A buffer 86,688 bytes, which is not. Every packing buffer is rounded up now.
TEST_CASE("packing buffer sizes are multiples of their alignment", "[backend]") {
    namespace sk = salt::backend::simd;
    STATIC_REQUIRE(sk::kPackABytes % 64 == 0);
    STATIC_REQUIRE(sk::kPackBBytes % 64 == 0);
    STATIC_REQUIRE(sk::kPackABf16Bytes % 64 == 0);
    STATIC_REQUIRE(sk::kPackBBf16Bytes % 64 == 0);
    STATIC_REQUIRE(sk::kPackABf16Bytes >= sizeof(std::uint32_t) * std::size_t(sk::kMC) * (sk::kKC / 2 + 1));
    STATIC_REQUIRE(sk::kPackBBf16Bytes >= sizeof(std::uint32_t) * std::size_t(sk::kNC) * (sk::kKC / 2 + 1));
}
