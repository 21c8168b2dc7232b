// tests/backend/conformance.hpp — one conformance case per op of the catalogue (core/backend.hpp),
// each run on a backend B against the reference kernels in double (tolerances: see
// test_backend_ops.cpp). run_declared<B>(device) runs the case of every op B declares and returns
// how many ran. Used by the backend conformance test, the guarded-memory backend's test and the
// CUDA backend's host emulation.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "salt/core/backend.hpp"
#include "salt/core/op_params.hpp"
#include "salt/core/rng.hpp"
#include "salt/ops/ops.hpp"
#include "support/device_arrays.hpp"

namespace salt::test::conformance {

using salt::Conv2dParams;
using salt::Pool2dParams;
using salt::Shape;
namespace ops = salt::ops;

inline constexpr double kEps = 5.960464477539063e-08;  // 2^-24

inline std::vector<float> rnd(std::size_t n, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    salt::Rng r(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = float(lo + (hi - lo) * r.uniform());
    return v;
}
inline std::vector<double> to_d(const std::vector<float>& v) { return {v.begin(), v.end()}; }
inline std::vector<double> abs_d(const std::vector<float>& v) {
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) r[i] = std::fabs(double(v[i]));
    return r;
}

// Checks |got - exact| <= tol[i] for every element; reports the worst offender.
inline void expect_close(const std::string& what, const std::vector<float>& got, const std::vector<double>& exact,
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
inline void expect_close_rel(const std::string& what, const std::vector<float>& got, const std::vector<double>& exact,
                             double ulps) {
    expect_close(what, got, exact, [&](std::size_t i) { return ulps * kEps * std::fabs(exact[i]) + 1e-37; });
}
inline void expect_close_array(const std::string& what, const std::vector<float>& got, const std::vector<double>& exact,
                               double m) {
    double mx = 1.0;
    for (double v : exact) mx = std::max(mx, std::fabs(v));
    const double t = 32.0 * std::sqrt(m) * kEps * mx;
    expect_close(what, got, exact, [&](std::size_t) { return t; });
}

inline std::string str(Shape s, int batch) {
    std::ostringstream os;
    os << batch << "x" << s.h << "x" << s.w << "x" << s.c;
    return os.str();
}

template <class B>
using Dev = typename B::device;
template <class B, class T>
DeviceArray<B, T> put(Dev<B>& d, const std::vector<T>& h) {
    return DeviceArray<B, T>(d, h);
}

// ---- convolutions ---------------------------------------------------------------------------------

struct ConvCase {
    Shape in;
    int batch;
    Conv2dParams p;
};

inline const std::vector<ConvCase>& conv_cases() {
    static const std::vector<ConvCase> cases = {
        // 3x3 "same" convs, batch 1 and 3, the 101 path's odd maps
        {{13, 13, 8}, 3, {8, 12, 3, 1, 1, 1, false}},
        {{51, 51, 4}, 1, {4, 8, 3, 2, 1, 1, false}},     // 51 -> 26 (layer2's stride)
        {{26, 26, 6}, 1, {6, 5, 3, 2, 1, 1, false}},     // 26 -> 13
        {{13, 13, 16}, 1, {16, 16, 3, 1, 2, 2, false}},  // dilations 2, 4, 12, 24, 36
        {{13, 13, 16}, 3, {16, 16, 3, 1, 4, 4, false}},
        {{13, 13, 16}, 1, {16, 16, 3, 1, 12, 12, false}},
        {{13, 13, 16}, 1, {16, 16, 3, 1, 24, 24, false}},
        {{16, 16, 16}, 3, {16, 16, 3, 1, 36, 36, false}},
        {{16, 16, 12}, 1, {12, 20, 3, 1, 12, 12, true}},
        {{16, 16, 40}, 8, {40, 24, 3, 1, 12, 12, true}},  // padding-free regions (2-D)
        {{16, 16, 24}, 8, {24, 40, 3, 1, 4, 4}},
        {{1, 1, 16}, 3, {16, 16, 3, 1, 1, 1, false}},    // 1x1 maps (ASPP pooling branch)
        {{1, 1, 16}, 1, {16, 7, 1, 1, 0, 1, true}},
        {{9, 9, 5}, 3, {5, 40, 1, 1, 0, 1, false}},      // dense 1x1
        {{9, 9, 5}, 3, {5, 33, 1, 2, 0, 1, false}},      // strided 1x1 (downsample)
        {{26, 26, 10}, 1, {10, 6, 1, 2, 0, 1, false}},   // 26 -> 13 downsample
        {{17, 17, 1}, 3, {1, 8, 7, 2, 3, 1, false}},     // the stem: 7x7/2, one input channel
        {{19, 19, 1}, 1, {1, 64, 7, 2, 3, 1, false}},    // ... with the stem's 64 outputs (small-Cin dx)
        {{11, 11, 3}, 3, {3, 20, 3, 1, 1, 1, true}},     // small Cin, Cout not a multiple of the lanes
        {{8, 8, 3}, 1, {3, 4, 2, 2, 0, 1, true}},        // even kernel
        {{6, 9, 3}, 3, {3, 2, 3, 3, 2, 1, false}},       // stride > 1, odd padding, non-square
        {{9, 9, 8}, 1, {8, 16, 9, 1, 4, 1, true}},       // kernel > 8
        {{5, 5, 33}, 1, {33, 37, 3, 1, 1, 1, true}},     // odd channel counts (GEMM edges)
        {{20, 20, 300}, 1, {300, 70, 3, 1, 1, 1, false}},  // K and N over one block / strip
        {{4, 4, 64}, 3, {64, 300, 1, 1, 0, 1, true}},
    };
    return cases;
}

inline std::string conv_tag(const char* backend, const ConvCase& cc, const char* what, bool quantised) {
    std::ostringstream os;
    os << backend << " " << what << " in " << str(cc.in, cc.batch) << " k" << cc.p.kernel << " s" << cc.p.stride << " p"
       << cc.p.padding << " d" << cc.p.dilation << " cout " << cc.p.out_channels << (cc.p.bias ? " bias" : "")
       << (quantised ? " (quantised inputs)" : "");
    return os.str();
}

// The inputs of one conv case (the GEMM operands x, w and dy optionally quantised first: the bf16
// test passes values already rounded to bf16).
struct ConvData {
    std::vector<float> x, w, b, dy, dw0, db0;
    ConvData(const ConvCase& cc, float (*quantise)(float)) {
        const Shape out = salt::conv2d_out_shape(cc.in, cc.p);
        x = rnd(cc.in.size() * cc.batch, 1), w = rnd(cc.p.weight_count(), 2), b = rnd(std::size_t(cc.p.out_channels), 3);
        dy = rnd(out.size() * cc.batch, 4), dw0 = rnd(cc.p.weight_count(), 5), db0 = rnd(std::size_t(cc.p.out_channels), 6);
        if (quantise)
            for (auto* v : {&x, &w, &dy})
                for (float& e : *v) e = quantise(e);
    }
};

// The backend's weights in its own layout, from the HWIO arrays the reference uses.
template <class B>
std::vector<float> kernel_layout(const Conv2dParams& p, const std::vector<float>& hwio) {
    std::vector<float> out(hwio.size());
    ops::conv2d_weight_from_hwio(B::conv_weight_layout, p, hwio.data(), out.data());
    return out;
}
template <class B>
std::vector<float> hwio_layout(const Conv2dParams& p, const std::vector<float>& kernel) {
    std::vector<float> oihw(kernel.size()), hwio(kernel.size());
    ops::conv2d_weight_to_oihw(B::conv_weight_layout, p, kernel.data(), oihw.data());
    ops::conv2d_weight_from_oihw(salt::WeightLayout::hwio, p, oihw.data(), hwio.data());
    return hwio;
}

template <class B>
void check_conv_forward(Dev<B>& d, const ConvCase& cc, float (*quantise)(float) = nullptr) {
    const ConvData c(cc, quantise);
    const Shape out = salt::conv2d_out_shape(cc.in, cc.p);
    auto x = put<B>(d, c.x), w = put<B>(d, kernel_layout<B>(cc.p, c.w)), b = put<B>(d, c.b);
    DeviceArray<B, float> y(d, out.size() * cc.batch, 7.f);
    salt::run<salt::Op::conv2d_forward>(d, cc.in, cc.batch, cc.p, x.cget(), w.cget(), cc.p.bias ? b.cget() : nullptr, y.get());
    std::vector<double> yd(out.size() * cc.batch), ym(yd.size());
    auto xd = to_d(c.x), wd = to_d(c.w), bd = to_d(c.b), xa = abs_d(c.x), wa = abs_d(c.w), ba = abs_d(c.b);
    ops::conv2d_forward(cc.in, cc.batch, cc.p, xd.data(), wd.data(), cc.p.bias ? bd.data() : nullptr, yd.data());
    ops::conv2d_forward(cc.in, cc.batch, cc.p, xa.data(), wa.data(), cc.p.bias ? ba.data() : nullptr, ym.data());
    const double K = double(cc.p.kernel) * cc.p.kernel * cc.in.c;
    expect_close(conv_tag(B::name, cc, "conv2d_forward", quantise) + " y", y.host(), yd,
                 [&](std::size_t i) { return 4 * std::sqrt(K + 1) * kEps * ym[i] + 1e-30; });
}

template <class B>
void check_conv_backward_data(Dev<B>& d, const ConvCase& cc, float (*quantise)(float) = nullptr) {
    const ConvData c(cc, quantise);
    auto dy = put<B>(d, c.dy), w = put<B>(d, kernel_layout<B>(cc.p, c.w));
    DeviceArray<B, float> dx(d, cc.in.size() * cc.batch, 7.f);
    salt::run<salt::Op::conv2d_backward_data>(d, cc.in, cc.batch, cc.p, dy.cget(), w.cget(), dx.get());
    std::vector<double> dxd(cc.in.size() * cc.batch), dxm(dxd.size());
    auto dyd = to_d(c.dy), wd = to_d(c.w), dya = abs_d(c.dy), wa = abs_d(c.w);
    ops::conv2d_backward_data(cc.in, cc.batch, cc.p, dyd.data(), wd.data(), dxd.data());
    ops::conv2d_backward_data(cc.in, cc.batch, cc.p, dya.data(), wa.data(), dxm.data());
    const double K = double(cc.p.kernel) * cc.p.kernel * cc.p.out_channels;
    expect_close(conv_tag(B::name, cc, "conv2d_backward_data", quantise) + " dx", dx.host(), dxd,
                 [&](std::size_t i) { return 4 * std::sqrt(K + 1) * kEps * dxm[i] + 1e-30; });
}

template <class B>
void check_conv_backward_params(Dev<B>& d, const ConvCase& cc, float (*quantise)(float) = nullptr) {
    const ConvData c(cc, quantise);
    const Shape out = salt::conv2d_out_shape(cc.in, cc.p);
    auto x = put<B>(d, c.x), dy = put<B>(d, c.dy), dw = put<B>(d, kernel_layout<B>(cc.p, c.dw0)), db = put<B>(d, c.db0);
    salt::run<salt::Op::conv2d_backward_params>(d, cc.in, cc.batch, cc.p, x.cget(), dy.cget(), dw.get(),
                                                cc.p.bias ? db.get() : nullptr);
    auto dwd = to_d(c.dw0), dbd = to_d(c.db0), dwm = abs_d(c.dw0), dbm = abs_d(c.db0);
    auto xd = to_d(c.x), dyd = to_d(c.dy), xa = abs_d(c.x), dya = abs_d(c.dy);
    ops::conv2d_backward_params(cc.in, cc.batch, cc.p, xd.data(), dyd.data(), dwd.data(), cc.p.bias ? dbd.data() : nullptr);
    ops::conv2d_backward_params(cc.in, cc.batch, cc.p, xa.data(), dya.data(), dwm.data(), cc.p.bias ? dbm.data() : nullptr);
    const double K = double(cc.batch) * out.pixels();
    const std::string tag = conv_tag(B::name, cc, "conv2d_backward_params", quantise);
    expect_close(tag + " dw", hwio_layout<B>(cc.p, dw.host()), dwd,
                 [&](std::size_t i) { return 4 * std::sqrt(K + 1) * kEps * dwm[i] + 1e-30; });
    if (cc.p.bias)
        expect_close(tag + " dbias", db.host(), dbd, [&](std::size_t i) { return 4 * std::sqrt(K + 1) * kEps * dbm[i] + 1e-30; });
    else
        CHECK(db.host() == c.db0);
}

// Conv -> BN (running statistics) [-> + residual] [-> ReLU], against the separate reference ops in
// double: the conv's tolerance, carried through the affine step, plus a few roundings of it.
template <class B>
void check_conv_bn_eval(Dev<B>& d) {
    struct Case {
        Shape in;
        Conv2dParams p;
        int n;
    };
    const Case cases[] = {
        {{16, 16, 64}, {64, 96, 1}, 2},                     // dense 1x1 GEMM, N not a multiple of the strip
        {{13, 13, 40}, {40, 64, 3, 1, 2, 2}, 3},            // 3x3 dilated, odd map
        {{16, 16, 300}, {300, 48, 3, 1, 12, 12, true}, 1},  // K > KC (several K blocks), bias
        {{16, 16, 64}, {64, 32, 3, 1, 36, 36}, 2},          // pruned to the centre tap
        {{32, 32, 1}, {1, 64, 7, 2, 3}, 2},                 // the stem's shape
        {{9, 9, 8}, {8, 16, 9, 1, 4}, 1},                   // kernel > 8
    };
    const salt::BatchNormParams bp{};
    for (const Case& cs : cases) {
        const Shape in = cs.in, out = salt::conv2d_out_shape(in, cs.p);
        const int n = cs.n, C = cs.p.out_channels;
        const auto x = rnd(in.size() * n, 81), w = rnd(cs.p.weight_count(), 82), b = rnd(C, 83);
        const auto g = rnd(C, 84, 0.5, 1.5), be = rnd(C, 85), rm = rnd(C, 86), rv = rnd(C, 87, 0.2, 2.0);
        const auto res = rnd(out.size() * n, 88);
        auto xb = put<B>(d, x), wb = put<B>(d, kernel_layout<B>(cs.p, w)), bb = put<B>(d, b), gb = put<B>(d, g);
        auto beb = put<B>(d, be), rmb = put<B>(d, rm), rvb = put<B>(d, rv), resb = put<B>(d, res);
        // reference: conv in double, and the same conv of |x|, |w| for the tolerance
        std::vector<double> conv(out.size() * n), mag(conv.size());
        {
            auto xd = to_d(x), wd = to_d(w), bd = to_d(b), xa = abs_d(x), wa = abs_d(w), ba = abs_d(b);
            ops::conv2d_forward(in, n, cs.p, xd.data(), wd.data(), cs.p.bias ? bd.data() : nullptr, conv.data());
            ops::conv2d_forward(in, n, cs.p, xa.data(), wa.data(), cs.p.bias ? ba.data() : nullptr, mag.data());
        }
        const double K = double(cs.p.kernel) * cs.p.kernel * in.c;
        for (int variant = 0; variant < 4; ++variant) {
            const bool use_res = variant & 1, relu = variant & 2;
            DeviceArray<B, float> y(d, out.size() * n, 7.f);
            salt::run<salt::Op::conv2d_bn_forward_eval>(d, in, n, cs.p, xb.cget(), wb.cget(), cs.p.bias ? bb.cget() : nullptr,
                                                        bp, gb.cget(), beb.cget(), rmb.cget(), rvb.cget(),
                                                        use_res ? resb.cget() : nullptr, relu, y.get());
            std::vector<double> exact(conv.size());
            std::vector<double> tol(conv.size());
            for (std::size_t i = 0; i < conv.size(); ++i) {
                const int c = int(i % std::size_t(C));
                const double scale = double(g[c]) / std::sqrt(double(rv[c]) + bp.eps);
                double v = (conv[i] - rm[c]) * scale + be[c];
                if (use_res) v += res[i];
                const double pre = v;
                if (relu) v = v < 0 ? 0 : v;
                exact[i] = v;
                const double affine = std::fabs((conv[i] - rm[c]) * scale) + std::fabs(double(be[c])) +
                                      (use_res ? std::fabs(double(res[i])) : 0.0) + std::fabs(double(rm[c]) * scale);
                tol[i] = 4 * std::sqrt(K + 1) * kEps * mag[i] * std::fabs(scale) + 8 * kEps * affine + 1e-30;
                if (relu && std::fabs(pre) <= tol[i]) tol[i] = std::max(tol[i], std::fabs(pre));  // either side of 0
            }
            std::ostringstream tag;
            tag << B::name << " conv2d_bn_forward_eval in " << str(in, n) << " k" << cs.p.kernel << " residual "
                << use_res << " relu " << relu;
            expect_close(tag.str(), y.host(), exact, [&](std::size_t i) { return tol[i]; });
        }
    }
}

// ---- batch norm ---------------------------------------------------------------------------------

inline const std::vector<std::pair<Shape, int>>& bn_cases() {
    static const std::vector<std::pair<Shape, int>> cases = {
        {{13, 13, 8}, 3}, {{1, 1, 70}, 3}, {{7, 5, 33}, 1}, {{16, 16, 64}, 2}, {{51, 51, 3}, 1}, {{32, 32, 3}, 3}};
    return cases;
}

struct BnData {
    std::vector<float> x, dy, g, be, rm0, rv0, dg0, db0;
    BnData(Shape s, int n) {
        const std::size_t N = s.size() * n, C = std::size_t(s.c);
        x = rnd(N, 11, -2.0, 3.0), dy = rnd(N, 12), g = rnd(C, 13, 0.5, 1.5), be = rnd(C, 14);
        rm0 = rnd(C, 15), rv0 = rnd(C, 16, 0.5, 2.0), dg0 = rnd(C, 17), db0 = rnd(C, 18);
    }
};

// Training forward (optionally followed by a ReLU: the fused op) against the reference in double.
template <class B, salt::Op O>
void check_bn_forward_train(Dev<B>& d, bool relu) {
    for (auto [s, n] : bn_cases()) {
        const std::string tag = std::string(B::name) + " " + std::string(salt::op_name(O)) + " " + str(s, n);
        const std::size_t N = s.size() * n, C = std::size_t(s.c);
        const double m = double(n) * s.pixels();
        const BnData c(s, n);
        auto x = put<B>(d, c.x), g = put<B>(d, c.g), be = put<B>(d, c.be), rm = put<B>(d, c.rm0), rv = put<B>(d, c.rv0);
        DeviceArray<B, float> y(d, N, 0.f), sm(d, C, 0.f), si(d, C, 0.f);
        salt::run<O>(d, s, n, salt::BatchNormParams{}, x.cget(), g.cget(), be.cget(), rm.get(), rv.get(), y.get(), sm.get(),
                     si.get());
        auto xd = to_d(c.x), gd = to_d(c.g), bed = to_d(c.be);
        std::vector<double> yd(N), rmd = to_d(c.rm0), rvd = to_d(c.rv0), smd(C), sid(C);
        ops::batch_norm_forward_train(s, n, salt::BatchNormParams{}, xd.data(), gd.data(), bed.data(), rmd.data(), rvd.data(),
                                      yd.data(), smd.data(), sid.data());
        if (relu)
            for (double& v : yd) v = v < 0 ? 0 : v;
        expect_close_array(tag + " y", y.host(), yd, m);
        expect_close_array(tag + " running_mean", rm.host(), rmd, m);
        expect_close_array(tag + " running_var", rv.host(), rvd, m);
        expect_close_array(tag + " saved_mean", sm.host(), smd, m);
        expect_close_array(tag + " saved_invstd", si.host(), sid, m);
    }
}

// Training backward (optionally through a ReLU whose output is y), from statistics the reference
// computed, rounded to float as a forward would have saved them.
template <class B, salt::Op O>
void check_bn_backward_train(Dev<B>& d, bool relu) {
    for (auto [s, n] : bn_cases()) {
        const std::string tag = std::string(B::name) + " " + std::string(salt::op_name(O)) + " " + str(s, n);
        const std::size_t N = s.size() * n, C = std::size_t(s.c);
        const double m = double(n) * s.pixels();
        const BnData c(s, n);
        auto xd = to_d(c.x), gd = to_d(c.g), bed = to_d(c.be);
        std::vector<double> yd(N), rmd = to_d(c.rm0), rvd = to_d(c.rv0), smd(C), sid(C);
        ops::batch_norm_forward_train(s, n, salt::BatchNormParams{}, xd.data(), gd.data(), bed.data(), rmd.data(), rvd.data(),
                                      yd.data(), smd.data(), sid.data());
        std::vector<float> smf(smd.begin(), smd.end()), sif(sid.begin(), sid.end()), yf(N);
        for (std::size_t i = 0; i < N; ++i) yf[i] = float(std::max(0.0, yd[i]));  // the ReLU's output
        auto x = put<B>(d, c.x), dy = put<B>(d, c.dy), g = put<B>(d, c.g), sm = put<B>(d, smf), si = put<B>(d, sif);
        auto yb = put<B>(d, yf), dg = put<B>(d, c.dg0), db = put<B>(d, c.db0);
        DeviceArray<B, float> dx(d, N, 7.f);
        if constexpr (O == salt::Op::batch_norm_relu_backward_train)
            salt::run<O>(d, s, n, x.cget(), yb.cget(), dy.cget(), g.cget(), sm.cget(), si.cget(), dx.get(), dg.get(), db.get());
        else
            salt::run<O>(d, s, n, x.cget(), dy.cget(), g.cget(), sm.cget(), si.cget(), dx.get(), dg.get(), db.get());
        std::vector<double> dyd = to_d(c.dy), dxd(N), dgd = to_d(c.dg0), dbd = to_d(c.db0), smfd = to_d(smf), sifd = to_d(sif);
        if (relu)
            for (std::size_t i = 0; i < N; ++i) dyd[i] = yf[i] > 0 ? dyd[i] : 0.0;
        ops::batch_norm_backward_train(s, n, xd.data(), dyd.data(), gd.data(), smfd.data(), sifd.data(), dxd.data(),
                                       dgd.data(), dbd.data());
        expect_close_array(tag + " dx", dx.host(), dxd, m);
        expect_close_array(tag + " dgamma", dg.host(), dgd, m);
        expect_close_array(tag + " dbeta", db.host(), dbd, m);
    }
}

template <class B>
void check_bn_forward_eval(Dev<B>& d) {
    auto cases = bn_cases();
    cases.push_back({{1, 1, 5}, 1});  // one value per channel: eval is fine
    for (auto [s, n] : cases) {
        const std::string tag = std::string(B::name) + " batch_norm_forward_eval " + str(s, n);
        const std::size_t N = s.size() * n;
        const BnData c(s, n);
        auto x = put<B>(d, c.x), g = put<B>(d, c.g), be = put<B>(d, c.be), rm = put<B>(d, c.rm0), rv = put<B>(d, c.rv0);
        DeviceArray<B, float> y(d, N, 0.f);
        salt::run<salt::Op::batch_norm_forward_eval>(d, s, n, salt::BatchNormParams{}, x.cget(), g.cget(), be.cget(), rm.cget(),
                                                     rv.cget(), y.get());
        auto xd = to_d(c.x), gd = to_d(c.g), bed = to_d(c.be), rmd = to_d(c.rm0), rvd = to_d(c.rv0);
        std::vector<double> yd(N);
        ops::batch_norm_forward_eval(s, n, salt::BatchNormParams{}, xd.data(), gd.data(), bed.data(), rmd.data(), rvd.data(),
                                     yd.data());
        expect_close_array(tag + " y", y.host(), yd, 1);
    }
}

// ---- element-wise -------------------------------------------------------------------------------

inline const std::vector<std::size_t>& sizes() {
    static const std::vector<std::size_t> s = {1, 17, 1000, 100003};
    return s;
}
inline std::vector<float> elementwise_input(std::size_t N) {
    auto a = rnd(N, 21, -8, 8);
    if (N > 3) a[1] = 0.f, a[2] = -0.f, a[3] = 100.f;
    return a;
}

// A unary or binary element-wise op against the reference in double.
template <class B, salt::Op O>
void check_elementwise(Dev<B>& d) {
    for (std::size_t N : sizes()) {
        const std::string tag = std::string(B::name) + " " + std::string(salt::op_name(O)) + " n=" + std::to_string(N);
        const auto a = elementwise_input(N), b = rnd(N, 22), dy = rnd(N, 23);
        auto ad = to_d(a), bd = to_d(b), dyd = to_d(dy);
        auto ab = put<B>(d, a), bb = put<B>(d, b), dyb = put<B>(d, dy);
        DeviceArray<B, float> y(d, N, 3.f);
        std::vector<double> yd(N);
        if constexpr (O == salt::Op::relu_forward) {
            salt::run<O>(d, N, ab.cget(), y.get());
            ops::relu_forward(N, ad.data(), yd.data());
            expect_close_rel(tag, y.host(), yd, 0);
        } else if constexpr (O == salt::Op::relu_backward) {
            // from a ReLU output: zeros and positives
            std::vector<float> yr(N);
            for (std::size_t i = 0; i < N; ++i) yr[i] = a[i] < 0 ? 0.f : a[i];
            auto yrb = put<B>(d, yr);
            auto yrd = to_d(yr);
            salt::run<O>(d, N, yrb.cget(), dyb.cget(), y.get());
            ops::relu_backward(N, yrd.data(), dyd.data(), yd.data());
            expect_close_rel(tag, y.host(), yd, 0);
        } else if constexpr (O == salt::Op::sigmoid_forward) {
            salt::run<O>(d, N, ab.cget(), y.get());
            ops::sigmoid_forward(N, ad.data(), yd.data());
            expect_close_rel(tag, y.host(), yd, 16);
        } else if constexpr (O == salt::Op::sigmoid_backward) {
            std::vector<float> s(N);
            for (std::size_t i = 0; i < N; ++i) s[i] = float(1.0 / (1.0 + std::exp(-double(a[i]))));
            auto sb = put<B>(d, s);
            auto sd = to_d(s);
            salt::run<O>(d, N, sb.cget(), dyb.cget(), y.get());
            ops::sigmoid_backward(N, sd.data(), dyd.data(), yd.data());
            expect_close_rel(tag, y.host(), yd, 4);
        } else if constexpr (O == salt::Op::add_forward) {
            salt::run<O>(d, N, ab.cget(), bb.cget(), y.get());
            ops::add_forward(N, ad.data(), bd.data(), yd.data());
            expect_close_rel(tag, y.host(), yd, 1);
            // in place: y aliases a
            salt::run<O>(d, N, ab.cget(), bb.cget(), ab.get());
            expect_close_rel(tag + " (in place)", ab.host(), yd, 1);
        } else if constexpr (O == salt::Op::accumulate) {
            salt::run<O>(d, N, ab.cget(), bb.get());
            std::vector<double> acc = bd;
            ops::accumulate(N, ad.data(), acc.data());
            expect_close_rel(tag, bb.host(), acc, 1);
        } else if constexpr (O == salt::Op::axpby) {
            salt::run<O>(d, N, 0.5f, ab.cget(), -1.25f, bb.get());
            std::vector<double> r = bd;
            ops::axpby(N, 0.5, ad.data(), -1.25, r.data());
            // a sum of two products may cancel: relative to the terms
            expect_close(tag, bb.host(), r, [&](std::size_t i) {
                return 2 * kEps * (0.5 * std::fabs(ad[i]) + 1.25 * std::fabs(bd[i])) + 1e-37;
            });
        } else if constexpr (O == salt::Op::threshold) {
            DeviceArray<B, std::uint8_t> mask(d, N, std::uint8_t(7));
            salt::run<O>(d, N, ab.cget(), 0.25f, mask.get());
            std::vector<std::uint8_t> ref(N);
            ops::threshold(N, a.data(), 0.25f, ref.data());
            CHECK(mask.host() == ref);
        } else {
            static_assert(O == salt::Op::relu_forward, "not an element-wise op");
        }
    }
}

template <class B>
void check_dropout(Dev<B>& d, bool backward) {
    for (std::size_t N : sizes()) {
        const auto a = elementwise_input(N), dy = rnd(N, 23);
        auto ad = to_d(a), dyd = to_d(dy);
        for (double p : {0.0, 0.5, 1.0}) {
            const std::string tag = std::string(B::name) + (backward ? " dropout_backward" : " dropout_forward") +
                                    " n=" + std::to_string(N) + " p=" + std::to_string(p);
            std::vector<double> yd(N);
            std::vector<std::uint8_t> mref(N);
            ops::dropout_forward(N, p, 99, ad.data(), yd.data(), mref.data());
            auto ab = put<B>(d, a), dyb = put<B>(d, dy);
            DeviceArray<B, float> y(d, N, 3.f);
            if (!backward) {
                DeviceArray<B, std::uint8_t> mask(d, N, std::uint8_t(7));
                salt::run<salt::Op::dropout_forward>(d, N, p, std::uint64_t(99), ab.cget(), y.get(), mask.get());
                CHECK(mask.host() == mref);
                expect_close_rel(tag + " y", y.host(), yd, 2);
            } else {
                auto mask = put<B>(d, mref);
                std::vector<double> dxd(N);
                ops::dropout_backward(N, p, mref.data(), dyd.data(), dxd.data());
                salt::run<salt::Op::dropout_backward>(d, N, p, mask.cget(), dyb.cget(), y.get());
                expect_close_rel(tag + " dx", y.host(), dxd, 2);
            }
        }
    }
}

// ---- pooling, resize, concat ----------------------------------------------------------------------

inline const std::vector<std::tuple<Shape, int, Pool2dParams>>& pool_cases() {
    static const std::vector<std::tuple<Shape, int, Pool2dParams>> c = {{{13, 13, 8}, 3, {3, 2, 1}},
                                                                       {{64, 64, 16}, 1, {3, 2, 1}},
                                                                       {{51, 51, 3}, 1, {3, 2, 1}},
                                                                       {{1, 1, 20}, 3, {3, 2, 1}},
                                                                       {{7, 6, 17}, 3, {2, 2, 0}}};
    return c;
}
inline std::vector<float> pool_input(Shape in, int n) {
    auto x = rnd(in.size() * n, 31, -1, 1);
    for (std::size_t i = 0; i < x.size(); i += 7) x[i] = 0.25f;  // ties
    if (x.size() > 10) x[10] = std::nanf("");
    return x;
}

template <class B>
void check_max_pool(Dev<B>& d, bool backward) {
    for (auto [in, n, pp] : pool_cases()) {
        const std::string tag = std::string(B::name) + (backward ? " max_pool2d_backward " : " max_pool2d_forward ") +
                                str(in, n) + " k" + std::to_string(pp.kernel) + " s" + std::to_string(pp.stride);
        const Shape out = salt::pool2d_out_shape(in, pp);
        const auto x = pool_input(in, n);
        auto xd = to_d(x);
        std::vector<double> yd(out.size() * n);
        std::vector<std::int32_t> amd(yd.size());
        ops::max_pool2d_forward(in, n, pp, xd.data(), yd.data(), amd.data());
        if (!backward) {
            auto xb = put<B>(d, x);
            DeviceArray<B, float> y(d, yd.size(), 0.f);
            DeviceArray<B, std::int32_t> am(d, yd.size(), -5);
            salt::run<salt::Op::max_pool2d_forward>(d, in, n, pp, xb.cget(), y.get(), am.get());
            expect_close_rel(tag + " y", y.host(), yd, 0);
            CHECK(am.host() == amd);
        } else {
            const auto dy = rnd(out.size() * n, 32);
            auto dyd = to_d(dy), dya = abs_d(dy);
            auto dyb = put<B>(d, dy);
            auto amb = put<B>(d, amd);
            DeviceArray<B, float> dx(d, in.size() * n, 5.f);
            salt::run<salt::Op::max_pool2d_backward>(d, in, n, pp, dyb.cget(), amb.cget(), dx.get());
            std::vector<double> dxd(in.size() * n), dxm(dxd.size());
            ops::max_pool2d_backward(in, n, pp, dyd.data(), amd.data(), dxd.data());
            ops::max_pool2d_backward(in, n, pp, dya.data(), amd.data(), dxm.data());  // sum |terms|
            expect_close(tag + " dx", dx.host(), dxd, [&](std::size_t i) { return 4 * 3 * kEps * dxm[i]; });
        }
    }
}

template <class B>
void check_global_avg_pool(Dev<B>& d, bool backward) {
    for (auto [in, n, pp] : pool_cases()) {
        (void)pp;
        const std::string tag = std::string(B::name) + (backward ? " global_avg_pool_backward " : " global_avg_pool_forward ") +
                                str(in, n);
        if (!backward) {
            const auto x = rnd(in.size() * n, 33);
            auto xd = to_d(x);
            auto xb = put<B>(d, x);
            DeviceArray<B, float> y(d, std::size_t(in.c) * n, 0.f);
            std::vector<double> yd(y.size());
            salt::run<salt::Op::global_avg_pool_forward>(d, in, n, xb.cget(), y.get());
            ops::global_avg_pool_forward(in, n, xd.data(), yd.data());
            expect_close_array(tag + " y", y.host(), yd, double(in.pixels()));
        } else {
            const auto dy = rnd(std::size_t(in.c) * n, 34);
            auto dyd = to_d(dy);
            auto dyb = put<B>(d, dy);
            DeviceArray<B, float> dx(d, in.size() * n, 5.f);
            std::vector<double> dxd(dx.size());
            salt::run<salt::Op::global_avg_pool_backward>(d, in, n, dyb.cget(), dx.get());
            ops::global_avg_pool_backward(in, n, dyd.data(), dxd.data());
            expect_close_rel(tag + " dx", dx.host(), dxd, 2);
        }
    }
}

template <class B>
void check_resize(Dev<B>& d, bool backward) {
    const std::tuple<Shape, int, int, int> cases[] = {
        {{16, 16, 1}, 3, 128, 128}, {{13, 13, 5}, 1, 101, 101}, {{1, 1, 20}, 3, 16, 16}, {{4, 4, 33}, 2, 16, 16}};
    for (auto [in, n, oh, ow] : cases)
        for (bool ac : {false, true}) {
            const std::string tag = std::string(B::name) + (backward ? " resize_bilinear_backward " : " resize_bilinear_forward ") +
                                    str(in, n) + " -> " + std::to_string(oh) + "x" + std::to_string(ow) +
                                    (ac ? " align_corners" : "");
            const Shape out = salt::resize_out_shape(in, oh, ow);
            // torch's interpolation weights are formed in T (see resize_bilinear.hpp): float weights
            // differ from double ones by up to ~1e-6 relative on long axes, i.e. ~16 eps; allow 64 eps
            // of the largest input (|x| <= 1) per output, times the fan-in for the scattered dx.
            if (!backward) {
                const auto x = rnd(in.size() * n, 41);
                auto xd = to_d(x);
                auto xb = put<B>(d, x);
                DeviceArray<B, float> y(d, out.size() * n, 0.f);
                std::vector<double> yd(y.size());
                salt::run<salt::Op::resize_bilinear_forward>(d, in, n, oh, ow, ac, xb.cget(), y.get());
                ops::resize_bilinear_forward(in, n, oh, ow, ac, xd.data(), yd.data());
                expect_close(tag + " y", y.host(), yd, [&](std::size_t) { return 64 * kEps; });
            } else {
                const auto dy = rnd(out.size() * n, 42);
                auto dyd = to_d(dy);
                auto dyb = put<B>(d, dy);
                DeviceArray<B, float> dx(d, in.size() * n, 5.f);
                std::vector<double> dxd(dx.size());
                salt::run<salt::Op::resize_bilinear_backward>(d, in, n, oh, ow, ac, dyb.cget(), dx.get());
                ops::resize_bilinear_backward(in, n, oh, ow, ac, dyd.data(), dxd.data());
                const double fan = double(out.h) / in.h * out.w / in.w + 4;
                expect_close(tag + " dx", dx.host(), dxd, [&](std::size_t) { return 64 * kEps * fan; });
            }
        }
}

template <class B>
void check_concat(Dev<B>& d, bool backward) {
    for (auto [in, n] : std::vector<std::pair<Shape, int>>{{{16, 16, 1}, 3}, {{13, 13, 5}, 1}, {{1, 1, 20}, 3}}) {
        const std::string tag = std::string(B::name) + (backward ? " concat_channels_backward " : " concat_channels_forward ") +
                                str(in, n);
        const std::size_t rows = in.pixels() * n;
        const int ch[3] = {in.c, 1, in.c + 2};
        const auto a = rnd(rows * ch[0], 51), b = rnd(rows * ch[1], 52), c = rnd(rows * ch[2], 53);
        const int total = ch[0] + ch[1] + ch[2];
        auto ab = put<B>(d, a), bb = put<B>(d, b), cb = put<B>(d, c);
        auto ad = to_d(a), bd = to_d(b), cd = to_d(c);
        std::vector<double> yd(rows * total);
        const double* insd[3] = {ad.data(), bd.data(), cd.data()};
        ops::concat_channels_forward(rows, std::span<const int>(ch), std::span<const double* const>(insd), yd.data());
        if (!backward) {
            DeviceArray<B, float> y(d, rows * total, 0.f);
            const float* ins[3] = {ab.cget(), bb.cget(), cb.cget()};
            salt::run<salt::Op::concat_channels_forward>(d, rows, std::span<const int>(ch), std::span<const float* const>(ins),
                                                         y.get());
            expect_close_rel(tag + " y", y.host(), yd, 0);
        } else {
            // with one input's gradient not wanted
            std::vector<float> yf(yd.begin(), yd.end());
            auto yb = put<B>(d, yf);
            DeviceArray<B, float> da(d, a.size(), 3.f), dc(d, c.size(), 3.f);
            float* outs[3] = {da.get(), nullptr, dc.get()};
            salt::run<salt::Op::concat_channels_backward>(d, rows, std::span<const int>(ch), yb.cget(),
                                                          std::span<float* const>(outs));
            CHECK(da.host() == a);
            CHECK(dc.host() == c);
        }
    }
}

// ---- training and inference ops ----------------------------------------------------------------

template <class B>
void check_adam(Dev<B>& d) {
    for (std::size_t N : sizes())
        for (bool decoupled : {false, true})
            for (bool decay : {false, true}) {
                const std::string tag = std::string(B::name) + " adam_step n=" + std::to_string(N) +
                                        (decoupled ? " AdamW" : " Adam") + (decay ? " decay" : "");
                const auto p = rnd(N, 61), g = rnd(N, 62, -0.01, 0.01), m = rnd(N, 63, -0.001, 0.001);
                const auto v = rnd(N, 64, 0.0, 1e-4);
                salt::AdamStep s;
                s.lr = 3e-3, s.weight_decay = 0.05, s.decoupled = decoupled, s.step = 7;
                auto pb = put<B>(d, p), gb = put<B>(d, g), mb = put<B>(d, m), vb = put<B>(d, v);
                salt::run<salt::Op::adam_step>(d, N, s, decay, pb.get(), gb.cget(), mb.get(), vb.get());
                auto pd = to_d(p), gd = to_d(g), md = to_d(m), vd = to_d(v);
                ops::adam_step(N, s, decay, pd.data(), gd.data(), md.data(), vd.data());
                // m = b1 m + (1 - b1) g may cancel: its error is relative to the magnitudes of the
                // terms, and carries into the update step * m / denom.
                const bool l2 = decay && !decoupled;
                std::vector<double> mag_m(N), mag_p(N);
                const double bc1 = 1.0 - std::pow(s.beta1, double(s.step)), bc2 = 1.0 - std::pow(s.beta2, double(s.step));
                for (std::size_t i = 0; i < N; ++i) {
                    const double ge = std::fabs(double(g[i])) + (l2 ? s.weight_decay * std::fabs(double(p[i])) : 0.0);
                    mag_m[i] = s.beta1 * std::fabs(double(m[i])) + (1 - s.beta1) * ge;
                    const double denom = std::sqrt(vd[i]) / std::sqrt(bc2) + s.eps;
                    mag_p[i] = std::fabs(pd[i]) + s.lr / bc1 * mag_m[i] / denom;
                }
                expect_close(tag + " param", pb.host(), pd, [&](std::size_t i) { return 8 * kEps * mag_p[i] + 1e-30; });
                expect_close(tag + " m", mb.host(), md, [&](std::size_t i) { return 4 * kEps * mag_m[i] + 1e-30; });
                expect_close_rel(tag + " v", vb.host(), vd, 4);
            }
}

inline const std::vector<salt::MapGeometry>& map_cases() {
    static const std::vector<salt::MapGeometry> c = {
        {3, 16, 16, {0, 0, 16, 16}}, {2, 128, 128, {13, 13, 101, 101}}, {4, 9, 7, {2, 1, 5, 5}}, {1, 1, 5, {0, 0, 1, 5}}};
    return c;
}
struct MapData {
    std::vector<float> z, t;
    explicit MapData(const salt::MapGeometry& g, std::uint64_t seed) {
        const std::size_t n = std::size_t(g.batch) * std::size_t(g.map_pixels());
        z = rnd(n, seed, -4, 4);
        t.resize(n);
        salt::Rng r(seed + 1);
        for (std::size_t i = 0; i < n; ++i) t[i] = r.uniform() < 0.3 ? 1.f : 0.f;
        if (g.batch > 1)  // an image with no salt inside the region
            for (long i = 0; i < g.region.pixels(); ++i) t[ops::detail::region_offset(g, 0, i)] = 0.f;
    }
};

template <class B, salt::Op O>
void check_loss(Dev<B>& d) {
    for (const auto& g : map_cases())
        for (int variant = 0; variant < (O == salt::Op::loss_lovasz ? 1 : 4); ++variant) {
            salt::BceDiceWeights w;
            w.bce = variant == 2 ? 0.0 : 1.0;
            w.dice = variant == 1 ? 0.0 : 0.7;
            w.dice_per_image = variant != 3;
            const std::string tag = std::string(B::name) + " " + std::string(salt::op_name(O)) + " " +
                                    std::to_string(g.batch) + "x" + std::to_string(g.height) + "x" + std::to_string(g.width) +
                                    " variant " + std::to_string(variant);
            const MapData c(g, 71);
            auto z = put<B>(d, c.z), t = put<B>(d, c.t);
            DeviceArray<B, float> grad(d, c.z.size(), 9.f);
            std::vector<float> ref(c.z.size());
            double got = 0, exact = 0, value_only = 0;
            if constexpr (O == salt::Op::loss_lovasz) {
                got = salt::run<O>(d, g, z.cget(), t.cget(), grad.get());
                value_only = salt::run<O>(d, g, z.cget(), t.cget(), static_cast<float*>(nullptr));
                exact = ops::loss_lovasz(g, c.z.data(), c.t.data(), ref.data());
            } else {
                got = salt::run<O>(d, g, w, z.cget(), t.cget(), grad.get());
                value_only = salt::run<O>(d, g, w, z.cget(), t.cget(), static_cast<float*>(nullptr));
                exact = ops::loss_bce_dice(g, w, c.z.data(), c.t.data(), ref.data());
            }
            INFO(tag << ": loss " << got << " reference " << exact);
            CHECK(std::fabs(got - exact) <= 1e-12 * std::fabs(exact) + 1e-15);
            CHECK(value_only == got);
            expect_close_rel(tag + " grad", grad.host(), to_d(ref), 2);
        }
}

template <class B>
void check_mask_stats(Dev<B>& d) {
    const std::vector<double> thresholds = {0.0, -1.5, 2.0};
    for (const auto& g : map_cases()) {
        const MapData c(g, 81);
        auto z = put<B>(d, c.z), t = put<B>(d, c.t);
        std::vector<salt::MaskCounts> got(std::size_t(g.batch) * thresholds.size()), ref(got.size());
        salt::run<salt::Op::mask_stats>(d, g, z.cget(), t.cget(), std::span<const double>(thresholds), got.data());
        ops::mask_stats(g, c.z.data(), c.t.data(), std::span<const double>(thresholds), ref.data());
        INFO(B::name << " mask_stats " << g.batch << "x" << g.height << "x" << g.width);
        CHECK(got == ref);
    }
}

template <class B>
void check_flip_crop(Dev<B>& d, bool flip) {
    for (auto [s, n] : std::vector<std::pair<Shape, int>>{{{128, 128, 1}, 2}, {{101, 101, 1}, 3}, {{5, 7, 3}, 2}, {{1, 1, 4}, 1}}) {
        const auto x = rnd(s.size() * n, 91);
        auto xb = put<B>(d, x);
        if (flip) {
            DeviceArray<B, float> y(d, x.size(), 0.f);
            salt::run<salt::Op::flip_width>(d, s, n, xb.cget(), y.get());
            std::vector<float> ref(x.size());
            ops::flip_width(s, n, x.data(), ref.data());
            INFO(B::name << " flip_width " << str(s, n));
            CHECK(y.host() == ref);
        } else {
            const salt::Region r{s.h / 4, s.w / 3, s.h - s.h / 4 - s.h / 5, s.w - s.w / 3};
            DeviceArray<B, float> y(d, std::size_t(r.pixels()) * s.c * n, 0.f);
            salt::run<salt::Op::crop>(d, s, n, r, xb.cget(), y.get());
            std::vector<float> ref(y.size());
            ops::crop(s, n, r, x.data(), ref.data());
            INFO(B::name << " crop " << str(s, n));
            CHECK(y.host() == ref);
        }
    }
}

// ---- dispatch: one case per op ----------------------------------------------------------------

template <salt::Op O, class B>
void run_case(Dev<B>& d) {
    using salt::Op;
    if constexpr (O == Op::conv2d_forward) {
        for (const auto& cc : conv_cases()) check_conv_forward<B>(d, cc);
    } else if constexpr (O == Op::conv2d_backward_data) {
        for (const auto& cc : conv_cases()) check_conv_backward_data<B>(d, cc);
    } else if constexpr (O == Op::conv2d_backward_params) {
        for (const auto& cc : conv_cases()) check_conv_backward_params<B>(d, cc);
    } else if constexpr (O == Op::conv2d_bn_forward_eval) {
        check_conv_bn_eval<B>(d);
    } else if constexpr (O == Op::batch_norm_forward_train) {
        check_bn_forward_train<B, O>(d, false);
    } else if constexpr (O == Op::batch_norm_relu_forward_train) {
        check_bn_forward_train<B, O>(d, true);
    } else if constexpr (O == Op::batch_norm_backward_train) {
        check_bn_backward_train<B, O>(d, false);
    } else if constexpr (O == Op::batch_norm_relu_backward_train) {
        check_bn_backward_train<B, O>(d, true);
    } else if constexpr (O == Op::batch_norm_forward_eval) {
        check_bn_forward_eval<B>(d);
    } else if constexpr (O == Op::relu_forward || O == Op::relu_backward || O == Op::sigmoid_forward ||
                         O == Op::sigmoid_backward || O == Op::add_forward || O == Op::accumulate || O == Op::axpby ||
                         O == Op::threshold) {
        check_elementwise<B, O>(d);
    } else if constexpr (O == Op::dropout_forward || O == Op::dropout_backward) {
        check_dropout<B>(d, O == Op::dropout_backward);
    } else if constexpr (O == Op::max_pool2d_forward || O == Op::max_pool2d_backward) {
        check_max_pool<B>(d, O == Op::max_pool2d_backward);
    } else if constexpr (O == Op::global_avg_pool_forward || O == Op::global_avg_pool_backward) {
        check_global_avg_pool<B>(d, O == Op::global_avg_pool_backward);
    } else if constexpr (O == Op::resize_bilinear_forward || O == Op::resize_bilinear_backward) {
        check_resize<B>(d, O == Op::resize_bilinear_backward);
    } else if constexpr (O == Op::concat_channels_forward || O == Op::concat_channels_backward) {
        check_concat<B>(d, O == Op::concat_channels_backward);
    } else if constexpr (O == Op::adam_step) {
        check_adam<B>(d);
    } else if constexpr (O == Op::loss_bce_dice || O == Op::loss_lovasz) {
        check_loss<B, O>(d);
    } else if constexpr (O == Op::mask_stats) {
        check_mask_stats<B>(d);
    } else if constexpr (O == Op::flip_width || O == Op::crop) {
        check_flip_crop<B>(d, O == Op::flip_width);
    } else {
        static_assert(O == Op::conv2d_forward, "the conformance test has no case for this op: add one here");
    }
}

// Runs the case of every op B declares; returns how many ran.
template <class B>
int run_declared(Dev<B>& d) {
    int ran = 0;
    [&]<int... I>(std::integer_sequence<int, I...>) {
        (
            [&] {
                constexpr salt::Op O = salt::Op(I);
                if constexpr (B::ops.has(O)) {
                    INFO("op " << salt::op_name(O) << " on backend " << B::name);
                    run_case<O, B>(d);
                    ++ran;
                }
            }(),
            ...);
    }(std::make_integer_sequence<int, salt::kOpCount>{});
    return ran;
}

}  // namespace salt::test::conformance
