// bench/bench_model.cpp — the full model on the simd backend: DeepLabV3-ResNet50, 1 input channel,
// 128x128 (the shape PyTorch's numbers in /work/shared/notes/reference-facts.md were taken at).
//
//   BM_DeepLabV3_Infer/batch:1/size:128, BM_DeepLabV3_Infer/batch:8/size:128: eval-mode forward.
//   BM_DeepLabV3_TrainStep/batch:8/size:128: train-mode forward + backward + parameter update.
//   BM_DeepLabV3_Infer_BF16/..., BM_DeepLabV3_TrainStep_BF16/...: the same with the simd backend's
//   bf16 GEMM path (a device with Options::bf16; only in builds with AVX512_BF16).
//
// The train step is what bench/compare_torch.py runs in PyTorch: forward (train mode), BCE + Dice
// loss on the logits (the backend's Op::loss_bce_dice, a fixed random 0/1 mask as the target),
// backward, Adam update (salt::train::Adam, lr 1e-3) and zeroing of the gradients.
//
// The "peak RSS" counter is the process's high-water resident set (getrusage) after the case ran,
// so it is only meaningful when one case runs per process (bench/compare_torch.py does that).
#include <sys/resource.h>

#include <memory>
#include <span>

#include "bench_common.hpp"
#include "salt/backend/simd/simd.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/train/loss.hpp"
#include "salt/train/optimizer.hpp"

namespace {

using B = salt::backend::Simd;
using Model = salt::models::DeepLabV3<float, {.in_channels = 1}, B>;
using salt::nn::Mode;

double peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;
}

void infer(benchmark::State& state, bool bf16) {
    const int batch = int(state.range(0));
    auto model = std::make_unique<Model>(42, B::options{.threads = 0, .bf16 = bf16});
    auto& dev = model->device();
    salt::Workspace<B> ws(dev, Model::workspace_bytes(batch, Mode::eval));
    salt::Rng rng(1);
    salt::Tensor<float, Model::in_shape, B> x(dev, batch);
    x.upload(salt_bench::random_vec(Model::in_shape.size() * batch, 7));
    auto pass = [&] {
        ws.reset();
        salt::nn::Context<B> ctx{ws, Mode::eval, &rng};
        return model->forward(x.view(), ctx).out.data();
    };
    pass();  // warm-up: first-touch of the workspace, the GEMM's packing buffers, the OpenMP pool
    for (auto _ : state) {
        ws.reset();
        salt::nn::Context<B> ctx{ws, Mode::eval, &rng};
        auto o = model->forward(x.view(), ctx);
        benchmark::DoNotOptimize(o.out.data());
    }
    state.counters["img/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["peak_rss_MiB"] = peak_rss_mib();
}

void train_step(benchmark::State& state, bool bf16) {
    const int batch = int(state.range(0));
    auto model = std::make_unique<Model>(42, B::options{.threads = 0, .bf16 = bf16});
    auto& dev = model->device();
    salt::Workspace<B> ws(dev, Model::workspace_bytes(batch, Mode::train));
    salt::Rng rng(1);
    salt::Tensor<float, Model::in_shape, B> x(dev, batch);
    salt::Tensor<float, Model::out_shape, B> target(dev, batch);
    x.upload(salt_bench::random_vec(Model::in_shape.size() * batch, 7));
    auto t = salt_bench::random_vec(Model::out_shape.size() * batch, 8);
    for (auto& v : t) v = v > 0.f ? 1.f : 0.f;
    target.upload(t);
    const salt::MapGeometry g{batch, Model::out_shape.h, Model::out_shape.w, {0, 0, Model::out_shape.h, Model::out_shape.w}};
    salt::train::Adam<float, B> adam(*model, salt::train::AdamOptions{});
    auto step = [&] {
        ws.reset();
        salt::nn::Context<B> ctx{ws, Mode::train, &rng};
        auto o = model->forward(x.view(), ctx);
        auto dout = ctx.template take<float, Model::out_shape>(batch);
        const double loss = salt::train::compute_loss(dev, salt::train::LossKind::bce_dice, g,
                                                      static_cast<const float*>(o.out.data()),
                                                      static_cast<const float*>(target.data()), dout.data());
        model->backward(dout, ctx);
        adam.step();
        adam.zero_grad();
        return loss;
    };
    step();  // warm-up (as PyTorch's side does one untimed step)
    for (auto _ : state) {
        benchmark::DoNotOptimize(step());
        benchmark::ClobberMemory();
    }
    state.counters["img/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["peak_rss_MiB"] = peak_rss_mib();
}

void BM_DeepLabV3_Infer(benchmark::State& state) { infer(state, false); }
void BM_DeepLabV3_TrainStep(benchmark::State& state) { train_step(state, false); }
void BM_DeepLabV3_Infer_BF16(benchmark::State& state) { infer(state, true); }
void BM_DeepLabV3_TrainStep_BF16(benchmark::State& state) { train_step(state, true); }

}  // namespace

// No UseRealTime(): it would append "/real_time" to the names. The "Time" column is wall-clock
// time either way (the one to read: the work runs on OpenMP threads); "CPU" is the main thread's.
// The *_BF16 cases run the simd backend's bf16 GEMM path (only on builds with AVX512_BF16).
BENCHMARK(BM_DeepLabV3_Infer)->ArgNames({"batch", "size"})->Args({1, 128})->Args({8, 128})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DeepLabV3_TrainStep)->ArgNames({"batch", "size"})->Args({8, 128})
    ->Unit(benchmark::kMillisecond);
#if defined(SALT_HAVE_BF16_GEMM)
BENCHMARK(BM_DeepLabV3_Infer_BF16)->ArgNames({"batch", "size"})->Args({1, 128})->Args({8, 128})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DeepLabV3_TrainStep_BF16)->ArgNames({"batch", "size"})->Args({8, 128})
    ->Unit(benchmark::kMillisecond);
#endif
