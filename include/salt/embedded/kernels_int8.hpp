// salt/embedded/kernels_int8.hpp — the int8 convolution of the embedded path (Precision::int8):
// unsigned 8-bit inputs (a ReLU's output, zero at 0) times signed 8-bit weights (one scale per output
// channel), summed exactly in 32-bit integers, then scaled back to fp32 with the folded BatchNorm's
// bias, the residual and ReLU. No allocation, like salt/embedded/kernels.hpp; one thread unless the caller
// hands it a Parallel (salt/embedded/parallel.hpp).
//
// Builds with AVX-512 VNNI run VPDPBUSD on 512-bit registers (64 products of u8 x s8 summed four by
// four into 16 int32 lanes, no intermediate saturation); builds with AVX-VNNI and no AVX-512 (e.g.
// -march=alderlake) run its VEX form on 256-bit registers; every other build runs the portable loop.
// All three form the same exact integer sums and apply the same fp32 operations to them
// (fma(sum, input_scale * weight_scale, bias), then + residual, then ReLU), so their outputs are
// identical, bit for bit.
//
// The sums cannot overflow: |u8 x s8| <= 255 x 127, and the largest reduction here (3x3x2048 in the
// ASPP's 3x3 convs) gives at most 18432 x 32385 < 2^30.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) && defined(__AVX512VNNI__)
#include <immintrin.h>
#define SALT_EMBEDDED_VNNI 1
#elif defined(__AVXVNNI__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define SALT_EMBEDDED_AVX_VNNI 1
#endif

#include "salt/embedded/parallel.hpp"
#include "salt/embedded/plan.hpp"

