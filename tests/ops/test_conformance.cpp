// Forward conformance of the reference ops against PyTorch 1.13 (CPU, float32), from the fixtures
// written by tests/fixtures/make_op_fixtures.py (regenerate with /usr/bin/python3; format there).
//
// Each case runs the op in float (what the library trains in) and in double (the gradient-check
// type) on the same float inputs and compares with torch's float output. Error measure:
//     err = max_i |y_i - ref_i| / max_i |ref_i|
// Tolerances (float32 unit roundoff u = 6e-8), justified per op:
//   * conv2d 1e-5: the reference accumulates in double, so its result is the exact sum rounded once;
//     torch/oneDNN accumulates K = k*k*cin <= 147 products in float in some blocked order, with
//     worst-case error ~ K*u*sum|x*w| and typical ~ sqrt(K)*u*sum|x*w|; with sum|x*w| a few times
//     max|y| that is ~1e-6 typical, 1e-5 bounds it with margin (measured: <= 2.6e-7).
//   * batch norm 1e-5 (y and running stats): statistics over m <= 105 values per channel; torch's
//     float/double mix gives errors of a few u relative to |y| (measured: <= 1.2e-7).
//   * max pool: exact equality of values AND argmax indices (no arithmetic; ties impossible with
//     continuous random inputs); the all-negative case fails if padding ever competes.
//   * bilinear resize, float 3e-7 (5 u): the float kernel reproduces torch's source indices and
//     weights bit for bit (scale in float, source coordinate and lambda in double, lambda rounded to
//     float — checked weight by weight when the kernel was written), so only the rounding of the
//     two-level interpolation, possibly contracted into FMAs by either compiler, can differ: at most
//     a few u of max|ref| (measured: <= 1.6 u). A kernel that rounds src to float before taking
//     lambda, or computes the scale in double, is off by up to 2e-6 on 13 -> 101 and fails.
//     Double 5e-6: the double kernel computes the exact weights, torch's float scale in/out has
//     relative error <= u, which moves src by up to u*in (~1e-6 pixels for in = 16) and the output
//     by that times the largest neighbour difference (<= 2 max|x|) -> ~2e-6 (measured 1.6e-6).
//     A wrong convention (align_corners, half-pixel offset, clamping) gives errors of O(1e-1).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fixture_reader.hpp"
#include "salt/ops/ops.hpp"
#include "support/test_env.hpp"

namespace {

using salt::Shape;
using salt::test::Fixture;

Fixture load(const std::string& name) {
    const auto path = salt::test::fixture_dir() / "ops" / (name + ".bin");
    INFO("fixture " << path.string() << " (regenerate: /usr/bin/python3 tests/fixtures/make_op_fixtures.py)");
    REQUIRE(std::filesystem::exists(path));
    return Fixture(path);
}

Shape nhwc_shape(const salt::test::FixtureTensor& t, int& batch) {
    REQUIRE(t.dims.size() == 4);
    batch = int(t.dims[0]);
    return Shape{int(t.dims[1]), int(t.dims[2]), int(t.dims[3])};
}

template <class T>
std::vector<T> as(const std::vector<float>& v) {
    return std::vector<T>(v.begin(), v.end());
}

template <class T>
double rel_err(const std::vector<T>& y, const std::vector<float>& expect) {
    REQUIRE(y.size() == expect.size());
    double num = 0, den = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        num = std::max(num, std::abs(double(y[i]) - double(expect[i])));
        den = std::max(den, std::abs(double(expect[i])));
        if (!std::isfinite(double(y[i]))) return INFINITY;
    }
    return den > 0 ? num / den : num;
}

// ---------------------------------------------------------------------------------------------- conv2d

template <class T>
double run_conv(const Fixture& f) {
    const auto& pr = f.i("params");
    salt::Conv2dParams p{pr[0], pr[1], pr[2], pr[3], pr[4], pr[5], pr[6] != 0};
    int batch = 0;
    const Shape in = nhwc_shape(f.at("x"), batch);
    const Shape out = salt::conv2d_out_shape(in, p);
    const auto& yref = f.at("y");
    REQUIRE(int(yref.dims[1]) == out.h);
    REQUIRE(int(yref.dims[2]) == out.w);
    REQUIRE(int(yref.dims[3]) == out.c);
    const std::vector<T> x = as<T>(f.f("x")), oihw = as<T>(f.f("w_oihw"));
    std::vector<T> w(p.weight_count()), back(p.weight_count());
    salt::ops::conv2d_weight_from_oihw(salt::WeightLayout::hwio, p, oihw.data(), w.data());
    salt::ops::conv2d_weight_to_oihw(salt::WeightLayout::hwio, p, w.data(), back.data());
    CHECK(back == oihw);
    std::vector<T> bias = p.bias ? as<T>(f.f("bias")) : std::vector<T>{};
    std::vector<T> y(out.size() * batch);
    salt::ops::conv2d_forward(in, batch, p, x.data(), w.data(), p.bias ? bias.data() : nullptr, y.data());
    return rel_err(y, yref.f);
}

TEST_CASE("conv2d forward matches torch", "[unit][conformance][conv2d]") {
    for (const char* name : {"conv_dilated2_bias", "conv_dilated3_pad0", "conv_strided_nobias", "conv_stem7_s2",
                             "conv_1x1_s2_bias", "conv_strided_dilated"}) {
        INFO(name);
        const Fixture f = load(name);
        const double ef = run_conv<float>(f), ed = run_conv<double>(f);
        INFO("float err " << ef << ", double err " << ed);
        CHECK(ef <= 1e-5);
        CHECK(ed <= 1e-5);
    }
}

