// tests/backend/test_backend_ops.cpp — backend conformance (the idea of ggml's test-backend-ops):
// every op, forward and backward, every pointer output, on every backend, against the reference
// kernels run in double on the same (float-representable) inputs, over a list of shapes that
// includes the model's odd ones (the 101x101 path 51 -> 26 -> 13, strides, dilations 1/2/4/12/24/36,
// padding at the edges, 1x1 maps, batch 1 and 3).
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
//  * Integer outputs (argmax, dropout masks) and pure copies (concat, max value): exact.
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

#include "salt/backend/simd/simd.hpp"
#include "salt/core/rng.hpp"

namespace {

using salt::Conv2dParams;
using salt::Pool2dParams;
using salt::Shape;
namespace ops = salt::ops;
namespace bk = salt::backend;

constexpr double kEps = 5.960464477539063e-08;  // 2^-24

std::vector<float> rnd(std::size_t n, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    salt::Rng r(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = float(lo + (hi - lo) * r.uniform());
    return v;
}
std::vector<double> to_d(const std::vector<float>& v) { return {v.begin(), v.end()}; }
std::vector<double> abs_d(const std::vector<float>& v) {
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) r[i] = std::fabs(double(v[i]));
    return r;
}

// Checks |got - exact| <= tol[i] for every element; reports the worst offender.
void expect_close(const std::string& what, const std::vector<float>& got, const std::vector<double>& exact,
                  const std::function<double(std::size_t)>& tol) {
    REQUIRE(got.size() == exact.size());
    double worst = 0;
    std::size_t wi = 0;
    bool ok = true;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double err = std::fabs(double(got[i]) - exact[i]);
        const double t = tol(i);
        const bool nan_ok = std::isnan(exact[i]) && std::isnan(got[i]);
        if (!nan_ok && !(err <= t)) {
            if (ok || err / (t + 1e-300) > worst) worst = err / (t + 1e-300), wi = i;
            ok = false;
        }
    }
    INFO(what << ": worst element " << wi << " got " << (got.empty() ? 0.f : got[wi]) << " exact "
              << (exact.empty() ? 0.0 : exact[wi]) << " (error/tolerance " << worst << ")");
    CHECK(ok);
}
void expect_close_rel(const std::string& what, const std::vector<float>& got, const std::vector<double>& exact,
                      double ulps) {
    expect_close(what, got, exact, [&](std::size_t i) { return ulps * kEps * std::fabs(exact[i]) + 1e-37; });
}
void expect_close_array(const std::string& what, const std::vector<float>& got, const std::vector<double>& exact,
                        double m) {
    double mx = 1.0;
    for (double v : exact) mx = std::max(mx, std::fabs(v));
    const double t = 32.0 * std::sqrt(m) * kEps * mx;
    expect_close(what, got, exact, [&](std::size_t) { return t; });
}

std::string str(Shape s, int batch) {
    std::ostringstream os;
    os << batch << "x" << s.h << "x" << s.w << "x" << s.c;
    return os.str();
}

// ---- per-op checks, templated on the backend under test -------------------------------------------

struct ConvCase {
    Shape in;
    int batch;
    Conv2dParams p;
};

