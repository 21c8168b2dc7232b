// tests/cuda_host/test_cuda_host.cpp — the CUDA backend's kernels, verified on the host (label
// cuda_host; no GPU, no CUDA toolkit needed).
//
// Every custom kernel of salt/backend/cuda/ runs here through emulated launches (launch.hpp) of the
// very functors the GPU runs, inside CudaEmulated (cuda_emulated.hpp), and is compared with the
// reference kernels in double:
//   * the conformance case of every op (tests/backend/conformance.hpp), with the default launch
//     parameters, with tiny blocks and grids (32 threads, at most 3 blocks: every grid-stride loop
//     wraps) in reverse order, and with 1024-thread blocks;
//   * extra cases at the model's odd sizes (101 x 101 maps, channel counts that are not multiples
//     of 32);
//   * determinism: the reductions (batch norm, global pooling, the bias gradient, the losses) and
//     the gather backwards (resize, max pool) give the same bits on two runs, for every block size
//     and grid size, and when blocks and threads run in reverse order (a race inside a phase would
//     show up as a difference);
//   * the pieces that are plain host logic: the overlap plan of copy(), the caching arena, and the
//     emulator's own checks (so that the checks above can fail).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "backend/conformance.hpp"
#include "cuda_host/cuda_emulated.hpp"
#include "salt/backend/cuda/arena.hpp"
#include "salt/backend/cuda/copy_plan.hpp"
#include "salt/ops/ops.hpp"

namespace {

using namespace salt::test::conformance;
using salt::Shape;
using salt::test::CudaEmulated;
using salt::test::DeviceArray;
namespace cu = salt::backend::cuda;
namespace ops = salt::ops;
using E = CudaEmulated;

// Bit-for-bit equality of two arrays, naming the first difference (a CHECK on the vectors
// themselves would print millions of elements).
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b, const std::string& what) {
    if (a.size() != b.size()) {
        UNSCOPED_INFO(what << ": " << a.size() << " elements against " << b.size());
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) {
            UNSCOPED_INFO(what << ": first difference at element " << i << " of " << a.size());
            return false;
        }
    return true;
}

E::options opts(unsigned threads, unsigned max_blocks, cu::EmulationOrder order = cu::EmulationOrder::forward) {
    return E::options{cu::Tuning{threads, max_blocks}, order};
}

// The launch configurations every result must be independent of.
std::vector<E::options> configurations() {
    return {opts(256, 65535), opts(32, 3, cu::EmulationOrder::reverse), opts(1024, 7), opts(64, 1),
            opts(128, 65535, cu::EmulationOrder::reverse)};
}

}  // namespace

TEST_CASE("cuda_host: every op the emulated CUDA backend declares matches the reference in double", "[cuda_host]") {
    STATIC_REQUIRE(E::ops.size() == salt::kOpCount);  // every op of the catalogue
    {
        E::device d;
        CHECK(run_declared<E>(d) == E::ops.size());
        CHECK(d.ex.live_scratch() == 0);
    }
    {  // tiny blocks and grids, reverse order: every grid-stride loop wraps, every tree has idle lanes
        E::device d(opts(32, 3, cu::EmulationOrder::reverse));
        CHECK(run_declared<E>(d) == E::ops.size());
    }
    {
        E::device d(opts(1024, 65535));
        CHECK(run_declared<E>(d) == E::ops.size());
    }
}

// ---- the model's odd sizes ------------------------------------------------------------------------
// 101 x 101 maps (and the 51 / 26 / 13 they become), channel counts that are not multiples of 32.
// Batch-norm reductions over 20402 rows take 638 tiles, so every lane of the combining tree sums
// several tiles (the conformance shapes stay under 256 tiles).

