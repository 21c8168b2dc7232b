// bench/bench_model.cpp — the full model on the simd backend: DeepLabV3-ResNet50, 1 input channel,
// 128x128 (the shape PyTorch's numbers in /work/shared/notes/reference-facts.md were taken at).
//
//   BM_DeepLabV3_Infer/batch:1/size:128, BM_DeepLabV3_Infer/batch:8/size:128: eval-mode forward.
//   BM_DeepLabV3_TrainStep/batch:8/size:128: train-mode forward + backward + parameter update.
//
// PLACEHOLDER until the lead's loss and Adam land: the train step's loss gradient is
// (sigmoid(logits) - 0.5) / numel (the shape of a BCE gradient against a half-grey target) and the
// update is plain SGD (w -= 1e-3 * g, then g = 0) over every trainable parameter. Both are cheap
// element-wise passes next to the convolutions, so the timing is representative of a real step.
#include <memory>

#include "bench_common.hpp"
#include "salt/backend/simd/simd.hpp"
#include "salt/models/deeplabv3.hpp"

namespace {

using Model = salt::models::DeepLabV3<float, {.in_channels = 1}, salt::backend::simd>;
using salt::nn::Mode;

void BM_DeepLabV3_Infer(benchmark::State& state) {
    const int batch = int(state.range(0));
    auto model = std::make_unique<Model>(42);
    salt::Workspace<salt::host_memory> ws(Model::workspace_bytes(batch, Mode::eval));
    salt::Rng rng(1);
    auto xin = salt_bench::random_vec(Model::in_shape.size() * batch, 7);
    for (auto _ : state) {
        ws.reset();
        salt::nn::Context<salt::backend::simd> ctx{ws, Mode::eval, &rng};
        auto o = model->forward(salt::TensorView<const float, Model::in_shape>(xin.data(), batch), ctx);
        benchmark::DoNotOptimize(o.out.data());
    }
    state.counters["img/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_DeepLabV3_TrainStep(benchmark::State& state) {
    const int batch = int(state.range(0));
    auto model = std::make_unique<Model>(42);
    salt::Workspace<salt::host_memory> ws(Model::workspace_bytes(batch, Mode::train));
    salt::Rng rng(1);
    auto xin = salt_bench::random_vec(Model::in_shape.size() * batch, 7);
    for (auto _ : state) {
        ws.reset();
        salt::nn::Context<salt::backend::simd> ctx{ws, Mode::train, &rng};
        auto o = model->forward(salt::TensorView<const float, Model::in_shape>(xin.data(), batch), ctx);
        auto dout = ctx.template take<float, Model::out_shape>(batch);
        const std::size_t n = dout.size();
        salt::ops::sigmoid_forward(salt::backend::simd{}, n, o.out.data(), dout.data());
        for (std::size_t i = 0; i < n; ++i) dout.data()[i] = (dout.data()[i] - 0.5f) / float(n);
        model->backward(dout, ctx);
        model->visit([](const auto& p) {
            if (!p.trainable()) return;
            for (std::size_t i = 0; i < p.count; ++i) {
                p.value[i] -= 1e-3f * p.grad[i];
                p.grad[i] = 0.f;
            }
        });
        benchmark::ClobberMemory();
    }
    state.counters["img/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

// No UseRealTime(): it would append "/real_time" to the names. The "Time" column is wall-clock
// time either way (the one to read: the work runs on OpenMP threads); "CPU" is the main thread's.
BENCHMARK(BM_DeepLabV3_Infer)->ArgNames({"batch", "size"})->Args({1, 128})->Args({8, 128})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DeepLabV3_TrainStep)->ArgNames({"batch", "size"})->Args({8, 128})
    ->Unit(benchmark::kMillisecond);