// `quantise` (optional) is applied to the GEMM operands x, w and dy before both the backend under
// test and the reference see them (the bf16 test passes values already rounded to bf16).
template <class B>
void check_conv(const ConvCase& cc, float (*quantise)(float) = nullptr) {
    const Shape in = cc.in;
    const Conv2dParams p = cc.p;
    const int n = cc.batch;
    const Shape out = salt::conv2d_out_shape(in, p);
    std::ostringstream os;
    os << B::name << " conv2d in " << str(in, n) << " k" << p.kernel << " s" << p.stride << " p" << p.padding << " d"
       << p.dilation << " cout " << p.out_channels << (p.bias ? " bias" : "") << (quantise ? " (quantised inputs)" : "");
    const std::string tag = os.str();
    auto x = rnd(in.size() * n, 1), w = rnd(p.weight_count(), 2);
    const auto b = rnd(std::size_t(p.out_channels), 3);
    auto dy = rnd(out.size() * n, 4);
    const auto dw0 = rnd(p.weight_count(), 5), db0 = rnd(std::size_t(p.out_channels), 6);
    if (quantise)
        for (auto* v : {&x, &w, &dy})
            for (float& e : *v) e = quantise(e);
    const double K = double(p.kernel) * p.kernel * in.c;
    // forward
    std::vector<float> y(out.size() * n, 7.f);
    ops::conv2d_forward(B{}, in, n, p, x.data(), w.data(), p.bias ? b.data() : nullptr, y.data());
    std::vector<double> yd(y.size()), ym(y.size());
    {
        auto xd = to_d(x), wd = to_d(w), bd = to_d(b), xa = abs_d(x), wa = abs_d(w), ba = abs_d(b);
        ops::conv2d_forward(bk::reference{}, in, n, p, xd.data(), wd.data(), p.bias ? bd.data() : nullptr, yd.data());
        ops::conv2d_forward(bk::reference{}, in, n, p, xa.data(), wa.data(), p.bias ? ba.data() : nullptr, ym.data());
    }
    expect_close(tag + " y", y, yd, [&](std::size_t i) { return 4 * std::sqrt(K + 1) * kEps * ym[i] + 1e-30; });
    // data gradient
    std::vector<float> dx(in.size() * n, 7.f);
    ops::conv2d_backward_data(B{}, in, n, p, dy.data(), w.data(), dx.data());
    std::vector<double> dxd(dx.size()), dxm(dx.size());
    {
        auto dyd = to_d(dy), wd = to_d(w), dya = abs_d(dy), wa = abs_d(w);
        ops::conv2d_backward_data(bk::reference{}, in, n, p, dyd.data(), wd.data(), dxd.data());
        ops::conv2d_backward_data(bk::reference{}, in, n, p, dya.data(), wa.data(), dxm.data());
    }
    const double Kd = double(p.kernel) * p.kernel * p.out_channels;
    expect_close(tag + " dx", dx, dxd, [&](std::size_t i) { return 4 * std::sqrt(Kd + 1) * kEps * dxm[i] + 1e-30; });
    // parameter gradients (accumulated into non-zero values)
    std::vector<float> dw = dw0, db = db0;
    ops::conv2d_backward_params(B{}, in, n, p, x.data(), dy.data(), dw.data(), p.bias ? db.data() : nullptr);
    auto dwd = to_d(dw0), dbd = to_d(db0), dwm = abs_d(dw0), dbm = abs_d(db0);
    {
        auto xd = to_d(x), dyd = to_d(dy), xa = abs_d(x), dya = abs_d(dy);
        ops::conv2d_backward_params(bk::reference{}, in, n, p, xd.data(), dyd.data(), dwd.data(),
                                    p.bias ? dbd.data() : nullptr);
        ops::conv2d_backward_params(bk::reference{}, in, n, p, xa.data(), dya.data(), dwm.data(),
                                    p.bias ? dbm.data() : nullptr);
    }
    const double Kw = double(n) * out.pixels();
    expect_close(tag + " dw", dw, dwd, [&](std::size_t i) { return 4 * std::sqrt(Kw + 1) * kEps * dwm[i] + 1e-30; });
    if (p.bias)
        expect_close(tag + " dbias", db, dbd,
                     [&](std::size_t i) { return 4 * std::sqrt(Kw + 1) * kEps * dbm[i] + 1e-30; });
    else
        CHECK(db == db0);
}

template <class B>
void check_batch_norm(Shape s, int n) {
    const std::string tag = std::string(B::name) + " batch_norm " + str(s, n);
    const std::size_t N = s.size() * n, C = std::size_t(s.c);
    const double m = double(n) * s.pixels();
    const ops::BatchNormParams bp{};
    const auto x = rnd(N, 11, -2.0, 3.0), dy = rnd(N, 12), g = rnd(C, 13, 0.5, 1.5), be = rnd(C, 14);
    const auto rm0 = rnd(C, 15), rv0 = rnd(C, 16, 0.5, 2.0), dg0 = rnd(C, 17), db0 = rnd(C, 18);
    auto xd = to_d(x), dyd = to_d(dy), gd = to_d(g), bed = to_d(be);
    if (m > 1) {
        // train forward
        std::vector<float> y(N), rm = rm0, rv = rv0, sm(C), si(C);
        ops::batch_norm_forward_train(B{}, s, n, bp, x.data(), g.data(), be.data(), rm.data(), rv.data(), y.data(),
                                      sm.data(), si.data());
        std::vector<double> yd(N), rmd = to_d(rm0), rvd = to_d(rv0), smd(C), sid(C);
        ops::batch_norm_forward_train(bk::reference{}, s, n, bp, xd.data(), gd.data(), bed.data(), rmd.data(),
                                      rvd.data(), yd.data(), smd.data(), sid.data());
        expect_close_array(tag + " train y", y, yd, m);
        expect_close_array(tag + " running_mean", rm, rmd, m);
        expect_close_array(tag + " running_var", rv, rvd, m);
        expect_close_array(tag + " saved_mean", sm, smd, m);
        expect_close_array(tag + " saved_invstd", si, sid, m);
        // train backward, from the backend's own saved statistics (in double: the same floats)
        std::vector<float> dx(N), dg = dg0, db = db0;
        ops::batch_norm_backward_train(B{}, s, n, x.data(), dy.data(), g.data(), sm.data(), si.data(), dx.data(),
                                       dg.data(), db.data());
        std::vector<double> dxd(N), dgd = to_d(dg0), dbd = to_d(db0), smf = to_d(sm), sif = to_d(si);
        ops::batch_norm_backward_train(bk::reference{}, s, n, xd.data(), dyd.data(), gd.data(), smf.data(), sif.data(),
                                       dxd.data(), dgd.data(), dbd.data());
        expect_close_array(tag + " train dx", dx, dxd, m);
        expect_close_array(tag + " train dgamma", dg, dgd, m);
        expect_close_array(tag + " train dbeta", db, dbd, m);
    }
    // eval forward and backward
    std::vector<float> y(N), dx(N), dg = dg0, db = db0;
    ops::batch_norm_forward_eval(B{}, s, n, bp, x.data(), g.data(), be.data(), rm0.data(), rv0.data(), y.data());
    ops::batch_norm_backward_eval(B{}, s, n, bp, x.data(), dy.data(), g.data(), rm0.data(), rv0.data(), dx.data(),
                                  dg.data(), db.data());
    std::vector<double> yd(N), dxd(N), dgd = to_d(dg0), dbd = to_d(db0), rmd = to_d(rm0), rvd = to_d(rv0);
    ops::batch_norm_forward_eval(bk::reference{}, s, n, bp, xd.data(), gd.data(), bed.data(), rmd.data(), rvd.data(),
                                 yd.data());
    ops::batch_norm_backward_eval(bk::reference{}, s, n, bp, xd.data(), dyd.data(), gd.data(), rmd.data(), rvd.data(),
                                  dxd.data(), dgd.data(), dbd.data());
    expect_close_array(tag + " eval y", y, yd, 1);
    expect_close_array(tag + " eval dx", dx, dxd, 1);
    expect_close_array(tag + " eval dgamma", dg, dgd, m);
    expect_close_array(tag + " eval dbeta", db, dbd, m);
}

