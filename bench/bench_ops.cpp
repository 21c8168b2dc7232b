// bench/bench_ops.cpp — the simd backend's kernels on the model's real shapes (DeepLabV3-R50,
// 1-channel 128x128 input, batch 8: stem 64x64, layer1 32x32, layer2..4 and ASPP 16x16).
// Convolutions report GFLOP/s of the work actually done (2 * pixels * Cout * live taps * Cin: a
// pruned ASPP conv counts only its live centre tap) and % of the FMA limit (bench_common.hpp).
// Arg `pass`: 0 forward, 1 data gradient, 2 weight gradient.
#include "bench_common.hpp"
#include "salt/backend/simd/simd.hpp"

namespace {

using salt::Conv2dParams;
using salt::Shape;
namespace sk = salt::backend::simd;
// One device for the whole program (its packing buffers warm across cases).
sk::Device& dev() {
    static sk::Device d;
    return d;
}

struct ConvShape {
    const char* name;
    Shape in;
    Conv2dParams p;
};
// Every distinct conv geometry of the 128x128 model (the 3x3 of each stage's first block included).
const ConvShape kConvs[] = {
    {"stem_7x7s2", {128, 128, 1}, {1, 64, 7, 2, 3, 1}},
    {"layer1_1x1_64_64", {32, 32, 64}, {64, 64, 1}},
    {"layer1_3x3_64", {32, 32, 64}, {64, 64, 3, 1, 1, 1}},
    {"layer1_1x1_64_256", {32, 32, 64}, {64, 256, 1}},
    {"layer2_3x3s2_128", {32, 32, 128}, {128, 128, 3, 2, 1, 1}},
    {"layer2_down_1x1s2", {32, 32, 256}, {256, 512, 1, 2}},
    {"layer2_3x3_128", {16, 16, 128}, {128, 128, 3, 1, 1, 1}},
    {"layer3_3x3_d2_256", {16, 16, 256}, {256, 256, 3, 1, 2, 2}},
    {"layer3_1x1_1024_256", {16, 16, 1024}, {1024, 256, 1}},
    {"layer4_3x3_d4_512", {16, 16, 512}, {512, 512, 3, 1, 4, 4}},
    {"layer4_1x1_2048_512", {16, 16, 2048}, {2048, 512, 1}},
    {"layer4_1x1_512_2048", {16, 16, 512}, {512, 2048, 1}},
    {"aspp_1x1", {16, 16, 2048}, {2048, 256, 1}},
    {"aspp_3x3_r12", {16, 16, 2048}, {2048, 256, 3, 1, 12, 12}},
    {"aspp_3x3_r36_pruned", {16, 16, 2048}, {2048, 256, 3, 1, 36, 36}},
    {"aspp_project_1x1", {16, 16, 1280}, {1280, 256, 1}},
    {"head_3x3_256", {16, 16, 256}, {256, 256, 3, 1, 1, 1}},
};

void BM_Conv2d(benchmark::State& state) {
    const ConvShape& cs = kConvs[state.range(0)];
    const int pass = int(state.range(1)), n = int(state.range(2));
    const Shape in = cs.in, out = salt::conv2d_out_shape(in, cs.p);
    auto x = salt_bench::random_vec(in.size() * n, 1), w = salt_bench::random_vec(cs.p.weight_count(), 2);
    auto y = salt_bench::random_vec(out.size() * n, 3), dx = salt_bench::random_vec(in.size() * n, 4);
    std::vector<float> dw(cs.p.weight_count());
    for (auto _ : state) {
        if (pass == 0) sk::conv2d_forward(dev(), in, n, cs.p, x.data(), w.data(), nullptr, y.data());
        else if (pass == 1) sk::conv2d_backward_data(dev(), in, n, cs.p, y.data(), w.data(), dx.data());
        else sk::conv2d_backward_params(dev(), in, n, cs.p, x.data(), y.data(), dw.data(), nullptr);
        benchmark::ClobberMemory();
    }
    const int live = sk::conv2d_live_taps(in, cs.p).count();
    salt_bench::set_flops(state, 2.0 * n * double(out.pixels()) * cs.p.out_channels * live * in.c);
    state.SetLabel(std::string(cs.name) + (pass == 0 ? " fwd" : pass == 1 ? " bwd_data" : " bwd_weight"));
}
BENCHMARK(BM_Conv2d)
    ->ArgNames({"shape", "pass", "batch"})
    ->ArgsProduct({benchmark::CreateDenseRange(0, int(std::size(kConvs)) - 1, 1), {0, 1, 2}, {8}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The forward pass of the 3x3 stride-1 shapes with the device's Winograd F(2x2, 3x3) on
// (salt/backend/simd/winograd.hpp; the filter transform included, as in training), against
// BM_Conv2d's direct forward of the same shape. GFLOP/s counts the direct conv's work, so it is
// the effective rate. Shapes where the rule says it does not pay (ASPP rate 12) are timed too.
sk::Device& winograd_dev() {
    static sk::Device d(sk::Options{.winograd = true});
    return d;
}
void BM_Conv2dWinograd(benchmark::State& state) {
    const ConvShape& cs = kConvs[state.range(0)];
    const int n = int(state.range(1));
    if (!sk::winograd_applies(cs.p)) {
        state.SkipWithError("not a 3x3 stride-1 'same' conv");
        return;
    }
    const Shape in = cs.in, out = salt::conv2d_out_shape(in, cs.p);
    auto x = salt_bench::random_vec(in.size() * n, 1), w = salt_bench::random_vec(cs.p.weight_count(), 2);
    auto y = salt_bench::random_vec(out.size() * n, 3);
    for (auto _ : state) {
        sk::winograd_conv2d_forward(winograd_dev(), in, n, cs.p, x.data(), w.data(), nullptr, y.data());
        benchmark::ClobberMemory();
    }
    const int live = sk::conv2d_live_taps(in, cs.p).count();
    salt_bench::set_flops(state, 2.0 * n * double(out.pixels()) * cs.p.out_channels * live * in.c);
    state.SetLabel(std::string(cs.name) + " fwd winograd" + (sk::winograd_pays(in, cs.p) ? "" : " (rule: direct)"));
}
// The direct forward of the same shapes at batch 1 (BM_Conv2d above runs batch 8).
BENCHMARK(BM_Conv2d)
    ->ArgNames({"shape", "pass", "batch"})
    ->ArgsProduct({{2, 6, 7, 9, 13, 16}, {0}, {1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// layer1_3x3_64, layer2_3x3_128, layer3_3x3_d2_256, layer4_3x3_d4_512, aspp_3x3_r12, head_3x3_256
BENCHMARK(BM_Conv2dWinograd)
    ->ArgNames({"shape", "batch"})
    ->ArgsProduct({{2, 6, 7, 9, 13, 16}, {1, 8}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Batch norm (train forward + backward) and the element-wise ops at layer3's output, 8x16x16x1024.
void BM_BatchNormTrain(benchmark::State& state) {
    const Shape s{int(state.range(0)), int(state.range(0)), int(state.range(1))};
    const int n = 8;
    auto x = salt_bench::random_vec(s.size() * n, 1), dy = salt_bench::random_vec(s.size() * n, 2);
    std::vector<float> y(x.size()), dx(x.size()), g(s.c, 1.f), b(s.c, 0.f), rm(s.c), rv(s.c, 1.f), sm(s.c), si(s.c),
        dg(s.c), db(s.c);
    for (auto _ : state) {
        sk::batch_norm_forward_train(dev(), s, n, {}, x.data(), g.data(), b.data(), rm.data(), rv.data(), y.data(),
                                      sm.data(), si.data());
        sk::batch_norm_backward_train(dev(), s, n, x.data(), dy.data(), g.data(), sm.data(), si.data(), dx.data(),
                                       dg.data(), db.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(x.size()) * 4 * 6);  // ~6 passes of 4 bytes
}
BENCHMARK(BM_BatchNormTrain)->ArgNames({"hw", "c"})->Args({16, 1024})->Args({64, 64})->Args({32, 256})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReluAdd(benchmark::State& state) {
    const std::size_t N = std::size_t(8) * 16 * 16 * 1024;
    auto a = salt_bench::random_vec(N, 1), b = salt_bench::random_vec(N, 2);
    std::vector<float> y(N);
    for (auto _ : state) {
        sk::add_forward(dev(), N, a.data(), b.data(), y.data());
        sk::relu_forward(dev(), N, y.data(), y.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(N) * 4 * 5);
}
BENCHMARK(BM_ReluAdd)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_MaxPoolStem(benchmark::State& state) {
    const Shape in{64, 64, 64};
    const int n = 8;
    const salt::Pool2dParams p{3, 2, 1};
    const Shape out = salt::pool2d_out_shape(in, p);
    auto x = salt_bench::random_vec(in.size() * n, 1);
    std::vector<float> y(out.size() * n), dx(x.size());
    std::vector<std::int32_t> am(y.size());
    for (auto _ : state) {
        sk::max_pool2d_forward(dev(), in, n, p, x.data(), y.data(), am.data());
        sk::max_pool2d_backward(dev(), in, n, p, y.data(), am.data(), dx.data());
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_MaxPoolStem)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
