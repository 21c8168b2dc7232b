// bench/bench_embedded.cpp — the embedded inference path (salt/embedded/) on the model of
// bench_model.cpp (DeepLabV3-ResNet50, 1 channel, 128x128, output stride 8, torchvision's
// architecture), one image per call, its convolutions cut into tasks on OpenMP's default thread count
// (OMP_NUM_THREADS; salt/embedded/openmp_parallel.hpp):
//
//   BM_DeepLabV3_Infer_Int8/batch:1/size:128   Precision::int8 (what `salt quantize` writes)
//   BM_DeepLabV3_Infer_Embedded/batch:1/size:128  Precision::fp32 (what `salt export-embedded` writes)
//
// Set-up, untimed: the model with seed 42's weights, its embedded blob, and for int8 a calibration
// on four synthetic images (smooth bands with noise, as seismic slices look); then one forward()
// warm-up. The time is forward() alone (no image preparation or post-processing), as the other
// implementations in bench/compare_torch.py are timed.
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

#include "bench_common.hpp"
#include "salt/backend/reference/reference.hpp"
#include "salt/embedded/openmp_parallel.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/models/export_embedded.hpp"
#include "salt/models/quantize_embedded.hpp"
#include "salt/models/weights.hpp"

namespace {

constexpr salt::models::DeepLabV3Config kConfig{.in_channels = 1};

// The fp32 blob of a model with seed 42's weights (torchvision's initialisation), made once.
const std::vector<unsigned char>& fp32_blob() {
    static const std::vector<unsigned char> blob = [] {
        using Model = salt::models::DeepLabV3<float, kConfig, salt::backend::Reference>;
        auto model = std::make_unique<Model>(42);
        const auto path = std::filesystem::temp_directory_path() / ("salt_bench_embedded_" + std::to_string(::getpid()) + ".safetensors");
        salt::models::save_weights(*model, path, salt::models::config_metadata<Model>());
        auto b = salt::models::embedded_blob<kConfig>(salt::io::SafetensorsFile::read(path), salt::embedded::Settings{});
        std::filesystem::remove(path);
        return b;
    }();
    return blob;
}

salt::io::Image8 synthetic_slice(unsigned seed) {
    salt::io::Image8 img(kConfig.width, kConfig.height, 1);
    salt::Rng rng(seed);
    const double f = 0.1 + 0.05 * double(seed % 5);
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x) {
            const double v = 127.5 + 90.0 * std::sin(f * y + 0.02 * x * double(seed)) + 20.0 * (rng.uniform() - 0.5);
            img.pixels[std::size_t(y) * std::size_t(img.width) + std::size_t(x)] = std::uint8_t(std::clamp(v, 0.0, 255.0));
        }
    return img;
}

template <salt::embedded::Precision P>
void embedded_infer(benchmark::State& state) {
    using Net = salt::embedded::DeepLabV3<kConfig, P>;
    std::vector<unsigned char> blob = fp32_blob();
    if constexpr (P == salt::embedded::Precision::int8) {
        std::vector<salt::io::Image8> images;
        std::vector<const salt::io::Image8*> ptrs;
        for (unsigned i = 0; i < 4; ++i) images.push_back(synthetic_slice(11 + i));
        for (const auto& img : images) ptrs.push_back(&img);
        blob = salt::models::quantize_embedded<kConfig>(blob, salt::models::calibrate_embedded<kConfig>(blob, ptrs));
    }
    salt::models::detail::HostArena arena(Net::arena_bytes, Net::arena_alignment);
    Net net(arena.data, Net::arena_bytes);
    if (net.load(blob.data(), blob.size()) != salt::embedded::Status::ok) {
        state.SkipWithError("the embedded blob did not load");
        return;
    }
    int threads = 0;
    net.set_parallel(salt::embedded::openmp_parallel(threads));
    std::vector<float> input(Net::in_shape.size()), logits(Net::out_shape.size());
    const auto x = salt_bench::random_vec(input.size(), 7);
    std::copy(x.begin(), x.end(), input.begin());
    net.forward(input.data(), logits.data());  // warm-up: first touch of the arena, the OpenMP pool
    for (auto _ : state) {
        net.forward(input.data(), logits.data());
        benchmark::DoNotOptimize(logits.data());
        benchmark::ClobberMemory();
    }
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    state.counters["img/s"] = benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["peak_rss_MiB"] = double(u.ru_maxrss) / 1024.0;
    state.counters["threads"] = threads;
    state.counters["arena_MiB"] = double(Net::arena_bytes) / (1024.0 * 1024.0);
}

void BM_DeepLabV3_Infer_Int8(benchmark::State& state) { embedded_infer<salt::embedded::Precision::int8>(state); }
void BM_DeepLabV3_Infer_Embedded(benchmark::State& state) { embedded_infer<salt::embedded::Precision::fp32>(state); }

}  // namespace

BENCHMARK(BM_DeepLabV3_Infer_Int8)->ArgNames({"batch", "size"})->Args({1, 128})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DeepLabV3_Infer_Embedded)->ArgNames({"batch", "size"})->Args({1, 128})->Unit(benchmark::kMillisecond);