template <class B>
void check_elementwise(std::size_t N) {
    const std::string tag = std::string(B::name) + " n=" + std::to_string(N);
    auto a = rnd(N, 21, -8, 8), b = rnd(N, 22), dy = rnd(N, 23);
    if (N > 3) a[1] = 0.f, a[2] = -0.f, a[3] = 100.f;
    auto ad = to_d(a), bd = to_d(b), dyd = to_d(dy);
    {  // relu
        std::vector<float> y(N), dx(N);
        std::vector<double> yd(N), dxd(N);
        ops::relu_forward(B{}, N, a.data(), y.data());
        ops::relu_backward(B{}, N, y.data(), dy.data(), dx.data());
        ops::relu_forward(bk::reference{}, N, ad.data(), yd.data());
        ops::relu_backward(bk::reference{}, N, yd.data(), dyd.data(), dxd.data());
        expect_close_rel(tag + " relu y", y, yd, 0);
        expect_close_rel(tag + " relu dx", dx, dxd, 0);
    }
    {  // sigmoid
        std::vector<float> y(N), dx(N);
        std::vector<double> yd(N), dxd(N);
        ops::sigmoid_forward(B{}, N, a.data(), y.data());
        ops::sigmoid_forward(bk::reference{}, N, ad.data(), yd.data());
        ops::sigmoid_backward(B{}, N, y.data(), dy.data(), dx.data());
        auto yf = to_d(y);  // backward from the backend's own y
        ops::sigmoid_backward(bk::reference{}, N, yf.data(), dyd.data(), dxd.data());
        expect_close_rel(tag + " sigmoid y", y, yd, 16);
        expect_close_rel(tag + " sigmoid dx", dx, dxd, 4);
    }
    {  // add, add_backward, accumulate
        std::vector<float> y(N), da(N), db(N), acc = b;
        std::vector<double> yd(N), dad(N), dbd(N), accd = bd;
        ops::add_forward(B{}, N, a.data(), b.data(), y.data());
        ops::add_backward(B{}, N, dy.data(), da.data(), db.data());
        ops::accumulate(B{}, N, a.data(), acc.data());
        ops::add_forward(bk::reference{}, N, ad.data(), bd.data(), yd.data());
        ops::add_backward(bk::reference{}, N, dyd.data(), dad.data(), dbd.data());
        ops::accumulate(bk::reference{}, N, ad.data(), accd.data());
        expect_close_rel(tag + " add y", y, yd, 1);
        expect_close_rel(tag + " add da", da, dad, 0);
        expect_close_rel(tag + " add db", db, dbd, 0);
        expect_close_rel(tag + " accumulate", acc, accd, 1);
    }
    {  // dropout: same generator state, same mask
        for (double p : {0.0, 0.5, 1.0}) {
            salt::Rng r1(99), r2(99);
            std::vector<float> y(N), dx(N);
            std::vector<std::uint8_t> m1(N), m2(N);
            std::vector<double> yd(N), dxd(N);
            ops::dropout_forward(B{}, N, p, r1, a.data(), y.data(), m1.data());
            ops::dropout_backward(B{}, N, p, m1.data(), dy.data(), dx.data());
            ops::dropout_forward(bk::reference{}, N, p, r2, ad.data(), yd.data(), m2.data());
            ops::dropout_backward(bk::reference{}, N, p, m2.data(), dyd.data(), dxd.data());
            CHECK(m1 == m2);
            expect_close_rel(tag + " dropout y", y, yd, 2);
            expect_close_rel(tag + " dropout dx", dx, dxd, 2);
        }
    }
}

