// bench/bench_common.hpp — shared helpers for salt-bench.
//
// Peak: 310 GFLOP/s is the fp32 GEMM rate measured on this machine (2 cores, AVX-512) with two
// threads on a 2048^3 product (see /work/shared/notes/reference-facts.md, "This machine"); the
// "%peak" counters are relative to it, so they are "% of a good GEMM", not of the FMA units' limit.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

#include "salt/core/rng.hpp"

namespace salt_bench {

inline constexpr double kPeakGflops = 310.0;

// GFLOP/s and % of the measured peak as Google Benchmark rate counters (flops per iteration).
inline void set_flops(benchmark::State& state, double flops_per_iter) {
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops_per_iter * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["%peak"] =
        benchmark::Counter(flops_per_iter * 1e-9 * 100.0 / kPeakGflops, benchmark::Counter::kIsIterationInvariantRate);
}

inline std::vector<float> random_vec(std::size_t n, std::uint64_t seed, float scale = 1.f) {
    salt::Rng rng(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = float((2.0 * rng.uniform() - 1.0) * scale);
    return v;
}

}  // namespace salt_bench