namespace {

template <salt::Op O>
void bn_train_case(E::device& d, Shape s, int n) {
    constexpr bool relu = O == salt::Op::batch_norm_relu_forward_train;
    const std::string tag = std::string(salt::op_name(O)) + " " + str(s, n);
    const std::size_t N = s.size() * n, C = std::size_t(s.c);
    const double m = double(n) * s.pixels();
    const BnData c(s, n);
    auto x = put<E>(d, c.x), g = put<E>(d, c.g), be = put<E>(d, c.be), rm = put<E>(d, c.rm0), rv = put<E>(d, c.rv0);
    DeviceArray<E, float> y(d, N, 0.f), sm(d, C, 0.f), si(d, C, 0.f);
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

template <salt::Op O>
void bn_backward_case(E::device& d, Shape s, int n) {
    constexpr bool relu = O == salt::Op::batch_norm_relu_backward_train;
    const std::string tag = std::string(salt::op_name(O)) + " " + str(s, n);
    const std::size_t N = s.size() * n, C = std::size_t(s.c);
    const double m = double(n) * s.pixels();
    const BnData c(s, n);
    auto xd = to_d(c.x), gd = to_d(c.g), bed = to_d(c.be);
    std::vector<double> yd(N), rmd = to_d(c.rm0), rvd = to_d(c.rv0), smd(C), sid(C);
    ops::batch_norm_forward_train(s, n, salt::BatchNormParams{}, xd.data(), gd.data(), bed.data(), rmd.data(), rvd.data(),
                                  yd.data(), smd.data(), sid.data());
    std::vector<float> smf(smd.begin(), smd.end()), sif(sid.begin(), sid.end()), yf(N);
    for (std::size_t i = 0; i < N; ++i) yf[i] = float(std::max(0.0, yd[i]));
    auto x = put<E>(d, c.x), dy = put<E>(d, c.dy), g = put<E>(d, c.g), sm = put<E>(d, smf), si = put<E>(d, sif);
    auto yb = put<E>(d, yf), dg = put<E>(d, c.dg0), db = put<E>(d, c.db0);
    DeviceArray<E, float> dx(d, N, 7.f);
    if constexpr (relu)
        salt::run<O>(d, s, n, x.cget(), yb.cget(), dy.cget(), g.cget(), sm.cget(), si.cget(), dx.get(), dg.get(), db.get());
    else
        salt::run<O>(d, s, n, x.cget(), dy.cget(), g.cget(), sm.cget(), si.cget(), dx.get(), dg.get(), db.get());
    std::vector<double> dyd = to_d(c.dy), dxd(N), dgd = to_d(c.dg0), dbd = to_d(c.db0), smfd = to_d(smf), sifd = to_d(sif);
    if (relu)
        for (std::size_t i = 0; i < N; ++i) dyd[i] = yf[i] > 0 ? dyd[i] : 0.0;
    ops::batch_norm_backward_train(s, n, xd.data(), dyd.data(), gd.data(), smfd.data(), sifd.data(), dxd.data(), dgd.data(),
                                   dbd.data());
    expect_close_array(tag + " dx", dx.host(), dxd, m);
    expect_close_array(tag + " dgamma", dg.host(), dgd, m);
    expect_close_array(tag + " dbeta", db.host(), dbd, m);
}

const std::vector<std::pair<Shape, int>>& odd_maps() {
    static const std::vector<std::pair<Shape, int>> c = {
        {{101, 101, 33}, 2}, {{51, 51, 70}, 1}, {{26, 26, 37}, 3}, {{13, 13, 257}, 2}, {{101, 101, 1}, 3}};
    return c;
}

}  // namespace

TEST_CASE("cuda_host: batch norm, train and eval, forward and backward, fused or not, at odd sizes", "[cuda_host]") {
    for (const auto& o : {opts(256, 65535), opts(32, 5, cu::EmulationOrder::reverse)}) {
        E::device d(o);
        for (auto [s, n] : odd_maps()) {
            bn_train_case<salt::Op::batch_norm_forward_train>(d, s, n);
            bn_train_case<salt::Op::batch_norm_relu_forward_train>(d, s, n);
            bn_backward_case<salt::Op::batch_norm_backward_train>(d, s, n);
            bn_backward_case<salt::Op::batch_norm_relu_backward_train>(d, s, n);
            const BnData c(s, n);
            auto x = put<E>(d, c.x), g = put<E>(d, c.g), be = put<E>(d, c.be), rm = put<E>(d, c.rm0), rv = put<E>(d, c.rv0);
            DeviceArray<E, float> y(d, c.x.size(), 0.f);
            salt::run<salt::Op::batch_norm_forward_eval>(d, s, n, salt::BatchNormParams{}, x.cget(), g.cget(), be.cget(),
                                                         rm.cget(), rv.cget(), y.get());
            auto xd = to_d(c.x), gd = to_d(c.g), bed = to_d(c.be), rmd = to_d(c.rm0), rvd = to_d(c.rv0);
            std::vector<double> yd(c.x.size());
            ops::batch_norm_forward_eval(s, n, salt::BatchNormParams{}, xd.data(), gd.data(), bed.data(), rmd.data(),
                                         rvd.data(), yd.data());
            expect_close_array("batch_norm_forward_eval " + str(s, n), y.host(), yd, 1);
        }
    }
}

TEST_CASE("cuda_host: pooling at odd sizes; max pool's gather backward equals the reference's scatter bit for bit",
          "[cuda_host]") {
    E::device d(opts(64, 11));
    for (auto [s, n] : odd_maps()) {
        const salt::Pool2dParams pp{3, 2, 1};
        const Shape out = salt::pool2d_out_shape(s, pp);
        const auto x = pool_input(s, n);  // ties and a NaN
        std::vector<float> yr(out.size() * n);
        std::vector<std::int32_t> ar(yr.size());
        ops::max_pool2d_forward(s, n, pp, x.data(), yr.data(), ar.data());
        auto xb = put<E>(d, x);
        DeviceArray<E, float> y(d, yr.size(), 0.f);
        DeviceArray<E, std::int32_t> am(d, yr.size(), -5);
        salt::run<salt::Op::max_pool2d_forward>(d, s, n, pp, xb.cget(), y.get(), am.get());
        INFO("max pool " << str(s, n));
        const auto yh = y.host();
        CHECK(std::memcmp(yh.data(), yr.data(), yr.size() * sizeof(float)) == 0);  // NaN included
        CHECK(same_bits(am.host(), ar, "max pool argmax"));
        const auto dy = rnd(yr.size(), 32);
        std::vector<float> dxr(x.size());
        ops::max_pool2d_backward(s, n, pp, dy.data(), ar.data(), dxr.data());
        auto dyb = put<E>(d, dy);
        auto amb = put<E>(d, ar);
        DeviceArray<E, float> dx(d, x.size(), 5.f);
        salt::run<salt::Op::max_pool2d_backward>(d, s, n, pp, dyb.cget(), amb.cget(), dx.get());
        CHECK(same_bits(dx.host(), dxr, "max pool dx"));
        // global average pooling, forward and backward
        const auto xg = rnd(s.size() * n, 33);
        auto xgb = put<E>(d, xg);
        DeviceArray<E, float> gy(d, std::size_t(s.c) * n, 0.f);
        salt::run<salt::Op::global_avg_pool_forward>(d, s, n, xgb.cget(), gy.get());
        auto xgd = to_d(xg);
        std::vector<double> gyd(gy.size());
        ops::global_avg_pool_forward(s, n, xgd.data(), gyd.data());
        expect_close_array("global_avg_pool_forward " + str(s, n), gy.host(), gyd, double(s.pixels()));
    }
}

TEST_CASE("cuda_host: bilinear resize at the model's sizes, both alignments, forward and backward", "[cuda_host]") {
    E::device d(opts(128, 65535, cu::EmulationOrder::reverse));
    const std::tuple<Shape, int, int, int> cases[] = {{{13, 13, 33}, 2, 101, 101}, {{26, 26, 70}, 1, 101, 101},
                                                     {{101, 101, 3}, 2, 128, 128}, {{128, 128, 1}, 2, 101, 101},
                                                     {{16, 16, 37}, 3, 128, 128}, {{7, 5, 3}, 2, 3, 11}};
    for (auto [in, n, oh, ow] : cases)
        for (bool ac : {false, true}) {
            const std::string tag = "resize " + str(in, n) + " -> " + std::to_string(oh) + "x" + std::to_string(ow) +
                                    (ac ? " align_corners" : "");
            const Shape out = salt::resize_out_shape(in, oh, ow);
            const auto x = rnd(in.size() * n, 41);
            std::vector<float> yr(out.size() * n);
            ops::resize_bilinear_forward(in, n, oh, ow, ac, x.data(), yr.data());
            auto xb = put<E>(d, x);
            DeviceArray<E, float> y(d, yr.size(), 0.f);
            salt::run<salt::Op::resize_bilinear_forward>(d, in, n, oh, ow, ac, xb.cget(), y.get());
            INFO(tag);
            CHECK(same_bits(y.host(), yr, "resize y"));  // the reference's weights and float expression: the same bits
            const auto dy = rnd(out.size() * n, 42);
            // against the reference in float (float weights, double sums): both sum the same products
            // in double, in different orders, so they are a float rounding apart (the conformance
            // case compares with the double reference, whose weights differ by ~1e-7)
            std::vector<float> dxr(x.size());
            ops::resize_bilinear_backward(in, n, oh, ow, ac, dy.data(), dxr.data());
            auto dyb = put<E>(d, dy);
            DeviceArray<E, float> dx(d, x.size(), 5.f);
            salt::run<salt::Op::resize_bilinear_backward>(d, in, n, oh, ow, ac, dyb.cget(), dx.get());
            expect_close(tag + " dx", dx.host(), to_d(dxr),
                         [&](std::size_t i) { return 2 * kEps * std::fabs(double(dxr[i])) + 1e-12; });
        }
}

TEST_CASE("cuda_host: the resize taps are the reference's bit for bit", "[cuda_host]") {
    int checked = 0;
    for (int in = 1; in <= 40; ++in)
        for (int out : {1, 2, 3, 7, 13, 16, 26, 51, 64, 101, 128, 131})
            for (bool ac : {false, true}) {
                const auto ref = ops::detail::linear_taps<float>(in, out, ac);
                for (int o = 0; o < out; ++o) {
                    const cu::kernels::Tap t = cu::kernels::linear_tap(in, out, ac, o);
                    const auto& r = ref[std::size_t(o)];
                    const bool same = t.i0 == r.i0 && t.i1 == r.i1 && std::memcmp(&t.l0, &r.l0, sizeof(float)) == 0 &&
                                      std::memcmp(&t.l1, &r.l1, sizeof(float)) == 0;
                    if (!same) FAIL_CHECK("tap " << o << " of " << in << " -> " << out << " align_corners " << ac);
                    ++checked;
                }
            }
    CHECK(checked > 40000);
}

TEST_CASE("cuda_host: element-wise ops, dropout, Adam, concat, flip and crop on 101x101x33 batches", "[cuda_host]") {
    E::device d(opts(256, 97));
    const Shape s{101, 101, 33};
    const int n = 2;
    const std::size_t N = s.size() * n;
    const auto a = rnd(N, 1, -4, 4), b = rnd(N, 2);
    auto ab = put<E>(d, a), bb = put<E>(d, b);
    {
        DeviceArray<E, float> y(d, N, 0.f);
        salt::run<salt::Op::sigmoid_forward>(d, N, ab.cget(), y.get());
        std::vector<float> r(N);
        ops::sigmoid_forward(N, a.data(), r.data());
        CHECK(same_bits(y.host(), r, "sigmoid y"));  // the same float expression and expf
        salt::run<salt::Op::relu_forward>(d, N, ab.cget(), y.get());
        ops::relu_forward(N, a.data(), r.data());
        CHECK(same_bits(y.host(), r, "relu y"));
    }
    for (double p : {0.1, 0.5}) {
        DeviceArray<E, float> y(d, N, 0.f);
        DeviceArray<E, std::uint8_t> mask(d, N, std::uint8_t(3));
        salt::run<salt::Op::dropout_forward>(d, N, p, std::uint64_t(12345), ab.cget(), y.get(), mask.get());
        std::vector<float> r(N);
        std::vector<std::uint8_t> mr(N);
        ops::dropout_forward(N, p, 12345, a.data(), r.data(), mr.data());
        CHECK(same_bits(mask.host(), mr, "dropout mask"));
        CHECK(same_bits(y.host(), r, "dropout y"));
    }
    {
        salt::AdamStep st;
        st.lr = 1e-3, st.weight_decay = 1e-4, st.decoupled = true, st.step = 3;
        auto m0 = rnd(N, 3, -1e-3, 1e-3), v0 = rnd(N, 4, 0, 1e-5), p0 = a, g0 = rnd(N, 5, -1e-2, 1e-2);
        auto pb = put<E>(d, p0), gb = put<E>(d, g0), mb = put<E>(d, m0), vb = put<E>(d, v0);
        salt::run<salt::Op::adam_step>(d, N, st, true, pb.get(), gb.cget(), mb.get(), vb.get());
        ops::adam_step(N, st, true, p0.data(), g0.data(), m0.data(), v0.data());
        CHECK(same_bits(pb.host(), p0, "adam param"));  // adam_update_element itself: the same bits
        CHECK(same_bits(mb.host(), m0, "adam m"));
        CHECK(same_bits(vb.host(), v0, "adam v"));
    }
    {
        const std::size_t rows = s.pixels() * n;
        const int ch[3] = {33, 70, 1};
        const auto x0 = rnd(rows * 33, 6), x1 = rnd(rows * 70, 7), x2 = rnd(rows, 8);
        auto b0 = put<E>(d, x0), b1 = put<E>(d, x1), b2 = put<E>(d, x2);
        DeviceArray<E, float> y(d, rows * 104, 0.f);
        const float* ins[3] = {b0.cget(), b1.cget(), b2.cget()};
        salt::run<salt::Op::concat_channels_forward>(d, rows, std::span<const int>(ch), std::span<const float* const>(ins),
                                                     y.get());
        std::vector<float> yr(rows * 104);
        const float* insr[3] = {x0.data(), x1.data(), x2.data()};
        ops::concat_channels_forward(rows, std::span<const int>(ch), std::span<const float* const>(insr), yr.data());
        CHECK(same_bits(y.host(), yr, "concat y"));
        DeviceArray<E, float> d0(d, x0.size(), 0.f), d2(d, x2.size(), 0.f);
        float* outs[3] = {d0.get(), nullptr, d2.get()};
        salt::run<salt::Op::concat_channels_backward>(d, rows, std::span<const int>(ch), y.cget(),
                                                      std::span<float* const>(outs));
        CHECK(same_bits(d0.host(), x0, "concat d input 0"));
        CHECK(same_bits(d2.host(), x2, "concat d input 2"));
    }
    {
        DeviceArray<E, float> y(d, N, 0.f);
        salt::run<salt::Op::flip_width>(d, s, n, ab.cget(), y.get());
        std::vector<float> r(N);
        ops::flip_width(s, n, a.data(), r.data());
        CHECK(same_bits(y.host(), r, "flip_width y"));
        const salt::Region reg{13, 14, 75, 73};
        DeviceArray<E, float> c(d, std::size_t(reg.pixels()) * s.c * n, 0.f);
        salt::run<salt::Op::crop>(d, s, n, reg, ab.cget(), c.get());
        std::vector<float> cr(c.size());
        ops::crop(s, n, reg, a.data(), cr.data());
        CHECK(same_bits(c.host(), cr, "crop y"));
    }
    {  // the conv bias and its gradient (the kernels around cuDNN) over 101x101 maps
        const salt::Conv2dParams p{3, 33, 3, 1, 1, 1, true};
        const Shape in{101, 101, 3};
        const auto x = rnd(in.size() * n, 9), w = rnd(p.weight_count(), 10), bias = rnd(33, 11), dw0 = rnd(p.weight_count(), 12);
        auto xb = put<E>(d, x), wb = put<E>(d, kernel_layout<E>(p, w)), biasb = put<E>(d, bias);
        DeviceArray<E, float> y(d, N, 0.f);
        salt::run<salt::Op::conv2d_forward>(d, in, n, p, xb.cget(), wb.cget(), biasb.cget(), y.get());
        auto xd = to_d(x), wd = to_d(w), bd = to_d(bias);
        std::vector<double> yd(N);
        ops::conv2d_forward(in, n, p, xd.data(), wd.data(), bd.data(), yd.data());
        expect_close("conv2d_forward 101x101 bias", y.host(), yd, [&](std::size_t i) { return 4 * kEps * (std::fabs(yd[i]) + 1) + 1e-30; });
        const auto dy = rnd(N, 13), db0 = rnd(33, 14);
        auto dyb = put<E>(d, dy), dwb = put<E>(d, kernel_layout<E>(p, dw0)), dbb = put<E>(d, db0);
        salt::run<salt::Op::conv2d_backward_params>(d, in, n, p, xb.cget(), dyb.cget(), dwb.get(), dbb.get());
        auto dyd = to_d(dy), dwd = to_d(dw0), dbd = to_d(db0);
        ops::conv2d_backward_params(in, n, p, xd.data(), dyd.data(), dwd.data(), dbd.data());
        expect_close_array("conv2d_backward_params 101x101 dbias", dbb.host(), dbd, double(in.pixels()) * n);
        expect_close_array("conv2d_backward_params 101x101 dw", hwio_layout<E>(p, dwb.host()), dwd, double(in.pixels()) * n);
    }
}

TEST_CASE("cuda_host: losses and mask statistics on 101x101 maps, Lovasz with many tied errors", "[cuda_host]") {
    E::device d(opts(256, 65535));
    const salt::MapGeometry gs[] = {{8, 101, 101, {0, 0, 101, 101}}, {3, 128, 128, {13, 13, 101, 101}}};
    for (const auto& g : gs) {
        const std::size_t N = std::size_t(g.batch) * std::size_t(g.map_pixels());
        MapData c(g, 3);
        // logits on a grid of 0.25: errors tie in large groups (the order inside a tie is by index)
        for (float& z : c.z) z = std::round(z * 4.f) / 4.f;
        auto z = put<E>(d, c.z), t = put<E>(d, c.t);
        INFO("maps " << g.batch << "x" << g.height << "x" << g.width);
        {
            DeviceArray<E, float> grad(d, N, 9.f);
            std::vector<float> ref(N);
            const double got = salt::run<salt::Op::loss_lovasz>(d, g, z.cget(), t.cget(), grad.get());
            const double exact = ops::loss_lovasz(g, c.z.data(), c.t.data(), ref.data());
            CHECK(std::fabs(got - exact) <= 1e-12 * std::fabs(exact));
            CHECK(same_bits(grad.host(), ref, "lovasz grad"));  // the same walk from exact counts: the same bits
        }
        for (bool per_image : {true, false}) {
            salt::BceDiceWeights w;
            w.dice_per_image = per_image;
            DeviceArray<E, float> grad(d, N, 9.f);
            std::vector<float> ref(N);
            const double got = salt::run<salt::Op::loss_bce_dice>(d, g, w, z.cget(), t.cget(), grad.get());
            const double exact = ops::loss_bce_dice(g, w, c.z.data(), c.t.data(), ref.data());
            CHECK(std::fabs(got - exact) <= 1e-12 * std::fabs(exact));
            expect_close_rel("bce_dice grad", grad.host(), to_d(ref), 2);
        }
        const std::vector<double> th = {0.0, -0.5, 0.25, 1.0, -3.0, 3.0, 0.1};
        std::vector<salt::MaskCounts> got(std::size_t(g.batch) * th.size()), ref(got.size());
        salt::run<salt::Op::mask_stats>(d, g, z.cget(), t.cget(), std::span<const double>(th), got.data());
        ops::mask_stats(g, c.z.data(), c.t.data(), std::span<const double>(th), ref.data());
        CHECK(got == ref);
    }
}

TEST_CASE("cuda_host: a non-finite logit makes the Lovasz loss throw the reference's error", "[cuda_host]") {
    E::device d;
    const salt::MapGeometry g{2, 16, 16, {2, 3, 10, 11}};
    MapData c(g, 5);
    c.z[std::size_t(g.map_pixels()) + 5 * 16 + 7] = std::numeric_limits<float>::infinity();  // image 1, row 5, column 7
    auto z = put<E>(d, c.z), t = put<E>(d, c.t);
    DeviceArray<E, float> grad(d, c.z.size(), 0.f);
    CHECK_THROWS_WITH(salt::run<salt::Op::loss_lovasz>(d, g, z.cget(), t.cget(), grad.get()),
                      Catch::Contains("at image 1, row 5, column 7 is not finite"));
    // outside the scored region it is not looked at
    c.z[std::size_t(g.map_pixels()) + 5 * 16 + 7] = 0.f;
    c.z[0] = std::numeric_limits<float>::quiet_NaN();
    auto z2 = put<E>(d, c.z);
    CHECK_NOTHROW(salt::run<salt::Op::loss_lovasz>(d, g, z2.cget(), t.cget(), grad.get()));
}

// ---- determinism -----------------------------------------------------------------------------------

namespace {

// The outputs of every reducing or gathering op on fixed inputs, as raw bytes.
std::vector<unsigned char> reductions_and_gathers(const E::options& o) {
    E::device d(o);
    std::vector<unsigned char> bytes;
    auto keep = [&](const auto& v) {
        const auto* p = reinterpret_cast<const unsigned char*>(v.data());
        bytes.insert(bytes.end(), p, p + v.size() * sizeof(v[0]));
    };
    const Shape s{101, 101, 33};
    const int n = 2;
    const BnData c(s, n);
    const std::size_t N = s.size() * n, C = std::size_t(s.c);
    auto x = put<E>(d, c.x), g = put<E>(d, c.g), be = put<E>(d, c.be), rm = put<E>(d, c.rm0), rv = put<E>(d, c.rv0);
    DeviceArray<E, float> y(d, N, 0.f), sm(d, C, 0.f), si(d, C, 0.f), dx(d, N, 0.f);
    auto dy = put<E>(d, c.dy), dg = put<E>(d, c.dg0), db = put<E>(d, c.db0);
    salt::run<salt::Op::batch_norm_relu_forward_train>(d, s, n, salt::BatchNormParams{}, x.cget(), g.cget(), be.cget(),
                                                       rm.get(), rv.get(), y.get(), sm.get(), si.get());
    salt::run<salt::Op::batch_norm_relu_backward_train>(d, s, n, x.cget(), y.cget(), dy.cget(), g.cget(), sm.cget(),
                                                        si.cget(), dx.get(), dg.get(), db.get());
    for (const auto* a : {&y, &rm, &rv, &sm, &si, &dx, &dg, &db}) keep(a->host());
    DeviceArray<E, float> gap(d, C * n, 0.f);
    salt::run<salt::Op::global_avg_pool_forward>(d, s, n, x.cget(), gap.get());
    keep(gap.host());
    const Shape small{13, 13, 33};
    DeviceArray<E, float> rdx(d, small.size() * n, 0.f);
    salt::run<salt::Op::resize_bilinear_backward>(d, small, n, 101, 101, false, dy.cget(), rdx.get());
    keep(rdx.host());
    const salt::Pool2dParams pp{3, 2, 1};
    const Shape pout = salt::pool2d_out_shape(s, pp);
    DeviceArray<E, float> py(d, pout.size() * n, 0.f), pdx(d, N, 0.f);
    DeviceArray<E, std::int32_t> am(d, pout.size() * n, 0);
    salt::run<salt::Op::max_pool2d_forward>(d, s, n, pp, x.cget(), py.get(), am.get());
    salt::run<salt::Op::max_pool2d_backward>(d, s, n, pp, dy.cget(), am.cget(), pdx.get());
    keep(pdx.host());
    const salt::MapGeometry mg{3, 128, 128, {13, 13, 101, 101}};
    const MapData md(mg, 4);
    auto z = put<E>(d, md.z), t = put<E>(d, md.t);
    DeviceArray<E, float> lg(d, md.z.size(), 0.f);
    const double l1 = salt::run<salt::Op::loss_lovasz>(d, mg, z.cget(), t.cget(), lg.get());
    keep(lg.host());
    const double l2 = salt::run<salt::Op::loss_bce_dice>(d, mg, salt::BceDiceWeights{}, z.cget(), t.cget(), lg.get());
    keep(lg.host());
    keep(std::vector<double>{l1, l2});
    return bytes;
}

}  // namespace

TEST_CASE("cuda_host: reductions and gather backwards give the same bits on every run and for every launch shape",
          "[cuda_host]") {
    const auto first = reductions_and_gathers(opts(256, 65535));
    CHECK(same_bits(reductions_and_gathers(opts(256, 65535)), first, "second run"));
    for (const auto& o : configurations()) {
        INFO("threads " << o.tuning.threads << ", max blocks " << o.tuning.max_blocks << ", reverse "
                        << (o.order == cu::EmulationOrder::reverse));
        CHECK(same_bits(reductions_and_gathers(o), first, "this launch shape"));
    }
}

// ---- the emulator's own checks (so that the checks above can fail) ----------------------------------

namespace {

// Thread t reads what thread t - 1 writes in the same phase: a race.
struct RacyKernel {
    int* v;
    SALT_HD int phases() const { return 1; }
    SALT_HD void operator()(int, const cu::ThreadIndex& t, unsigned char*) const {
        const std::size_t i = t.global_x();
        v[i] = i == 0 ? 1 : v[i - 1] + 1;
    }
};
// The same through shared memory with a barrier between the write and the read: no race.
struct BarrierKernel {
    int* v;
    SALT_HD int phases() const { return 2; }
    SALT_HD void operator()(int phase, const cu::ThreadIndex& t, unsigned char* shared) const {
        int* s = reinterpret_cast<int*>(shared);
        const std::size_t i = t.in_block();
        if (phase == 0) s[i] = int(i);
        else v[t.global_x()] = i == 0 ? 0 : s[i - 1] + 1;
    }
};
struct OverflowKernel {
    SALT_HD int phases() const { return 1; }
    SALT_HD void operator()(int, const cu::ThreadIndex& t, unsigned char* shared) const {
        if (t.in_block() == 0) shared[16] = 1;  // one past 16 bytes
    }
};
struct UninitialisedKernel {
    int* v;
    SALT_HD int phases() const { return 1; }
    SALT_HD void operator()(int, const cu::ThreadIndex& t, unsigned char* shared) const {
        v[t.global_x()] = shared[t.in_block()];
    }
};

}  // namespace

TEST_CASE("cuda_host: the emulator exposes races, shared-memory overruns and uninitialised shared memory",
          "[cuda_host]") {
    const cu::LaunchShape shape{{2, 1, 1}, {8, 1, 1}, 8 * sizeof(int)};
    std::vector<int> a(16), b(16);
    cu::emulate(shape, RacyKernel{a.data()}, cu::EmulationOrder::forward);
    cu::emulate(shape, RacyKernel{b.data()}, cu::EmulationOrder::reverse);
    CHECK(a != b);  // the order comparison catches a race
    cu::emulate(shape, BarrierKernel{a.data()}, cu::EmulationOrder::forward);
    cu::emulate(shape, BarrierKernel{b.data()}, cu::EmulationOrder::reverse);
    CHECK(a == b);
    CHECK(a[7] == 7);
    CHECK_THROWS_AS(cu::emulate(cu::LaunchShape{{1, 1, 1}, {4, 1, 1}, 16}, OverflowKernel{}), std::logic_error);
    cu::emulate(shape, UninitialisedKernel{a.data()});
    cu::emulate(shape, UninitialisedKernel{b.data()});
    CHECK(a != b);  // two runs differ: the determinism comparison catches it
}

TEST_CASE("cuda_host: grid shapes cover every item", "[cuda_host]") {
    for (std::size_t items : {std::size_t(1), std::size_t(255), std::size_t(256), std::size_t(257), std::size_t(100003)})
        for (cu::Tuning t : {cu::Tuning{256, 65535}, cu::Tuning{32, 3}, cu::Tuning{1024, 1}}) {
            std::vector<int> hits(items, 0);
            struct Count {
                int* h;
                SALT_HD void operator()(std::size_t i) const { ++h[i]; }
            };
            cu::emulate(cu::grid_stride_shape(items, t), cu::for_each(items, Count{hits.data()}));
            CHECK(std::count(hits.begin(), hits.end(), 1) == std::ptrdiff_t(items));
        }
    CHECK_THROWS_AS(cu::check_tuning(cu::Tuning{48, 10}), std::invalid_argument);
    CHECK_THROWS_AS(cu::check_tuning(cu::Tuning{2048, 10}), std::invalid_argument);
}

// ---- copy() on overlapping ranges ------------------------------------------------------------------

TEST_CASE("cuda_host: the copy plan moves overlapping ranges like memmove with disjoint chunks", "[cuda_host]") {
    salt::Rng r(3);
    std::vector<unsigned char> base(5000);
    for (auto& v : base) v = static_cast<unsigned char>(r.next_u64());
    int chunked = 0, via_scratch = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        const std::size_t bytes = 1 + r.below(4000);
        const std::size_t src = r.below(base.size() - bytes + 1), dst = r.below(base.size() - bytes + 1);
        std::vector<unsigned char> want = base, got = base;
        std::memmove(want.data() + dst, want.data() + src, bytes);
        const cu::CopyPlan plan = cu::plan_copy(got.data() + dst, got.data() + src, bytes);
        if (plan.via_scratch) {
            ++via_scratch;
            CHECK(plan.chunks.empty());
            std::vector<unsigned char> tmp(got.begin() + std::ptrdiff_t(src), got.begin() + std::ptrdiff_t(src + bytes));
            std::memcpy(got.data() + dst, tmp.data(), bytes);
        } else {
            CHECK(plan.chunks.size() <= cu::kMaxChunks);
            if (plan.chunks.size() > 1) ++chunked;
            std::size_t covered = 0;
            for (const auto& c : plan.chunks) {
                REQUIRE(c.dst_offset + c.bytes <= bytes);
                REQUIRE(c.src_offset + c.bytes <= bytes);
                const std::size_t s0 = src + c.src_offset, d0 = dst + c.dst_offset;
                REQUIRE((d0 + c.bytes <= s0 || s0 + c.bytes <= d0));  // each copy is between disjoint ranges
                std::memcpy(got.data() + d0, got.data() + s0, c.bytes);
                covered += c.bytes;
            }
            CHECK(covered == (src == dst ? 0 : bytes));
        }
        if (got != want) FAIL_CHECK("copy of " << bytes << " bytes from " << src << " to " << dst);
    }
    CHECK(chunked > 100);
    CHECK(via_scratch > 100);
    // and through the emulated backend's copy()
    E::device d;
    std::vector<float> h(1000);
    std::iota(h.begin(), h.end(), 0.f);
    DeviceArray<E, float> arr(d, h);
    E::copy(d, arr.get() + 3, arr.get(), 997 * sizeof(float));    // scratch (small shift)
    E::copy(d, arr.get(), arr.get() + 300, 700 * sizeof(float));  // three chunks
    std::memmove(h.data() + 3, h.data(), 997 * sizeof(float));
    std::memmove(h.data(), h.data() + 300, 700 * sizeof(float));
    CHECK(same_bits(arr.host(), h, "copy"));
    CHECK(d.scratch_copies == 1);
    CHECK(d.chunked_copies == 1);
}

