// bench/bench_cuda.cpp — salt-bench-cuda: the full model on the CUDA backend, the GPU counterpart of
// bench_model.cpp's cases. DeepLabV3-ResNet50, 1 input channel, 128x128, output stride 8, 1 class.
//
//   BM_DeepLabV3_Infer/batch:{1,8,64}/size:128/cuda      eval-mode forward
//   BM_DeepLabV3_TrainStep/batch:{8,64}/size:128/cuda    train-mode forward, BCE + Dice, backward,
//                                                        Adam step, zero_grad (as bench_model.cpp)
//   .../cuda_tf32                                        the same with Options::tf32 (cuDNN may use
//                                                        TF32 tensor cores; fp32 storage)
//
// The names are the CPU cases' with "/cuda" appended, so bench/compare_torch_cuda.py can pair them
// with PyTorch's. The backend queues work on its stream and returns, so every iteration ends with
// the device's synchronize(): the time of an iteration is the GPU's time for it (plus the host's
// launch overhead when that is the longer of the two). The "img/s" counter is computed here from
// wall-clock time, not with Google Benchmark's rate counters (those divide by the main thread's CPU
// time, which is only a proxy while the thread waits for the GPU). "device_peak_MiB" is the caching
// arena's high-water mark (parameters, workspace, cuDNN workspaces), the analogue of PyTorch's
// torch.cuda.max_memory_reserved().
//
// Without a usable GPU the program says why and exits with 1 before running anything
// (--benchmark_list_tests still lists the cases).
//
//   build/bin/salt-bench-cuda --benchmark_filter=/cuda$ --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "bench_common.hpp"
#include "salt/backend/cuda/cuda.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/train/loss.hpp"
#include "salt/train/optimizer.hpp"