// ------------------------------------------------------------------------------------------ batch norm

template <class T>
void run_bn_train(const Fixture& f) {
    const auto& fp = f.f("fparams");
    const salt::ops::BatchNormParams bp{double(fp[0]), double(fp[1])};
    int batch = 0;
    const Shape s = nhwc_shape(f.at("x"), batch);
    const std::vector<T> x = as<T>(f.f("x")), g = as<T>(f.f("gamma")), b = as<T>(f.f("beta"));
    std::vector<T> rm = as<T>(f.f("running_mean")), rv = as<T>(f.f("running_var"));
    std::vector<T> y(x.size()), sm(s.c), si(s.c);
    salt::ops::batch_norm_forward_train(s, batch, bp, x.data(), g.data(), b.data(), rm.data(), rv.data(),
                                        y.data(), sm.data(), si.data());
    const double ey = rel_err(y, f.f("y")), em = rel_err(rm, f.f("running_mean_out")),
                 ev = rel_err(rv, f.f("running_var_out"));
    INFO((sizeof(T) == 4 ? "float" : "double") << ": y err " << ey << ", running_mean err " << em
                                               << ", running_var err " << ev);
    CHECK(ey <= 1e-5);
    CHECK(em <= 1e-5);
    CHECK(ev <= 1e-5);
}

TEST_CASE("batch_norm train forward and running statistics match torch", "[unit][conformance][batch_norm]") {
    for (const char* name : {"bn_train", "bn_train_pooled"}) {
        INFO(name);
        const Fixture f = load(name);
        run_bn_train<float>(f);
        run_bn_train<double>(f);
    }
}

template <class T>
double run_bn_eval(const Fixture& f) {
    const auto& fp = f.f("fparams");
    const salt::ops::BatchNormParams bp{double(fp[0]), double(fp[1])};
    int batch = 0;
    const Shape s = nhwc_shape(f.at("x"), batch);
    const std::vector<T> x = as<T>(f.f("x")), g = as<T>(f.f("gamma")), b = as<T>(f.f("beta"));
    const std::vector<T> rm = as<T>(f.f("running_mean")), rv = as<T>(f.f("running_var"));
    std::vector<T> y(x.size());
    salt::ops::batch_norm_forward_eval(s, batch, bp, x.data(), g.data(), b.data(), rm.data(), rv.data(),
                                       y.data());
    return rel_err(y, f.f("y"));
}

TEST_CASE("batch_norm eval forward matches torch", "[unit][conformance][batch_norm]") {
    const Fixture f = load("bn_eval");
    const double ef = run_bn_eval<float>(f), ed = run_bn_eval<double>(f);
    INFO("float err " << ef << ", double err " << ed);
    CHECK(ef <= 1e-5);
    CHECK(ed <= 1e-5);
}

// -------------------------------------------------------------------------------------------- max pool

template <class T>
void run_pool(const Fixture& f) {
    const auto& pr = f.i("params");
    const salt::Pool2dParams p{pr[0], pr[1], pr[2]};
    int batch = 0;
    const Shape in = nhwc_shape(f.at("x"), batch);
    const Shape out = salt::pool2d_out_shape(in, p);
    const auto& yref = f.at("y");
    REQUIRE(int(yref.dims[1]) == out.h);
    REQUIRE(int(yref.dims[2]) == out.w);
    const std::vector<T> x = as<T>(f.f("x"));
    std::vector<T> y(out.size() * batch);
    std::vector<std::int32_t> am(y.size());
    salt::ops::max_pool2d_forward(in, batch, p, x.data(), y.data(), am.data());
    CHECK(rel_err(y, yref.f) == 0.0);
    CHECK(am == f.i("argmax"));
}

TEST_CASE("max_pool2d forward and argmax match torch exactly", "[unit][conformance][max_pool]") {
    for (const char* name : {"maxpool_3s2p1_negative", "maxpool_3s2p1_mixed"}) {
        INFO(name);
        const Fixture f = load(name);
        run_pool<float>(f);
        run_pool<double>(f);
    }
}

// ------------------------------------------------------------------------------------------------ resize

template <class T>
double run_resize(const Fixture& f) {
    const auto& pr = f.i("params");
    int batch = 0;
    const Shape in = nhwc_shape(f.at("x"), batch);
    const int oh = pr[0], ow = pr[1];
    const bool align = pr[2] != 0;
    const std::vector<T> x = as<T>(f.f("x"));
    std::vector<T> y(std::size_t(oh) * ow * in.c * batch);
    salt::ops::resize_bilinear_forward(in, batch, oh, ow, align, x.data(), y.data());
    return rel_err(y, f.f("y"));
}

TEST_CASE("resize_bilinear forward matches torch (align_corners false and true)", "[unit][conformance][resize_bilinear]") {
    for (const char* name : {"resize_1x1_to_16_false", "resize_16_to_128_false", "resize_13_to_101_false",
                             "resize_down_9x11_to_4x3_false", "resize_up_5x7_to_12x9_true",
                             "resize_down_12x9_to_5x4_true", "resize_13x11_to_101x37_true", "resize_1x1_to_16_true"}) {
        INFO(name);
        const Fixture f = load(name);
        const double ef = run_resize<float>(f), ed = run_resize<double>(f);
        INFO("float err " << ef << ", double err " << ed);
        CHECK(ef <= 3e-7);
        CHECK(ed <= 5e-6);
    }
}

}  // namespace
