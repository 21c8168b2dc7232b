// salt/backend/simd/peak.hpp — the arithmetic limit of this machine's vector units, measured when
// asked (never a constant: machines differ — one 512-bit FMA per cycle per core on AMD Zen 4, two on
// most Intel Xeons, other clocks and core counts elsewhere). Benchmarks and the profiler divide their
// GFLOP/s by it to print "% of peak".
//
// Method: every thread in use runs independent chains of multiply-adds on the vector width this build
// was compiled for (xsimd's default batch; with AVX512_BF16, also VDPBF16PS, which does two
// multiply-adds per fp32 lane; with AVX512-VNNI or AVX-VNNI, VPDPBUSD, four int8 products per int32
// lane) and times itself with its own CPU clock in ten slices, keeping the
// best slice: time the thread spent descheduled by the kernel is not counted, and a slice slowed
// otherwise (a hypervisor taking the core, a lower clock) does not lower the figure unless all are.
// The clock is read once per 4096 rounds (it is a system call: read every 64 rounds it halved the
// figure). Enough chains hide the FMA
// latency on every current core (4-5 cycles times up to 2 units); the rates of the threads, run side
// by side, are summed — two threads on one physical core then count that core once.
#pragma once

#include <time.h>

#include <omp.h>
#if defined(__AVX512VNNI__) || defined(__AVXVNNI__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "salt/backend/simd/blocking.hpp"