template <class B>
void check_pooling(Shape in, int n, Pool2dParams pp) {
    const std::string tag = std::string(B::name) + " pool " + str(in, n) + " k" + std::to_string(pp.kernel) + " s" +
                            std::to_string(pp.stride) + " p" + std::to_string(pp.padding);
    const Shape out = salt::pool2d_out_shape(in, pp);
    auto x = rnd(in.size() * n, 31, -1, 1);
    for (std::size_t i = 0; i < x.size(); i += 7) x[i] = 0.25f;  // ties
    if (x.size() > 10) x[10] = std::nanf("");
    const auto dy = rnd(out.size() * n, 32);
    auto xd = to_d(x), dyd = to_d(dy);
    std::vector<float> y(out.size() * n), dx(in.size() * n, 5.f);
    std::vector<std::int32_t> am(y.size()), amd(y.size());
    std::vector<double> yd(y.size()), dxd(dx.size());
    ops::max_pool2d_forward(B{}, in, n, pp, x.data(), y.data(), am.data());
    ops::max_pool2d_forward(bk::reference{}, in, n, pp, xd.data(), yd.data(), amd.data());
    expect_close_rel(tag + " max y", y, yd, 0);
    CHECK(am == amd);
    ops::max_pool2d_backward(B{}, in, n, pp, dy.data(), am.data(), dx.data());
    ops::max_pool2d_backward(bk::reference{}, in, n, pp, dyd.data(), amd.data(), dxd.data());
    std::vector<double> dya = abs_d(dy), dxm(dx.size());  // sum |terms| of each scattered sum
    ops::max_pool2d_backward(bk::reference{}, in, n, pp, dya.data(), amd.data(), dxm.data());
    expect_close(tag + " max dx", dx, dxd, [&](std::size_t i) { return 4 * 3 * kEps * dxm[i]; });
    // global average pooling
    std::vector<float> g(std::size_t(in.c) * n), gdx(in.size() * n);
    std::vector<double> gd(g.size()), gdxd(gdx.size());
    std::vector<float> xs = rnd(in.size() * n, 33);
    auto xsd = to_d(xs);
    ops::global_avg_pool_forward(B{}, in, n, xs.data(), g.data());
    ops::global_avg_pool_forward(bk::reference{}, in, n, xsd.data(), gd.data());
    expect_close_array(tag + " gap y", g, gd, double(in.pixels()));
    auto gdy = rnd(g.size(), 34);
    auto gdyd = to_d(gdy);
    ops::global_avg_pool_backward(B{}, in, n, gdy.data(), gdx.data());
    ops::global_avg_pool_backward(bk::reference{}, in, n, gdyd.data(), gdxd.data());
    expect_close_rel(tag + " gap dx", gdx, gdxd, 2);
}

template <class B>
void check_resize_concat(Shape in, int n, int oh, int ow) {
    for (bool ac : {false, true}) {
        const std::string tag = std::string(B::name) + " resize " + str(in, n) + " -> " + std::to_string(oh) + "x" +
                                std::to_string(ow) + (ac ? " align_corners" : "");
        const Shape out = salt::resize_out_shape(in, oh, ow);
        const auto x = rnd(in.size() * n, 41), dy = rnd(out.size() * n, 42);
        auto xd = to_d(x), dyd = to_d(dy);
        std::vector<float> y(out.size() * n), dx(in.size() * n);
        std::vector<double> yd(y.size()), dxd(dx.size());
        ops::resize_bilinear_forward(B{}, in, n, oh, ow, ac, x.data(), y.data());
        ops::resize_bilinear_forward(bk::reference{}, in, n, oh, ow, ac, xd.data(), yd.data());
        ops::resize_bilinear_backward(B{}, in, n, oh, ow, ac, dy.data(), dx.data());
        ops::resize_bilinear_backward(bk::reference{}, in, n, oh, ow, ac, dyd.data(), dxd.data());
        // torch's interpolation weights are formed in T (see resize_bilinear.hpp): float weights
        // differ from double ones by up to ~1e-6 relative on long axes, i.e. ~16 eps; allow 64 eps
        // of the largest input (|x| <= 1) per output, times the fan-in for the scattered dx.
        expect_close(tag + " y", y, yd, [&](std::size_t) { return 64 * kEps; });
        const double fan = double(out.h) / in.h * out.w / in.w + 4;
        expect_close(tag + " dx", dx, dxd, [&](std::size_t) { return 64 * kEps * fan; });
    }
    // concat of three inputs, and its backward with one input skipped
    const std::string tag = std::string(B::name) + " concat " + str(in, n);
    const std::size_t rows = in.pixels() * n;
    const int ch[3] = {in.c, 1, in.c + 2};
    const auto a = rnd(rows * ch[0], 51), b = rnd(rows * ch[1], 52), c = rnd(rows * ch[2], 53);
    const int total = ch[0] + ch[1] + ch[2];
    std::vector<float> y(rows * total);
    const float* ins[3] = {a.data(), b.data(), c.data()};
    ops::concat_channels_forward(B{}, rows, std::span<const int>(ch), std::span<const float* const>(ins), y.data());
    auto ad = to_d(a), bd = to_d(b), cd = to_d(c);
    std::vector<double> yd(y.size());
    const double* insd[3] = {ad.data(), bd.data(), cd.data()};
    ops::concat_channels_forward(bk::reference{}, rows, std::span<const int>(ch), std::span<const double* const>(insd),
                                 yd.data());
    expect_close_rel(tag + " y", y, yd, 0);
    std::vector<float> da(a.size(), 3.f), dc(c.size(), 3.f);
    float* outs[3] = {da.data(), nullptr, dc.data()};
    ops::concat_channels_backward(B{}, rows, std::span<const int>(ch), y.data(), std::span<float* const>(outs));
    CHECK(da == a);
    CHECK(dc == c);
}