namespace salt::embedded::kernels {

// Where the int8 kernel reads the input of a padded tap (and of the pixels past a row's end): zeros,
// as many as the widest input a quantised convolution has (checked against the walk at compile time).
inline constexpr std::size_t kZeroRowBytes = 4096;
alignas(64) inline constexpr std::uint8_t kZeroRow[kZeroRowBytes] = {};

// The name of the kernel this build runs, for reports.
constexpr const char* int8_kernel_name() {
#if defined(SALT_EMBEDDED_VNNI)
    return "AVX-512 VNNI (VPDPBUSD)";
#elif defined(SALT_EMBEDDED_AVX_VNNI)
    return "AVX-VNNI (256-bit VPDPBUSD)";
#else
    return "portable (no AVX-512 VNNI or AVX-VNNI in this build)";
#endif
}

// The output channels the build's kernel keeps in registers at a time (one task's block).
#if defined(SALT_EMBEDDED_VNNI)
inline constexpr int kInt8ChannelBlock = 64;  // four 16-lane registers per pixel
#elif defined(SALT_EMBEDDED_AVX_VNNI)
inline constexpr int kInt8ChannelBlock = 16;  // two 8-lane registers per pixel
#else
inline constexpr int kInt8ChannelBlock = 64;  // the portable loop's per-pixel sums
#endif

// One int8 part of the weights as it lies in the arena (plan.hpp, part_bytes): a real input x is held
// as min(255, round(x / input_scale)) (x >= 0); a weight w of output channel c as
// round(w / weight_scale[c]) in [-127, 127], in the arena order (int8_arena_index).
struct Int8Conv {
    float input_scale;
    const float* weight_scale;  // [out]
    const float* bias;          // [out]
    const std::int8_t* weights;  // [out/block][ky][kx][in/4][block][4]
};

inline Int8Conv int8_conv_part(const ConvStep& s, const unsigned char* part) {
    Int8Conv c{};
    std::memcpy(&c.input_scale, part, sizeof(float));
    c.weight_scale = reinterpret_cast<const float*>(part + 64);
    c.bias = c.weight_scale + s.p.out_channels;
    c.weights = reinterpret_cast<const std::int8_t*>(part + int8_weights_offset(s));
    return c;
}

// The position of weight (ky, kx, ci, co) in the blob's int8 order, [ky][kx][in/4][out][4] (what
// salt quantize writes; independent of the build).
constexpr std::size_t int8_weight_index(const Conv2dParams& p, int ky, int kx, int ci, int co) {
    return ((((std::size_t(ky) * std::size_t(p.kernel) + std::size_t(kx)) * std::size_t(p.in_channels / 4) + std::size_t(ci / 4)) *
                 std::size_t(p.out_channels) +
             std::size_t(co)) *
            4) +
           std::size_t(ci % 4);
}

// Its position in the arena, where load() puts it: the blob's order within each block of
// kInt8ChannelBlock output channels (the last block may be narrower), block after block, so that a
// task streams its block's weights from one contiguous range. In the blob's order the four
// channels-by-block rows of one tap were out_channels x 4 bytes apart (8 KiB for 2048 outputs), and
// the wide 1x1 convolutions of layer4 ran at ~70% of the rate of the narrow ones.
constexpr std::size_t int8_arena_index(const Conv2dParams& p, int ky, int kx, int ci, int co) {
    const int b = co / kInt8ChannelBlock, first = b * kInt8ChannelBlock;
    const int width = p.out_channels - first < kInt8ChannelBlock ? p.out_channels - first : kInt8ChannelBlock;
    const std::size_t taps_in = std::size_t(p.kernel) * std::size_t(p.kernel) * std::size_t(p.in_channels);
    return std::size_t(first) * taps_in +
           (((std::size_t(ky) * std::size_t(p.kernel) + std::size_t(kx)) * std::size_t(p.in_channels / 4) + std::size_t(ci / 4)) *
                std::size_t(width) +
            std::size_t(co - first)) *
               4 +
           std::size_t(ci % 4);
}

// Copies one int8 part from the blob's order to the arena's (scales and biases as they are).
inline void int8_part_to_arena(const ConvStep& s, const unsigned char* blob_part, unsigned char* arena_part) {
    const std::size_t head = int8_weights_offset(s);
    std::memcpy(arena_part, blob_part, head);
    const Conv2dParams p = s.p;
    for (int ky = 0; ky < p.kernel; ++ky)
        for (int kx = 0; kx < p.kernel; ++kx)
            for (int ci = 0; ci < p.in_channels; ci += 4)
                for (int co = 0; co < p.out_channels; ++co)
                    std::memcpy(arena_part + head + int8_arena_index(p, ky, kx, ci, co), blob_part + head + int8_weight_index(p, ky, kx, ci, co), 4);
}

namespace detail {
inline void quantize_range(const float* __restrict x, std::size_t n, float inv, std::uint8_t* __restrict q) {
    for (std::size_t i = 0; i < n; ++i) {
        float v = x[i] * inv;
        v = v > 0.f ? v : 0.f;
        v = v < 255.f ? v : 255.f;
        q[i] = std::uint8_t(v + 0.5f);
    }
}
}  // namespace detail

// fp32 map -> u8 (round half up; negative values, which a ReLU's output has none of, become 0), cut
// into one contiguous range per worker of `par` (each value on its own, so the result is the same).
// The loop is a function of its own with restrict pointers: inside the task's lambda GCC did not
// vectorise it, and the quantisation took 30 ms of a 70 ms forward pass instead of 2.
inline void quantize_input(const float* x, std::size_t n, float input_scale, std::uint8_t* q, const Parallel& par = {}) {
    const float inv = 1.0f / input_scale;
    const int parts = par.workers > 1 && n >= 4096 ? par.workers : 1;
    parallel_for(par, parts, [&](int g) {
        const std::size_t begin = n * std::size_t(g) / std::size_t(parts), end = n * std::size_t(g + 1) / std::size_t(parts);
        detail::quantize_range(x + begin, end - begin, inv, q + begin);
    });
}

namespace detail {

// The input row of output pixel (oy, ox) at tap (ky, kx): the pixel's Ci bytes, or zeros.
inline const std::uint8_t* tap_row(const ConvStep& s, const std::uint8_t* in, int oy, int ox, int ky, int kx) {
    const Conv2dParams p = s.p;
    const int iy = oy * p.stride - p.padding + ky * p.dilation, ix = ox * p.stride - p.padding + kx * p.dilation;
    if (iy < 0 || iy >= s.in.h || ix < 0 || ix >= s.in.w) return kZeroRow;
    return in + (std::size_t(iy) * std::size_t(s.in.w) + std::size_t(ix)) * std::size_t(p.in_channels);
}

// The input rows of output pixels ox0 .. ox0 + 3 of row oy at tap (ky, kx), zeros past the n that
// exist; false when all four are zeros (the tap adds nothing to the tile).
inline bool tile_rows(const ConvStep& s, const std::uint8_t* in, int oy, int ox0, int n, int ky, int kx, const std::uint8_t* (&src)[4]) {
    bool any = false;
    for (int t = 0; t < 4; ++t) {
        src[t] = t < n ? tap_row(s, in, oy, ox0 + t, ky, kx) : kZeroRow;
        any = any || src[t] != kZeroRow;
    }
    return any;
}

// The end of every output value: fp32 from the exact sum, the bias, the residual, ReLU.
inline float finish(std::int32_t sum, float input_scale, float weight_scale, float bias, const float* residual, bool relu) {
    float v = __builtin_fmaf(float(sum), input_scale * weight_scale, bias);
    if (residual) v += *residual;
    return relu ? (v > 0.f ? v : 0.f) : v;
}

#ifdef SALT_EMBEDDED_VNNI
// GCC 12 reports the intrinsics' own _mm512_undefined_* placeholders (inside _mm512_cvtepi32_ps and
// _mm512_max_ps) as "may be used uninitialized" once they are inlined here; they are not read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
// Four output pixels x NB blocks of 16 output channels: 4 x NB sums in registers; for each tap and
// each four input channels, NB weight vectors are loaded once and used for the four pixels.
template <int NB>
inline void vnni_tile(const ConvStep& s, const Int8Conv& c, const std::uint8_t* in, int oy, int ox0, int n, int co0, float* out,
                      const float* residual) {
    const Conv2dParams p = s.p;
    const int Ci4 = p.in_channels / 4, Co = p.out_channels;
    static_assert(kInt8ChannelBlock == 64, "vnni_tile covers one block of up to four 16-channel vectors");
    // The tile's output lines, asked for now and written at the end: a task writes its block of every
    // pixel, out_stride x 4 bytes apart (8 KiB with 2048 channels), a pattern no prefetcher follows,
    // and each store otherwise waited for its line (the wide 1x1 convs of layer4 ran at ~75% of the
    // narrow ones' rate).
    for (int t = 0; t < n; ++t) {
        const std::size_t px = std::size_t(oy) * std::size_t(s.out().w) + std::size_t(ox0 + t);
        const char* o = reinterpret_cast<const char*>(out + px * std::size_t(s.out_stride) + std::size_t(s.offset) + std::size_t(co0));
        for (int j = 0; j < NB; ++j) _mm_prefetch(o + 64 * j, _MM_HINT_ET0);
    }
    __m512i acc[4][NB];
    for (int t = 0; t < 4; ++t)
        for (int j = 0; j < NB; ++j) acc[t][j] = _mm512_setzero_si512();
    for (int ky = 0; ky < p.kernel; ++ky)
        for (int kx = 0; kx < p.kernel; ++kx) {
            const std::uint8_t* src[4];
            if (!tile_rows(s, in, oy, ox0, n, ky, kx, src)) continue;
            const std::int8_t* w = c.weights + int8_arena_index(p, ky, kx, 0, co0);
            for (int q = 0; q < Ci4; ++q, w += 64 * NB) {  // the block's NB x 16 channels x 4 bytes
                __m512i wv[NB];
                for (int j = 0; j < NB; ++j) {
                    wv[j] = _mm512_loadu_si512(w + 64 * j);
                    // Keeps the vector in a register: otherwise GCC folds the load into each of the
                    // four VPDPBUSD that use it, four loads instead of one (the loads, not the
                    // multiply-adds, then set the pace).
                    __asm__("" : "+v"(wv[j]));
                }
                for (int t = 0; t < 4; ++t) {
                    std::int32_t four;
                    std::memcpy(&four, src[t] + 4 * q, 4);
                    const __m512i a = _mm512_set1_epi32(four);
                    for (int j = 0; j < NB; ++j) acc[t][j] = _mm512_dpbusd_epi32(acc[t][j], a, wv[j]);
                }
            }
        }
    const __m512 in_scale = _mm512_set1_ps(c.input_scale), zero = _mm512_setzero_ps();
    for (int t = 0; t < n; ++t) {
        const std::size_t px = std::size_t(oy) * std::size_t(s.out().w) + std::size_t(ox0 + t);
        float* o = out + px * std::size_t(s.out_stride) + std::size_t(s.offset) + std::size_t(co0);
        for (int j = 0; j < NB; ++j) {
            const __m512 scale = _mm512_mul_ps(in_scale, _mm512_loadu_ps(c.weight_scale + co0 + 16 * j));
            __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[t][j]), scale, _mm512_loadu_ps(c.bias + co0 + 16 * j));
            if (residual) v = _mm512_add_ps(v, _mm512_loadu_ps(residual + px * std::size_t(Co) + std::size_t(co0 + 16 * j)));
            if (s.relu) v = _mm512_max_ps(v, zero);
            _mm512_storeu_ps(o + 16 * j, v);
        }
    }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

#ifdef SALT_EMBEDDED_AVX_VNNI
// Four output pixels x 16 output channels (two 8-lane registers each): 8 sums, 2 weight registers and
// a broadcast stay within AVX2's 16 registers.
inline void avx_vnni_tile(const ConvStep& s, const Int8Conv& c, const std::uint8_t* in, int oy, int ox0, int n, int co0, float* out,
                          const float* residual) {
    const Conv2dParams p = s.p;
    const int Ci4 = p.in_channels / 4, Co = p.out_channels;
    __m256i acc[4][2];
    for (int t = 0; t < 4; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
    for (int ky = 0; ky < p.kernel; ++ky)
        for (int kx = 0; kx < p.kernel; ++kx) {
            const std::uint8_t* src[4];
            if (!tile_rows(s, in, oy, ox0, n, ky, kx, src)) continue;
            const std::int8_t* w = c.weights + int8_arena_index(p, ky, kx, 0, co0);
            for (int q = 0; q < Ci4; ++q, w += 64) {  // the block's 16 channels x 4 bytes
                const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
                const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
                for (int t = 0; t < 4; ++t) {
                    std::int32_t four;
                    std::memcpy(&four, src[t] + 4 * q, 4);
                    const __m256i a = _mm256_set1_epi32(four);
                    acc[t][0] = _mm256_dpbusd_avx_epi32(acc[t][0], a, w0);
                    acc[t][1] = _mm256_dpbusd_avx_epi32(acc[t][1], a, w1);
                }
            }
        }
    const __m256 in_scale = _mm256_set1_ps(c.input_scale), zero = _mm256_setzero_ps();
    for (int t = 0; t < n; ++t) {
        const std::size_t px = std::size_t(oy) * std::size_t(s.out().w) + std::size_t(ox0 + t);
        float* o = out + px * std::size_t(s.out_stride) + std::size_t(s.offset) + std::size_t(co0);
        for (int j = 0; j < 2; ++j) {
            const __m256 scale = _mm256_mul_ps(in_scale, _mm256_loadu_ps(c.weight_scale + co0 + 8 * j));
            __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[t][j]), scale, _mm256_loadu_ps(c.bias + co0 + 8 * j));
            if (residual) v = _mm256_add_ps(v, _mm256_loadu_ps(residual + px * std::size_t(Co) + std::size_t(co0 + 8 * j)));
            if (s.relu) v = _mm256_max_ps(v, zero);
            _mm256_storeu_ps(o + 8 * j, v);
        }
    }
}
#endif

}  // namespace detail

