// salt/backend/simd/peak.hpp — the arithmetic limit of this machine's vector units, measured when
// asked (never a constant: machines differ — one 512-bit FMA per cycle per core on AMD Zen 4, two on
// most Intel Xeons, other clocks and core counts elsewhere). Benchmarks and the profiler divide their
// GFLOP/s by it to print "% of peak".
//
// Method: every thread in use runs independent chains of multiply-adds on the vector width this build
// was compiled for (xsimd's default batch; with AVX512_BF16, also VDPBF16PS, which does two
// multiply-adds per fp32 lane) and times itself with its own CPU clock in ten slices, keeping the
// best slice: time the thread spent descheduled by the kernel is not counted, and a slice slowed
// otherwise (a hypervisor taking the core, a lower clock) does not lower the figure unless all are.
// The clock is read once per 4096 rounds (it is a system call: read every 64 rounds it halved the
// figure). Enough chains hide the FMA
// latency on every current core (4-5 cycles times up to 2 units); the rates of the threads, run side
// by side, are summed — two threads on one physical core then count that core once.
#pragma once

#include <time.h>

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "salt/backend/simd/blocking.hpp"

namespace salt::backend::simd {

struct PeakRate {
    int threads = 0;               // threads the figures are for (run side by side)
    double fp32_gflops = 0;        // fp32 FMA on vfloat (kLanes lanes): 2 flops per lane
    double bf16_gflops = 0;        // VDPBF16PS, 4 flops per fp32 lane; 0 when this build has no bf16 GEMM
    std::string vector_isa;        // what the fp32 figure ran on, e.g. "avx512bw, 16 fp32 lanes"
};

namespace peak_detail {

inline double thread_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// Independent accumulators: 24 with 32 vector registers (AVX-512), 12 with 16 (AVX2, SSE).
inline constexpr int kChains = kLanes >= 16 ? 24 : 12;
inline constexpr int kInner = 4096;  // rounds per clock read (the thread CPU clock is a system call: ~1 us)

// Calls block() (kInner rounds of kChains multiply-adds) for `seconds` of this thread's CPU time, in
// kIntervals slices, and returns the best slice's flops per second: a slice in which the thread lost
// its core (another process, the hypervisor) or ran at a lower clock only lowers its own figure.
inline constexpr int kIntervals = 10;
template <class Block>
double timed_rate(double seconds, double flops_per_round, Block&& block) {
    double best = 0;
    for (int i = 0; i < kIntervals; ++i) {
        std::uint64_t rounds = 0;
        const double t0 = thread_seconds();
        double t = t0;
        do {
            block();
            rounds += kInner;
            t = thread_seconds();
        } while (t - t0 < seconds / kIntervals);
        best = std::max(best, double(rounds) * flops_per_round / (t - t0));
    }
    return best;
}

// fp32 FMA chains on vfloat: 2 flops per lane. The result folds into `sink` so the compiler cannot
// drop the work.
inline double fp32_rate(double seconds, float& sink) {
    vfloat acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = vfloat(1.0f + 1e-3f * float(c));
    const vfloat a(0.999999f), b(1e-7f);
    const double rate = timed_rate(seconds, kChains * kLanes * 2.0, [&] {
        // Local copies: through the captured references the compiler would store every chain to
        // memory after each FMA (it cannot rule out aliasing).
        vfloat r[kChains];
        const vfloat ra = a, rb = b;
        for (int c = 0; c < kChains; ++c) r[c] = acc[c];
        for (int i = 0; i < kInner; ++i) {
#pragma GCC unroll 24
            for (int c = 0; c < kChains; ++c) r[c] = xsimd::fma(r[c], ra, rb);
        }
        for (int c = 0; c < kChains; ++c) acc[c] = r[c];
    });
    vfloat s = acc[0];
    for (int c = 1; c < kChains; ++c) s += acc[c];
    sink += xsimd::hadd(s);
    return rate;
}

#if defined(SALT_HAVE_BF16_GEMM)
// VDPBF16PS chains: two bf16 products added into each fp32 lane, 4 flops per lane.
inline double bf16_rate(double seconds, float& sink) {
    __m512 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(1e-3f * float(c));
    const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(2e-3f));
    const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-4f), _mm512_set1_ps(3e-4f));
    const double rate = timed_rate(seconds, kChains * 16 * 4.0, [&] {
        __m512 r[kChains];
        const __m512bh ra = a, rb = b;
        for (int c = 0; c < kChains; ++c) r[c] = acc[c];
        for (int i = 0; i < kInner; ++i) {
#pragma GCC unroll 24
            for (int c = 0; c < kChains; ++c) r[c] = _mm512_dpbf16_ps(r[c], ra, rb);
        }
        for (int c = 0; c < kChains; ++c) acc[c] = r[c];
    });
    __m512 s = acc[0];
    for (int c = 1; c < kChains; ++c) s = _mm512_add_ps(s, acc[c]);
    sink += _mm512_reduce_add_ps(s);
    return rate;
}
#endif

}  // namespace peak_detail

// Measures the limit for `threads` threads (0: OpenMP's default), spending about `seconds` of CPU
// time per thread on each of fp32 and bf16. Costs ~2 x seconds of wall time when the cores are free.
inline PeakRate measure_peak(int threads = 0, double seconds = 0.2) {
    if (threads <= 0) threads = omp_get_max_threads();
    PeakRate r;
    r.vector_isa = std::string(xsimd::default_arch::name()) + ", " + std::to_string(kLanes) + " fp32 lanes";
    double fp32 = 0, bf16 = 0;
    float sink = 0;
    int ran = 0;
#pragma omp parallel num_threads(threads) reduction(+ : fp32, bf16, sink, ran)
    {
        ran += 1;
        fp32 += peak_detail::fp32_rate(seconds, sink);
#pragma omp barrier
#if defined(SALT_HAVE_BF16_GEMM)
        bf16 += peak_detail::bf16_rate(seconds, sink);
#endif
    }
    // The accumulators stay finite (a*x + b with a < 1); a non-finite sink would mean a broken loop.
    if (!(sink == sink)) fp32 = bf16 = 0;
    r.threads = ran;  // OpenMP may give fewer threads than asked
    r.fp32_gflops = fp32 * 1e-9;
    r.bf16_gflops = bf16 * 1e-9;
    return r;
}

}  // namespace salt::backend::simd
