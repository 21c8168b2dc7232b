// bench/bench_common.hpp — shared helpers for salt-bench.
//
// Peak: the "%peak" counters are relative to the vector units' fp32 FMA limit for the threads in
// use, measured once when the first benchmark asks for it (salt/backend/simd/peak.hpp: independent
// FMA chains on this build's vector width, each thread timed by its own CPU clock). It is measured,
// never a constant: Zen 4 does one 512-bit FMA per cycle per core, most Xeons two, at other clocks.
// The measured figures are printed in the benchmark's context header ("peak_fp32_GFLOP/s", ...).
#pragma once

#include <benchmark/benchmark.h>

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "salt/backend/simd/peak.hpp"
#include "salt/core/rng.hpp"

namespace salt_bench {

// Measured once per process, for OpenMP's default thread count (what the benchmarks run with), and
// recorded in the context header of the output.
inline const salt::backend::simd::PeakRate& measured_peak() {
    static const salt::backend::simd::PeakRate p = [] {
        auto r = salt::backend::simd::measure_peak(omp_get_max_threads());
        benchmark::AddCustomContext("peak_threads", std::to_string(r.threads));
        benchmark::AddCustomContext("peak_fp32_GFLOP/s", std::to_string(r.fp32_gflops));
        benchmark::AddCustomContext("peak_bf16_GFLOP/s", std::to_string(r.bf16_gflops));
        benchmark::AddCustomContext("peak_int8_GOP/s", std::to_string(r.int8_gops));
        benchmark::AddCustomContext("peak_vector_isa", r.vector_isa);
        return r;
    }();
    return p;
}
inline double peak_gflops() { return measured_peak().fp32_gflops; }
// Measured at start-up, before Google Benchmark prints its context header (the figures appear there).
inline const bool kPeakMeasuredAtStartup = (measured_peak(), true);

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
