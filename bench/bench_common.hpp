// bench/bench_common.hpp — shared helpers for salt-bench.
//
// Peak: the "%peak" counters are relative to the FMA units' limit measured on this machine (AMD
// Zen 4, 2 cores): one 512-bit FMA per cycle per core at ~3.66 GHz = 117 GFLOP/s per core
// (docs/performance.md, "Peak"), times the OpenMP threads in use (at most the 2 cores). The
// 310 GFLOP/s "practical GEMM peak" quoted in /work/shared/notes/reference-facts.md exceeds that
// limit for two cores, so it cannot be this machine's and is not used.
#pragma once

#include <benchmark/benchmark.h>

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "salt/core/rng.hpp"

namespace salt_bench {

inline constexpr double kPeakGflopsPerCore = 117.0;
inline constexpr int kCores = 2;
inline double peak_gflops() { return kPeakGflopsPerCore * std::min(kCores, omp_get_max_threads()); }

// GFLOP/s and % of the measured peak as Google Benchmark rate counters (flops per iteration).
inline void set_flops(benchmark::State& state, double flops_per_iter) {
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops_per_iter * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["%peak"] =
        benchmark::Counter(flops_per_iter * 1e-9 * 100.0 / peak_gflops(), benchmark::Counter::kIsIterationInvariantRate);
}

inline std::vector<float> random_vec(std::size_t n, std::uint64_t seed, float scale = 1.f) {
    salt::Rng rng(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = float((2.0 * rng.uniform() - 1.0) * scale);
    return v;
}

}  // namespace salt_bench