// How conv_int8 cuts a convolution into tasks for `workers` threads: blocks of output channels
// (whose weights one task then reads from its own cache) times groups of output rows, enough groups
// that every worker gets an equal share when there are few channel blocks.
struct Int8Split {
    int blocks, groups;
    constexpr int tasks() const { return blocks * groups; }
};
constexpr Int8Split int8_split(int out_channels, int out_rows, int channels_per_block, int workers) {
    const int blocks = (out_channels + channels_per_block - 1) / channels_per_block;
    int groups = 1;
    if (workers > 1 && blocks < 2 * workers) groups = (2 * workers + blocks - 1) / blocks;
    if (groups > out_rows) groups = out_rows;
    return {blocks, groups};
}

namespace detail {

// Output channels [co_begin, co_end) of output rows [y_begin, y_end).
inline void conv_int8_part(const ConvStep& s, const Int8Conv& c, const std::uint8_t* in, float* out, const float* residual,
                           int co_begin, int co_end, int y_begin, int y_end) {
    const Shape o = s.out();
#ifdef SALT_EMBEDDED_VNNI
    // 64 output channels at a time over every pixel, so that the block's weights (at most
    // 3x3x2048x64 bytes) are read from cache for all the pixel tiles after the first.
    for (int co0 = co_begin; co0 < co_end; co0 += 64) {
        const int nb = (co_end - co0) / 16 < 4 ? (co_end - co0) / 16 : 4;
        for (int oy = y_begin; oy < y_end; ++oy)
            for (int ox0 = 0; ox0 < o.w; ox0 += 4) {
                const int n = o.w - ox0 < 4 ? o.w - ox0 : 4;
                switch (nb) {
                    case 4: vnni_tile<4>(s, c, in, oy, ox0, n, co0, out, residual); break;
                    case 3: vnni_tile<3>(s, c, in, oy, ox0, n, co0, out, residual); break;
                    case 2: vnni_tile<2>(s, c, in, oy, ox0, n, co0, out, residual); break;
                    default: vnni_tile<1>(s, c, in, oy, ox0, n, co0, out, residual); break;
                }
            }
    }
#elif defined(SALT_EMBEDDED_AVX_VNNI)
    // 16 output channels at a time over every pixel (their weights stay in cache).
    for (int co0 = co_begin; co0 < co_end; co0 += 16)
        for (int oy = y_begin; oy < y_end; ++oy)
            for (int ox0 = 0; ox0 < o.w; ox0 += 4) avx_vnni_tile(s, c, in, oy, ox0, o.w - ox0 < 4 ? o.w - ox0 : 4, co0, out, residual);
#else
    // Portable: up to 64 output channels of one pixel summed at a time.
    const Conv2dParams p = s.p;
    const int Co = p.out_channels;
    for (int oy = y_begin; oy < y_end; ++oy)
        for (int ox = 0; ox < o.w; ++ox) {
            const std::size_t px = std::size_t(oy) * std::size_t(o.w) + std::size_t(ox);
            float* op = out + px * std::size_t(s.out_stride) + std::size_t(s.offset);
            for (int co0 = co_begin; co0 < co_end; co0 += 64) {
                const int m = co_end - co0 < 64 ? co_end - co0 : 64;
                std::int32_t sum[64] = {};
                for (int ky = 0; ky < p.kernel; ++ky)
                    for (int kx = 0; kx < p.kernel; ++kx) {
                        const std::uint8_t* src = tap_row(s, in, oy, ox, ky, kx);
                        if (src == kZeroRow) continue;
                        for (int ci = 0; ci < p.in_channels; ++ci) {
                            const std::int32_t a = src[ci];
                            if (a == 0) continue;
                            const std::int8_t* w = c.weights + int8_arena_index(p, ky, kx, ci, co0);
                            for (int k = 0; k < m; ++k) sum[k] += a * std::int32_t(w[4 * k]);
                        }
                    }
                for (int k = 0; k < m; ++k) {
                    const int co = co0 + k;
                    op[co] = finish(sum[k], c.input_scale, c.weight_scale[co], c.bias[co],
                                    residual ? residual + px * std::size_t(Co) + std::size_t(co) : nullptr, s.relu);
                }
            }
        }
#endif
}

}  // namespace detail