template <class B>
void run_all_ops() {
    const std::vector<ConvCase> convs = {
        // 3x3 "same" convs, batch 1 and 3, the 101 path's odd maps
        {{13, 13, 8}, 3, {8, 12, 3, 1, 1, 1, false}},
        {{51, 51, 4}, 1, {4, 8, 3, 2, 1, 1, false}},   // 51 -> 26 (layer2's stride)
        {{26, 26, 6}, 1, {6, 5, 3, 2, 1, 1, false}},   // 26 -> 13
        {{13, 13, 16}, 1, {16, 16, 3, 1, 2, 2, false}},  // dilations 2, 4, 12, 24, 36
        {{13, 13, 16}, 3, {16, 16, 3, 1, 4, 4, false}},
        {{13, 13, 16}, 1, {16, 16, 3, 1, 12, 12, false}},
        {{13, 13, 16}, 1, {16, 16, 3, 1, 24, 24, false}},
        {{16, 16, 16}, 3, {16, 16, 3, 1, 36, 36, false}},
        {{16, 16, 12}, 1, {12, 20, 3, 1, 12, 12, true}},
        {{1, 1, 16}, 3, {16, 16, 3, 1, 1, 1, false}},    // 1x1 maps (ASPP pooling branch)
        {{1, 1, 16}, 1, {16, 7, 1, 1, 0, 1, true}},
        {{9, 9, 5}, 3, {5, 40, 1, 1, 0, 1, false}},     // dense 1x1
        {{9, 9, 5}, 3, {5, 33, 1, 2, 0, 1, false}},     // strided 1x1 (downsample)
        {{26, 26, 10}, 1, {10, 6, 1, 2, 0, 1, false}},  // 26 -> 13 downsample
        {{17, 17, 1}, 3, {1, 8, 7, 2, 3, 1, false}},    // the stem: 7x7/2, one input channel
        {{19, 19, 1}, 1, {1, 64, 7, 2, 3, 1, false}},   // ... with the stem's 64 outputs (small-Cin dx)
        {{11, 11, 3}, 3, {3, 20, 3, 1, 1, 1, true}},    // small Cin, Cout not a multiple of the lanes
        {{8, 8, 3}, 1, {3, 4, 2, 2, 0, 1, true}},       // even kernel
        {{6, 9, 3}, 3, {3, 2, 3, 3, 2, 1, false}},      // stride > 1, odd padding, non-square
        {{5, 5, 33}, 1, {33, 37, 3, 1, 1, 1, true}},    // odd channel counts (GEMM edges)
        {{20, 20, 300}, 1, {300, 70, 3, 1, 1, 1, false}},  // K and N over one block / strip
        {{4, 4, 64}, 3, {64, 300, 1, 1, 0, 1, true}},
    };
    for (const auto& cc : convs) check_conv<B>(cc);
    for (auto [s, n] : std::vector<std::pair<Shape, int>>{{{13, 13, 8}, 3},
                                                          {{1, 1, 70}, 3},
                                                          {{7, 5, 33}, 1},
                                                          {{16, 16, 64}, 2},
                                                          {{51, 51, 3}, 1}})
        check_batch_norm<B>(s, n);
    check_batch_norm<B>({1, 1, 5}, 1);  // m == 1: eval only (train throws)
    for (std::size_t N : {std::size_t(1), std::size_t(17), std::size_t(1000), std::size_t(100003)})
        check_elementwise<B>(N);
    check_pooling<B>({13, 13, 8}, 3, {3, 2, 1});
    check_pooling<B>({64, 64, 16}, 1, {3, 2, 1});
    check_pooling<B>({51, 51, 3}, 1, {3, 2, 1});
    check_pooling<B>({1, 1, 20}, 3, {3, 2, 1});
    check_pooling<B>({7, 6, 17}, 3, {2, 2, 0});
    check_resize_concat<B>({16, 16, 1}, 3, 128, 128);
    check_resize_concat<B>({13, 13, 5}, 1, 101, 101);
    check_resize_concat<B>({1, 1, 20}, 3, 16, 16);
}

}  // namespace