// ---- the caching arena -------------------------------------------------------------------------------

namespace {

struct FakeMemory {
    std::size_t capacity = std::size_t(1) << 40, used = 0, allocations = 0, frees = 0, syncs = 0;
    std::map<void*, std::size_t> blocks;
    void* allocate(std::size_t bytes) {
        if (used + bytes > capacity) return nullptr;
        void* p = ::operator new(bytes);
        blocks[p] = bytes;
        used += bytes;
        ++allocations;
        return p;
    }
    void free(void* p) {
        used -= blocks.at(p);
        blocks.erase(p);
        ::operator delete(p);
        ++frees;
    }
    void synchronize() { ++syncs; }
};

}  // namespace

TEST_CASE("cuda_host: the caching arena reuses blocks: no source allocation once warm", "[cuda_host]") {
    for (std::size_t b : {std::size_t(1), std::size_t(512), std::size_t(513), std::size_t(1) << 20,
                          (std::size_t(1) << 20) + 1, std::size_t(3) << 25, std::size_t(12345678)}) {
        const std::size_t c = cu::arena_size_class(b);
        CHECK(c >= b);
        CHECK(c % 512 == 0);
        CHECK(double(c) <= 1.25 * double(b) + 512);
    }
    cu::CachingArena<FakeMemory> arena;
    const std::vector<std::size_t> step = {4096, 100, 7 << 20, 4096, 33, 1 << 22, 4096};
    auto run_step = [&] {
        std::vector<void*> ps;
        for (std::size_t b : step) ps.push_back(arena.allocate(b));
        for (std::size_t i = 0; i < ps.size(); ++i)
            for (std::size_t j = i + 1; j < ps.size(); ++j) CHECK(ps[i] != ps[j]);
        for (void* p : ps) arena.deallocate(p);
    };
    run_step();
    const std::size_t warm = arena.source().allocations;
    CHECK(warm == step.size());
    for (int i = 0; i < 5; ++i) run_step();
    CHECK(arena.source().allocations == warm);
    CHECK(arena.source().frees == 0);
    CHECK(arena.statistics().bytes_in_use == 0);
    CHECK(arena.statistics().blocks_in_use == 0);
    // out of memory: the cache goes back to the source (after a synchronisation) and the request is retried
    arena.source().capacity = cu::arena_size_class(std::size_t(40) << 20) + 1000;  // fits only without the cache
    REQUIRE(arena.source().used > 1000);
    void* big = arena.allocate(std::size_t(40) << 20);
    CHECK(big != nullptr);
    CHECK(arena.source().syncs == 1);
    CHECK(arena.statistics().bytes_cached == 0);
    arena.source().capacity = arena.source().used;
    CHECK_THROWS_AS(arena.allocate(std::size_t(1) << 30), std::bad_alloc);
    int not_from_arena = 0;
    CHECK_THROWS_AS(arena.deallocate(&not_from_arena), std::logic_error);
    arena.deallocate(big);
    arena.release_all();
    CHECK(arena.source().blocks.empty());
}