// The convolution of step `s` on `in` (the step's input quantised by quantize_input with
// c.input_scale), written as conv() in kernels.hpp writes it: at channel s.offset of a map with
// s.out_stride channels per pixel, `residual` (s.out().c channels per pixel, or null) added before ReLU.
// The work is cut by int8_split and run through `par`; every output value is formed by one task
// alone, so the result does not depend on `par`.
inline void conv_int8(const ConvStep& s, const Int8Conv& c, const std::uint8_t* in, float* out, const float* residual,
                      const Parallel& par = {}) {
    const Shape o = s.out();
    const int Co = s.p.out_channels;
    const Int8Split split = int8_split(Co, o.h, kInt8ChannelBlock, par.workers);
    parallel_for(par, split.tasks(), [&](int task) {
        const int b = task / split.groups, g = task % split.groups;
        const int co_begin = b * kInt8ChannelBlock, co_end = co_begin + kInt8ChannelBlock < Co ? co_begin + kInt8ChannelBlock : Co;
        const int y_begin = int(long(o.h) * g / split.groups), y_end = int(long(o.h) * (g + 1) / split.groups);
        detail::conv_int8_part(s, c, in, out, residual, co_begin, co_end, y_begin, y_end);
    });
}

}  // namespace salt::embedded::kernels