TEST_CASE("every op on every backend matches the reference in double", "[backend]") {
    INFO("xsimd architecture: " << xsimd::default_arch::name() << ", threads " << omp_get_max_threads());
#ifdef SALT_EXPECT_ARCH
    CHECK(std::string(xsimd::default_arch::name()) == SALT_EXPECT_ARCH);
#endif
    run_all_ops<bk::reference>();
    run_all_ops<bk::simd>();
}

TEST_CASE("live taps are computed at compile time", "[backend]") {
    // ASPP rate 24 and 36 at 16x16 (128 input) and 13x13 (101 input): only the centre tap is live.
    constexpr Conv2dParams r12{2048, 256, 3, 1, 12, 12}, r24{2048, 256, 3, 1, 24, 24}, r36{2048, 256, 3, 1, 36, 36};
    static_assert(bk::conv2d_live_taps({16, 16, 2048}, r36).count() == 1);
    static_assert(bk::conv2d_live_taps({16, 16, 2048}, r36).live(1, 1));
    static_assert(bk::conv2d_live_taps({16, 16, 2048}, r24).count() == 1);
    static_assert(bk::conv2d_live_taps({13, 13, 2048}, r24).count() == 1);
    static_assert(bk::conv2d_live_taps({16, 16, 2048}, r12).all());
    static_assert(bk::conv2d_live_taps({13, 13, 2048}, r12).all());
    // layer4's dilation-4 convs at 16x16 keep all taps; at 4x4 only the centre.
    static_assert(bk::conv2d_live_taps({16, 16, 512}, {512, 512, 3, 1, 4, 4}).all());
    static_assert(bk::conv2d_live_taps({4, 4, 512}, {512, 512, 3, 1, 4, 4}).count() == 1);
    // a 1x1 map with a padded 3x3: centre only
    static_assert(bk::conv2d_live_taps({1, 1, 8}, {8, 8, 3, 1, 1, 1}).count() == 1);
    // brute force against the definition on small cases
    for (int h = 1; h <= 9; ++h)
        for (int k : {1, 2, 3, 5})
            for (int s : {1, 2, 3})
                for (int pad = 0; pad <= 6; ++pad)
                    for (int d : {1, 2, 4}) {
                        const Conv2dParams p{1, 1, k, s, pad, d};
                        const Shape in{h, h + 1, 1};
                        if (!salt::conv2d_fits(in, p)) continue;
                        const auto live = bk::conv2d_live_taps(in, p);
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
    namespace sk = salt::backend::simd_kernels;
    // 256 channels in and out: one K block per tap, so dropping dead taps drops whole blocks of
    // exact zeros and the results are bitwise those of the unpruned GEMM.
    for (Shape in : {Shape{16, 16, 256}, Shape{13, 13, 256}}) {
        const int n = 2;
        const Conv2dParams p{256, 256, 3, 1, 36, 36, true};
        REQUIRE(bk::conv2d_live_taps(in, p).count() == 1);
        const Shape out = salt::conv2d_out_shape(in, p);
        const auto x = rnd(in.size() * n, 61), w = rnd(p.weight_count(), 62), b = rnd(256, 63);
        const auto dy = rnd(out.size() * n, 64);
        std::vector<float> y1(out.size() * n), y2(y1.size()), dx1(in.size() * n), dx2(dx1.size());
        std::vector<float> dw1(p.weight_count(), 0.5f), dw2 = dw1, db1(256, 0.f), db2(256, 0.f);
        sk::conv2d_forward_impl(in, n, p, x.data(), w.data(), b.data(), y1.data(), true);
        sk::conv2d_forward_impl(in, n, p, x.data(), w.data(), b.data(), y2.data(), false);
        sk::conv2d_backward_data_impl(in, n, p, dy.data(), w.data(), dx1.data(), true);
        sk::conv2d_backward_data_impl(in, n, p, dy.data(), w.data(), dx2.data(), false);
        sk::conv2d_backward_params_impl(in, n, p, x.data(), dy.data(), dw1.data(), db1.data(), true);
        sk::conv2d_backward_params_impl(in, n, p, x.data(), dy.data(), dw2.data(), db2.data(), false);
        CHECK(y1 == y2);
        CHECK(dx1 == dx2);
        CHECK(dw1 == dw2);
        CHECK(db1 == db2);
        // and the dead taps' weight gradients were left as they were
        for (int t = 0; t < 9; ++t)
            if (t != 4)
                for (std::size_t i = 0; i < std::size_t(256) * 256; ++i) REQUIRE(dw1[t * 256 * 256 + i] == 0.5f);
        // against the (unpruned) reference kernel
        check_conv<bk::simd>({in, n, p});
    }
}

TEST_CASE("simd results are identical run to run and across thread counts", "[backend]") {
    const Shape in{16, 16, 64};
    const int n = 3;
    const Conv2dParams p{64, 96, 3, 1, 2, 2, true};
    const Shape out = salt::conv2d_out_shape(in, p);
    const auto x = rnd(in.size() * n, 71), w = rnd(p.weight_count(), 72), b = rnd(96, 73), dy = rnd(out.size() * n, 74);
    auto run = [&](int threads) {
        const int saved = omp_get_max_threads();
        omp_set_num_threads(threads);
        std::vector<float> r(out.size() * n + in.size() * n + p.weight_count() + 96 + 96 * 4, 0.f);
        float* y = r.data();
        float* dx = y + out.size() * n;
        float* dw = dx + in.size() * n;
        float* db = dw + p.weight_count();
        float* bn = db + 96;
        ops::conv2d_forward(bk::simd{}, in, n, p, x.data(), w.data(), b.data(), y);
        ops::conv2d_backward_data(bk::simd{}, in, n, p, dy.data(), w.data(), dx);
        ops::conv2d_backward_params(bk::simd{}, in, n, p, x.data(), dy.data(), dw, db);
        std::vector<float> g(96, 1.f), be(96, 0.f), rm(96, 0.f), rv(96, 1.f), yb(out.size() * n);
        ops::batch_norm_forward_train(bk::simd{}, out, n, {}, y, g.data(), be.data(), rm.data(), rv.data(), yb.data(),
                                      bn, bn + 96);
        ops::batch_norm_backward_train(bk::simd{}, out, n, y, dy.data(), g.data(), bn, bn + 96, yb.data(), bn + 192,
                                       bn + 288);
        r.insert(r.end(), yb.begin(), yb.end());
        omp_set_num_threads(saved);
        return r;
    };
    const auto a = run(omp_get_max_threads()), b2 = run(omp_get_max_threads()), c = run(1);
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
        {{13, 13, 40}, {40, 64, 3, 1, 2, 2}, 3},          // 3x3 dilated, odd map
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
        for (int variant = 0; variant < 4; ++variant) {
            const bool use_res = variant & 1, relu = variant & 2;
            std::vector<float> fused(out.size() * n), sep(out.size() * n);
            ops::conv2d_bn_forward_eval(bk::simd{}, in, n, cs.p, x.data(), w.data(), bias, {}, g.data(), be.data(),
                                        rm.data(), rv.data(), use_res ? res.data() : nullptr, relu, fused.data());
            ops::conv2d_forward(bk::simd{}, in, n, cs.p, x.data(), w.data(), bias, sep.data());
            const std::vector<float> conv = sep;
            ops::batch_norm_forward_eval(bk::simd{}, out, n, {}, sep.data(), g.data(), be.data(), rm.data(), rv.data(),
                                         sep.data());
            if (use_res) ops::add_forward(bk::simd{}, sep.size(), sep.data(), res.data(), sep.data());
            if (relu) ops::relu_forward(bk::simd{}, sep.size(), sep.data(), sep.data());
            INFO("in " << in.h << "x" << in.w << "x" << in.c << " k" << cs.p.kernel << " residual " << use_res
                       << " relu " << relu);
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
        ops::batch_norm_relu_forward_train(bk::simd{}, s, n, {}, x.data(), g.data(), be.data(), rm1.data(), rv1.data(),
                                           y1.data(), sm1.data(), si1.data());
        ops::batch_norm_forward_train(bk::simd{}, s, n, {}, x.data(), g.data(), be.data(), rm2.data(), rv2.data(),
                                      y2.data(), sm2.data(), si2.data());
        ops::relu_forward(bk::simd{}, size, y2.data(), y2.data());
        CHECK(y1 == y2);
        CHECK(rm1 == rm2);
        CHECK(rv1 == rv2);
        CHECK(sm1 == sm2);
        CHECK(si1 == si2);
        std::vector<float> dx1(size), dg1(C, 0.25f), db1(C, -0.25f), dg2 = dg1, db2 = db1, dy2 = dy, dx2(size);
        ops::batch_norm_relu_backward_train(bk::simd{}, s, n, x.data(), y1.data(), dy.data(), g.data(), sm1.data(),
                                            si1.data(), dx1.data(), dg1.data(), db1.data());
        ops::relu_backward(bk::simd{}, size, y2.data(), dy2.data(), dy2.data());
        ops::batch_norm_backward_train(bk::simd{}, s, n, x.data(), dy2.data(), g.data(), sm2.data(), si2.data(),
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
    namespace sk = salt::backend::simd_kernels;
    // 2-D regions (batch x smallest region >= 4 MR), rows only (batch 1), odd maps, bias.
    check_conv<bk::simd>({{16, 16, 40}, 8, {40, 24, 3, 1, 12, 12, true}});
    check_conv<bk::simd>({{16, 16, 40}, 1, {40, 24, 3, 1, 12, 12}});
    check_conv<bk::simd>({{16, 16, 24}, 8, {24, 40, 3, 1, 4, 4}});
    check_conv<bk::simd>({{13, 13, 16}, 4, {16, 16, 3, 1, 12, 12, true}});
    check_conv<bk::simd>({{13, 13, 16}, 1, {16, 8, 3, 1, 6, 6}});
    for (int n : {1, 8}) {
        const Shape in{16, 16, 256};
        const Conv2dParams p{256, 64, 3, 1, 12, 12};
        const Shape out = salt::conv2d_out_shape(in, p);
        const auto x = rnd(in.size() * n, 95), w = rnd(p.weight_count(), 96);
        std::vector<float> y1(out.size() * n), y2(y1.size());
        sk::conv2d_forward_impl(in, n, p, x.data(), w.data(), nullptr, y1.data(), true);
        sk::conv2d_forward_impl(in, n, p, x.data(), w.data(), nullptr, y2.data(), false);
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
    namespace sk = salt::backend::simd_kernels;
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
        CHECK(sk::conv2d_backward_data_regions(g, c.n, dy.data(), w.data(), dx.data()) == c.data_split);
        // every tap of these convs loses at least 10% of its output pixels to padding
        double full = 0, live = 0;
        for (int t = 0; t < g.ntaps; ++t) {
            const sk::TapRect r = sk::tap_rect(g, t);
            full += double(out.h) * out.w;
            live += double(r.RH) * r.RW;
        }
        CHECK(live <= 0.9 * full);
        check_conv<bk::simd>({c.in, c.n, c.p});
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
        sk::conv2d_backward_data_impl(in, n, p, dy.data(), w.data(), dx1.data(), true);
        sk::conv2d_backward_data_impl(in, n, p, dy.data(), w.data(), dx2.data(), false);
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
struct Bf16On {
    Bf16On() { salt::backend::simd_kernels::set_gemm_bf16(true); }
    ~Bf16On() { salt::backend::simd_kernels::set_gemm_bf16(false); }
};
}  // namespace

// With inputs that are bf16 values, the products are exact in fp32 and the bf16 GEMM is an fp32
// sum of K products like the fp32 one, so it must meet the same tolerance against the reference in
// double. With arbitrary inputs it must equal the GEMM of the rounded inputs bit for bit (the
// packed blocks are rounded to nearest even, odd K padded with zeros).
TEST_CASE("bf16 GEMM path: exact products of rounded inputs, fp32 sums", "[backend]") {
    namespace sk = salt::backend::simd_kernels;
    if constexpr (!sk::gemm_bf16_available()) {
        CHECK_THROWS_WITH(sk::set_gemm_bf16(true), Catch::Contains("AVX512_BF16"));
        CHECK_FALSE(sk::gemm_bf16());
        WARN("this build has no AVX512_BF16: only the error for asking for bf16 is tested");
        return;
    }
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
        {
            Bf16On on;
            REQUIRE(sk::gemm_bf16());
            sk::sgemm(false, false, g.M, g.N, g.K, a.data(), g.K, b.data(), g.N, c_raw.data(), g.N, g.acc, bias.data());
            sk::sgemm(false, false, g.M, g.N, g.K, ar.data(), g.K, br.data(), g.N, c_rounded.data(), g.N, g.acc,
                      bias.data());
        }
        CHECK_FALSE(sk::gemm_bf16());
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
        sk::sgemm(false, false, g.M, g.N, g.K, a.data(), g.K, b.data(), g.N, c32.data(), g.N, g.acc, bias.data());
        if (g.K > 8) CHECK(c32 != c_raw);
    }
    // The convolutions (all three passes, pruning, regions, the fused epilogue's GEMM) on bf16 inputs.
    Bf16On on;
    for (const ConvCase& cc : std::vector<ConvCase>{
             {{13, 13, 8}, 3, {8, 12, 3, 1, 1, 1, false}},
             {{16, 16, 40}, 8, {40, 24, 3, 1, 12, 12, true}},
             {{9, 9, 5}, 3, {5, 40, 1, 1, 0, 1, false}},
             {{26, 26, 10}, 1, {10, 6, 1, 2, 0, 1, false}},
             {{5, 5, 33}, 1, {33, 37, 3, 1, 1, 1, true}},
             {{20, 20, 300}, 1, {300, 70, 3, 1, 1, 1, false}},
         })
        check_conv<bk::simd>(cc, round_bf16);
}