namespace {

using B = salt::backend::Cuda;
using Model = salt::models::DeepLabV3<float, {.in_channels = 1}, B>;
using salt::nn::Mode;
using Clock = std::chrono::steady_clock;

struct Case {
    bool train;
    int batch;
    bool tf32;
};

// Counters every case reports: throughput from wall-clock time and the device memory high-water mark.
void report(benchmark::State& state, const Case& c, double seconds, B::device& dev) {
    const double images = double(c.batch) * double(state.iterations());
    state.counters["img/s"] = seconds > 0 ? images / seconds : 0.0;
    state.counters["device_peak_MiB"] = double(dev.arena_statistics().peak_bytes) / (1024.0 * 1024.0);
}

bool g_failed = false;

void infer_case(benchmark::State& state, Case c) {
    auto model = std::make_unique<Model>(42, B::options{.device = 0, .tf32 = c.tf32});
    auto& dev = model->device();
    salt::Workspace<B> ws(dev, Model::workspace_bytes(c.batch, Mode::eval));
    salt::Rng rng(1);
    salt::Tensor<float, Model::in_shape, B> x(dev, c.batch);
    x.upload(salt_bench::random_vec(Model::in_shape.size() * std::size_t(c.batch), 7));
    auto pass = [&] {
        ws.reset();
        salt::nn::Context<B> ctx{ws, Mode::eval, &rng};
        auto o = model->forward(x.view(), ctx);
        B::synchronize(dev);
        return o.out.data();
    };
    // Warm-up: builds the convolution plans (cuDNN's heuristics) and fills the arena's cache, which
    // happens once per shape and is not what a steady-state pass costs.
    pass();
    const auto t0 = Clock::now();
    for (auto _ : state) benchmark::DoNotOptimize(pass());
    report(state, c, std::chrono::duration<double>(Clock::now() - t0).count(), dev);
}

void train_step_case(benchmark::State& state, Case c) {
    auto model = std::make_unique<Model>(42, B::options{.device = 0, .tf32 = c.tf32});
    auto& dev = model->device();
    salt::Workspace<B> ws(dev, Model::workspace_bytes(c.batch, Mode::train));
    salt::Rng rng(1);
    salt::Tensor<float, Model::in_shape, B> x(dev, c.batch);
    salt::Tensor<float, Model::out_shape, B> target(dev, c.batch);
    x.upload(salt_bench::random_vec(Model::in_shape.size() * std::size_t(c.batch), 7));
    auto t = salt_bench::random_vec(Model::out_shape.size() * std::size_t(c.batch), 8);
    for (auto& v : t) v = v > 0.f ? 1.f : 0.f;
    target.upload(t);
    const salt::MapGeometry g{c.batch, Model::out_shape.h, Model::out_shape.w,
                              {0, 0, Model::out_shape.h, Model::out_shape.w}};
    salt::train::Adam<float, B> adam(*model, salt::train::AdamOptions{});
    auto step = [&] {
        ws.reset();
        salt::nn::Context<B> ctx{ws, Mode::train, &rng};
        auto o = model->forward(x.view(), ctx);
        auto dout = ctx.template take<float, Model::out_shape>(c.batch);
        // The loss copies its value to the host, which waits for the forward pass; the backward
        // pass and the update are queued after it, hence the synchronize at the end.
        const double loss = salt::train::compute_loss(dev, salt::train::LossKind::bce_dice, g,
                                                      static_cast<const float*>(o.out.data()),
                                                      static_cast<const float*>(target.data()), dout.data());
        model->backward(dout, ctx);
        adam.step();
        adam.zero_grad();
        B::synchronize(dev);
        return loss;
    };
    step();  // warm-up, as PyTorch's side does one untimed step
    const auto t0 = Clock::now();
    for (auto _ : state) {
        benchmark::DoNotOptimize(step());
        benchmark::ClobberMemory();
    }
    report(state, c, std::chrono::duration<double>(Clock::now() - t0).count(), dev);
}

// A CUDA or cuDNN failure inside a case (out of memory, no deterministic algorithm for a shape)
// marks the case as failed with the message, the remaining cases still run, and the program exits
// with 1 at the end.
template <void (*Body)(benchmark::State&, Case)>
void guarded(benchmark::State& state, Case c) {
    try {
        Body(state, c);
    } catch (const std::exception& e) {
        g_failed = true;
        state.SkipWithError(e.what());
    }
}

void register_cases() {
    for (const bool tf32 : {false, true}) {
        const std::string suffix = tf32 ? "/size:128/cuda_tf32" : "/size:128/cuda";
        for (const int batch : {1, 8, 64})
            benchmark::RegisterBenchmark(("BM_DeepLabV3_Infer/batch:" + std::to_string(batch) + suffix).c_str(), guarded<infer_case>,
                                         Case{false, batch, tf32})
                ->Unit(benchmark::kMillisecond);
        for (const int batch : {8, 64})
            benchmark::RegisterBenchmark(("BM_DeepLabV3_TrainStep/batch:" + std::to_string(batch) + suffix).c_str(),
                                         guarded<train_step_case>, Case{true, batch, tf32})
                ->Unit(benchmark::kMillisecond);
    }
}

bool listing_only(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--benchmark_list_tests", 22) == 0 && std::strstr(argv[i], "=false") == nullptr)
            return true;
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    register_cases();
    const bool list = listing_only(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    if (!list && !salt::backend::cuda::available()) {
        // describe_devices() ends with the runtime's reason (e.g. cudaErrorInsufficientDriver).
        std::fprintf(stderr, "salt-bench-cuda: no usable CUDA device, nothing to measure\n%s",
                     salt::backend::cuda::describe_devices().c_str());
        return 1;
    }
    if (!list) {
        // The machine's versions at the head of the output (Google Benchmark's context names the CPU).
        std::fprintf(stderr, "%s", salt::backend::cuda::describe_devices().c_str());
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (g_failed) std::fprintf(stderr, "salt-bench-cuda: some cases failed (see their ERROR OCCURRED lines)\n");
    return g_failed ? 1 : 0;
}