namespace salt::backend::simd {

struct PeakRate {
    int threads = 0;               // threads the figures are for (run side by side)
    double fp32_gflops = 0;        // fp32 FMA on vfloat (kLanes lanes): 2 flops per lane
    double bf16_gflops = 0;        // VDPBF16PS, 4 flops per fp32 lane; 0 when this build has no bf16 GEMM
    std::string vector_isa;        // what the fp32 figure ran on, e.g. "avx512bw, 16 fp32 lanes"
    // VPDPBUSD (u8 x s8 products, four summed into each int32 lane: 8 ops per lane), on the widest
    // VNNI this build was compiled for; 0 without VNNI. The limit an int8 kernel would be read against.
    double int8_gops = 0;
    std::string int8_isa;          // "avx512vnni, 16 int32 lanes", "avx-vnni, 8 int32 lanes" or empty
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

// kChains independent chains acc[c] = step(acc[c], a, b) (one instruction each, so the chains keep
// the units busy), timed by timed_rate; acc holds the chains' ends afterwards, for the caller to fold
// into a sink so that the compiler cannot drop the work. One loop for every instruction measured.
template <class Acc, int N, class Operand, class Step>
double chain_rate(double seconds, double ops_per_round, Acc (&acc)[N], Operand a, Operand b, Step step) {
    return timed_rate(seconds, ops_per_round, [&] {
        // Local copies: through the captured references the compiler would store every chain to
        // memory after each instruction (it cannot rule out aliasing).
        Acc r[N];
        const Operand ra = a, rb = b;
        for (int c = 0; c < N; ++c) r[c] = acc[c];
        for (int i = 0; i < kInner; ++i) {
#pragma GCC unroll 24
            for (int c = 0; c < N; ++c) r[c] = step(r[c], ra, rb);
        }
        for (int c = 0; c < N; ++c) acc[c] = r[c];
    });
}

// fp32 FMA chains on vfloat: 2 flops per lane.
inline double fp32_rate(double seconds, float& sink) {
    vfloat acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = vfloat(1.0f + 1e-3f * float(c));
    const double rate = chain_rate(seconds, kChains * kLanes * 2.0, acc, vfloat(0.999999f), vfloat(1e-7f),
                                   [](vfloat r, vfloat x, vfloat y) { return xsimd::fma(r, x, y); });
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
    const double rate = chain_rate(seconds, kChains * 16 * 4.0, acc, a, b,
                                   [](__m512 r, __m512bh x, __m512bh y) { return _mm512_dpbf16_ps(r, x, y); });
    __m512 s = acc[0];
    for (int c = 1; c < kChains; ++c) s = _mm512_add_ps(s, acc[c]);
    sink += _mm512_reduce_add_ps(s);
    return rate;
}
#endif

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
inline constexpr const char* kInt8Isa = "avx512vnni, 16 int32 lanes";
using vint8acc = __m512i;
inline constexpr int kInt8Lanes = 16;
inline vint8acc int8_dot(vint8acc acc, vint8acc a, vint8acc b) { return _mm512_dpbusd_epi32(acc, a, b); }
inline vint8acc int8_set(int v) { return _mm512_set1_epi32(v); }
inline vint8acc int8_load(const std::int32_t* p) { return _mm512_load_si512(p); }
inline int int8_fold(vint8acc v) { return _mm512_reduce_add_epi32(v); }
#elif defined(__AVXVNNI__)
inline constexpr const char* kInt8Isa = "avx-vnni, 8 int32 lanes";
using vint8acc = __m256i;
inline constexpr int kInt8Lanes = 8;
inline vint8acc int8_dot(vint8acc acc, vint8acc a, vint8acc b) { return _mm256_dpbusd_avx_epi32(acc, a, b); }
inline vint8acc int8_set(int v) { return _mm256_set1_epi32(v); }
inline vint8acc int8_load(const std::int32_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
inline int int8_fold(vint8acc v) {
    alignas(32) int lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
    int s = 0;
    for (int x : lanes) s += x;
    return s;
}
#endif

#if defined(__AVX512VNNI__) && defined(__AVX512BW__) || defined(__AVXVNNI__)
#define SALT_HAVE_VNNI_PEAK 1
// VPDPBUSD chains: four u8 x s8 products added into each int32 lane, 8 ops per lane. The operands are
// small (1 x 1 per byte), so the int32 sums cannot overflow within a measurement.
//
// Not chain_rate: with both operands loop-invariant registers GCC 12 kept the integer chains on the
// stack, storing and reloading every one after each VPDPBUSD, and the figure (177 GOP/s on one Zen 4
// core) was below what the int8 kernel itself reached (~228). Here one operand is loaded each round
// from memory the compiler cannot see through (as a kernel loads its weights from L1), which keeps
// the chains in registers: one VPDPBUSD per cycle on Zen 4 (~435 GOP/s a core, as hand-written
// assembly measures). 16 chains (8 with 16 registers) hide its 4-5 cycle latency on up to 2 units.
inline constexpr int kInt8Chains = kInt8Lanes >= 16 ? 16 : 8;
// kInner rounds of the chains, the chains as separate locals (not an array: GCC kept an array on the stack).
template <std::size_t... C>
inline void int8_block(vint8acc* acc, vint8acc a, const std::int32_t* operand, std::index_sequence<C...>) {
    vint8acc r[] = {acc[C]...};
    auto round = [&](vint8acc b) { ((r[C] = int8_dot(r[C], a, b)), ...); };
    for (int i = 0; i < kInner; ++i) {
        const std::int32_t* p = operand;
        __asm__ volatile("" : "+r"(p));  // the load below cannot be hoisted out of the loop
        round(int8_load(p));
    }
    ((acc[C] = r[C]), ...);
}
inline double int8_rate(double seconds, float& sink) {
    alignas(64) std::int32_t operand[kInt8Lanes];
    for (auto& v : operand) v = 0x01010101;
    vint8acc acc[kInt8Chains];
    for (int c = 0; c < kInt8Chains; ++c) acc[c] = int8_set(c);
    const vint8acc a = int8_set(0x01010101);
    const double rate = timed_rate(seconds, kInt8Chains * kInt8Lanes * 8.0,
                                   [&] { int8_block(acc, a, operand, std::make_index_sequence<kInt8Chains>{}); });
    int s = 0;
    for (int c = 0; c < kInt8Chains; ++c) s += int8_fold(acc[c]) & 1;  // wraps harmlessly; only kept alive
    sink += float(s);
    return rate;
}
#endif

}  // namespace peak_detail

// True when this build measures a VNNI (int8) rate.
#if defined(SALT_HAVE_VNNI_PEAK)
inline constexpr bool kHaveVnniPeak = true;
#else
inline constexpr bool kHaveVnniPeak = false;
#endif

// Measures the limit for `threads` threads (0: OpenMP's default), spending about `seconds` of CPU
// time per thread on each of fp32, bf16 and int8. Costs ~3 x seconds of wall time when the cores are free.
inline PeakRate measure_peak(int threads = 0, double seconds = 0.2) {
    if (threads <= 0) threads = omp_get_max_threads();
    PeakRate r;
    r.vector_isa = std::string(xsimd::default_arch::name()) + ", " + std::to_string(kLanes) + " fp32 lanes";
    double fp32 = 0, bf16 = 0, int8 = 0;
    float sink = 0;
    int ran = 0;
#pragma omp parallel num_threads(threads) reduction(+ : fp32, bf16, int8, sink, ran)
    {
        ran += 1;
        fp32 += peak_detail::fp32_rate(seconds, sink);
#pragma omp barrier
#if defined(SALT_HAVE_BF16_GEMM)
        bf16 += peak_detail::bf16_rate(seconds, sink);
#endif
#if defined(SALT_HAVE_VNNI_PEAK)
#pragma omp barrier
        int8 += peak_detail::int8_rate(seconds, sink);
#endif
    }
    // The accumulators stay finite (a*x + b with a < 1); a non-finite sink would mean a broken loop.
    if (!(sink == sink)) fp32 = bf16 = 0;
    r.threads = ran;  // OpenMP may give fewer threads than asked
    r.fp32_gflops = fp32 * 1e-9;
    r.bf16_gflops = bf16 * 1e-9;
    r.int8_gops = int8 * 1e-9;
#if defined(SALT_HAVE_VNNI_PEAK)
    r.int8_isa = peak_detail::kInt8Isa;
#endif
    return r;
}

}  // namespace salt::backend::simd
