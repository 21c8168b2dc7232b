// salt/backend/simd/gemm.hpp — blocked, packed single-precision GEMM for the simd backend.
//
//   C[M, N] (+)= A[M, K] * B[K, N] (+ bias[N]),   all row-major.
//
// The structure is the classic one of Goto and van de Geijn ("Anatomy of high-performance matrix
// multiplication", 2008), as BLIS lays it out: loop over column panels of width NC, then over K
// blocks of depth KC (B's KC x NC panel is packed into NR-wide strips), then over row blocks of
// height MC (A's MC x KC block is packed into MR-tall strips), then a register-blocked MR x NR
// micro-kernel that keeps the whole C tile in vector registers for the K block.
//
// A and B are never read directly by the kernel: they are "packers" (any type with a `pack` member,
// see DenseA / DenseB below), which lets the convolutions run implicit GEMMs whose packer gathers
// im2col rows (with padding zeros and pruned taps) straight into the packing buffer, so no im2col
// matrix is ever materialised.
//
// Register blocking is chosen from xsimd's batch width for the target: AVX-512 (16 lanes, 32
// registers) 14 x 32, AVX2 (8 lanes, 16 registers) 6 x 16, SSE (4 lanes, 16 registers) 6 x 8.
//
// Threads: OpenMP, the device's threads() of them, over disjoint tiles of C (the M or the N
// dimension is split). Each element of C is summed by one thread in a fixed order that
// does not depend on the split, so results are bitwise identical from run to run and for any
// thread count. Packing buffers belong to the device, one set per thread, allocated on first use.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

#include <omp.h>
#include <stdexcept>

#include "salt/backend/simd/blocking.hpp"
#include "salt/backend/simd/device.hpp"

namespace salt::backend::simd {

// ---- packers ------------------------------------------------------------------------------------
// A packer writes rows [i0, i0+mc) x depth [k0, k0+kc) of A as ceil(mc/MR) strips, strip s at
// dst + s*kc*MR, element (i0 + s*MR + r, k0 + k) at [k*MR + r]; rows past mc are zero.
// A B packer writes depth [k0, k0+kc) x columns [n0, n0+nc) as ceil(nc/NR) strips, strip s at
// dst + s*kc*NR, element (k0 + k, n0 + s*NR + c) at [k*NR + c]; columns past nc are zero.

// A(i, k) = p[i*ld + k] (trans = false) or p[k*ld + i] (trans = true).
struct DenseA {
    const float* p;
    std::ptrdiff_t ld;
    bool trans = false;
    void pack(int i0, int k0, int mc, int kc, float* dst) const {
        if (trans) {
            // Row k of the stored matrix holds A's column k: read it once, contiguously, and deal
            // it out to the strips (strip-by-strip reads would walk kc rows ld apart per strip,
            // which for ld a multiple of 4 KiB all land in the same L1 sets).
            const int strips = (mc + kMR - 1) / kMR;
            for (int k = 0; k < kc; ++k) {
                const float* src = p + std::ptrdiff_t(k0 + k) * ld + i0;
                for (int s = 0; s < strips; ++s) {
                    float* d = dst + std::size_t(s) * kc * kMR + std::size_t(k) * kMR;
                    const int rows = std::min(kMR, mc - s * kMR);
                    int r = 0;
                    for (; r < rows; ++r) d[r] = src[s * kMR + r];
                    for (; r < kMR; ++r) d[r] = 0.f;
                }
            }
            return;
        }
        for (int s = 0; s * kMR < mc; ++s) {
            const int rows = std::min(kMR, mc - s * kMR);
            float* d = dst + std::size_t(s) * kc * kMR;
            const int ib = i0 + s * kMR;
            {
                for (int r = 0; r < rows; ++r) {
                    const float* src = p + std::ptrdiff_t(ib + r) * ld + k0;
                    for (int k = 0; k < kc; ++k) d[k * kMR + r] = src[k];
                }
                for (int r = rows; r < kMR; ++r)
                    for (int k = 0; k < kc; ++k) d[k * kMR + r] = 0.f;
            }
        }
    }
};

// B(k, n) = p[k*ld + n] (trans = false) or p[n*ld + k] (trans = true).
struct DenseB {
    const float* p;
    std::ptrdiff_t ld;
    bool trans = false;
    void pack(int k0, int n0, int kc, int nc, float* dst) const {
        for (int s = 0; s * kNR < nc; ++s) {
            const int cols = std::min(kNR, nc - s * kNR);
            float* d = dst + std::size_t(s) * kc * kNR;
            const int nb = n0 + s * kNR;
            if (!trans) {
                if (cols == kNR) {
                    for (int k = 0; k < kc; ++k) {
                        const float* src = p + std::ptrdiff_t(k0 + k) * ld + nb;
                        for (int v = 0; v < kNV; ++v)
                            vfloat::load_unaligned(src + v * kLanes).store_aligned(d + k * kNR + v * kLanes);
                    }
                } else {
                    for (int k = 0; k < kc; ++k) {
                        const float* src = p + std::ptrdiff_t(k0 + k) * ld + nb;
                        int c = 0;
                        for (; c < cols; ++c) d[k * kNR + c] = src[c];
                        for (; c < kNR; ++c) d[k * kNR + c] = 0.f;
                    }
                }
            } else {
                for (int c = 0; c < cols; ++c) {
                    const float* src = p + std::ptrdiff_t(nb + c) * ld + k0;
                    for (int k = 0; k < kc; ++k) d[k * kNR + c] = src[k];
                }
                for (int c = cols; c < kNR; ++c)
                    for (int k = 0; k < kc; ++k) d[k * kNR + c] = 0.f;
            }
        }
    }
};

// B(k, n) = p[rows(k) + n]: rows gathered through a row map (a weight gradient's dY restricted to
// the output pixels of one rectangle, see conv2d.hpp).
template <class Rows>
struct RowMapB {
    const float* p;
    Rows rows;
    void pack(int k0, int n0, int kc, int nc, float* dst) const {
        for (int s = 0; s * kNR < nc; ++s) {
            const int cols = std::min(kNR, nc - s * kNR);
            float* d = dst + std::size_t(s) * kc * kNR;
            const int nb = n0 + s * kNR;
            for (int k = 0; k < kc; ++k) {
                const float* src = p + rows(k0 + k) + nb;
                if (cols == kNR) {
                    for (int v = 0; v < kNV; ++v)
                        vfloat::load_unaligned(src + v * kLanes).store_aligned(d + k * kNR + v * kLanes);
                } else {
                    int c = 0;
                    for (; c < cols; ++c) d[k * kNR + c] = src[c];
                    for (; c < kNR; ++c) d[k * kNR + c] = 0.f;
                }
            }
        }
    }
};
template <class Rows>
RowMapB(const float*, Rows) -> RowMapB<Rows>;

// ---- epilogue -----------------------------------------------------------------------------------
// What the GEMM applies to each finished element of C (after the last K block), in this order:
//   o = (o - sub[j]) * mul[j] + add[j]   (inference batch norm; when mul is set)
//   o = o + res[same place as C's]       (residual add; when res is set; res has C's layout)
//   o = o < 0 ? 0 : o                    (ReLU, relu.hpp's expression; when relu)
// The same expressions, in the same order, as the separate batch_norm_forward_eval, add_forward and
// relu_forward kernels of this backend, so fusing them does not change the computation, only the
// number of passes over memory.
struct Epilogue {
    const float* sub = nullptr;
    const float* mul = nullptr;
    const float* add = nullptr;
    const float* res = nullptr;
    bool relu = false;
};
// `at`: the element's offset in C (and res), j: its column.
inline vfloat apply_epilogue(vfloat o, const Epilogue& e, std::ptrdiff_t at, int j) {
    if (e.mul)
        o = (o - vfloat::load_unaligned(e.sub + j)) * vfloat::load_unaligned(e.mul + j) + vfloat::load_unaligned(e.add + j);
    if (e.res) o = o + vfloat::load_unaligned(e.res + at);
    if (e.relu) o = xsimd::select(o < vfloat(0.f), vfloat(0.f), o);
    return o;
}
inline float apply_epilogue(float o, const Epilogue& e, std::ptrdiff_t at, int j) {
    if (e.mul) o = (o - e.sub[j]) * e.mul[j] + e.add[j];
    if (e.res) o = o + e.res[at];
    if (e.relu) o = o < 0.f ? 0.f : o;
    return o;
}

// Where row i of C starts (element offset from C): dense rows ldc apart, or any map (the
// convolutions' padding-free regions write scattered output pixels).
struct DenseRows {
    std::ptrdiff_t ldc;
    std::ptrdiff_t operator()(int i) const { return std::ptrdiff_t(i) * ldc; }
};

// ---- micro-kernel -------------------------------------------------------------------------------
// Stores a finished tile: row r < mr, column jj < nr of the tile is element C[off[r] + j0 + jj];
//   overwrite ? acc (+ bias[jj]) : C + acc (+ bias[jj]), then, when ep is set, the epilogue.
inline void store_tile(vfloat (&acc)[kMR][kNV], float* C, const std::ptrdiff_t* off, int j0, int mr, int nr,
                       bool overwrite, const float* bias, const Epilogue* ep) {
    if (mr == kMR && nr == kNR) {
#pragma GCC unroll 16
        for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
            for (int v = 0; v < kNV; ++v) {
                const std::ptrdiff_t at = off[r] + j0 + v * kLanes;
                float* cp = C + at;
                vfloat o = acc[r][v];
                if (!overwrite) o = vfloat::load_unaligned(cp) + o;
                if (bias) o = o + vfloat::load_unaligned(bias + v * kLanes);
                if (ep) o = apply_epilogue(o, *ep, at, j0 + v * kLanes);
                o.store_unaligned(cp);
            }
        return;
    }
    alignas(64) float tmp[kMR * kNR];
    for (int r = 0; r < kMR; ++r)
        for (int v = 0; v < kNV; ++v) acc[r][v].store_aligned(tmp + r * kNR + v * kLanes);
    for (int r = 0; r < mr; ++r)
        for (int j = 0; j < nr; ++j) {
            const std::ptrdiff_t at = off[r] + j0 + j;
            float o = tmp[r * kNR + j];
            float* cp = C + at;
            if (!overwrite) o = *cp + o;
            if (bias) o = o + bias[j];
            if (ep) o = apply_epilogue(o, *ep, at, j0 + j);
            *cp = o;
        }
}

// The fp32 micro-kernel: an MR x NR tile of A * B over one K block, kept in registers. Not inlined:
// one copy per program instead of one per GEMM instantiation (each packer pair is one), which
// keeps compile time down; a call per tile of 14 x 32 x KC multiply-adds costs nothing measurable.
[[gnu::noinline]] inline void micro_kernel(int kc, const float* __restrict a, const float* __restrict b, float* C,
                         const std::ptrdiff_t* off, int j0, int mr, int nr, bool overwrite, const float* bias,
                         const Epilogue* ep) {
    vfloat acc[kMR][kNV];
#pragma GCC unroll 16
    for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) acc[r][v] = vfloat(0.f);
    for (int k = 0; k < kc; ++k) {
        vfloat bv[kNV];
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) bv[v] = vfloat::load_aligned(b + k * kNR + v * kLanes);
#pragma GCC unroll 16
        for (int r = 0; r < kMR; ++r) {
            const vfloat av(a[k * kMR + r]);
#pragma GCC unroll 4
            for (int v = 0; v < kNV; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
        }
    }
    store_tile(acc, C, off, j0, mr, nr, overwrite, bias, ep);
}

#if defined(SALT_HAVE_BF16_GEMM)
static_assert(kLanes == 16 && kNR == 32, "the bf16 GEMM assumes AVX-512's 16-lane blocking");
// Two fp32 vectors (k even: lo, k odd: hi; 16 lanes each) -> 16 words (bf16(lo[i]), bf16(hi[i])),
// rounded to nearest even by VCVTNE2PS2BF16.
inline __m512i bf16_pairs(__m512 lo, __m512 hi) {
    const __m512i t = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));  // 0..15 lo, 16..31 hi
    const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                         21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(idx, t);
}
// B: ceil(nc/NR) fp32 strips (k*NR + c) -> bf16 strips of kp = ceil(kc/2) pair rows (kp*NR + c).
inline void convert_b_bf16(const float* src, int kc, int nc, std::uint32_t* dst) {
    const int kp = (kc + 1) / 2;
    for (int s = 0; s * kNR < nc; ++s) {
        const float* sp = src + std::size_t(s) * kc * kNR;
        std::uint32_t* dp = dst + std::size_t(s) * kp * kNR;
        for (int p = 0; p < kp; ++p)
            for (int v = 0; v < kNV; ++v) {
                const __m512 lo = _mm512_load_ps(sp + std::size_t(2 * p) * kNR + v * 16);
                const __m512 hi = 2 * p + 1 < kc ? _mm512_load_ps(sp + std::size_t(2 * p + 1) * kNR + v * 16)
                                                 : _mm512_setzero_ps();
                _mm512_store_si512(dp + std::size_t(p) * kNR + v * 16, bf16_pairs(lo, hi));
            }
    }
}
// A: ceil(mc/MR) fp32 strips (k*MR + r) -> bf16 strips (kp*MR + r).
inline void convert_a_bf16(const float* src, int kc, int mc, std::uint32_t* dst) {
    const int kp = (kc + 1) / 2;
    const __mmask16 m = __mmask16((1u << kMR) - 1u);
    for (int s = 0; s * kMR < mc; ++s) {
        const float* sp = src + std::size_t(s) * kc * kMR;
        std::uint32_t* dp = dst + std::size_t(s) * kp * kMR;
        for (int p = 0; p < kp; ++p) {
            const __m512 lo = _mm512_maskz_loadu_ps(m, sp + std::size_t(2 * p) * kMR);
            const __m512 hi =
                2 * p + 1 < kc ? _mm512_maskz_loadu_ps(m, sp + std::size_t(2 * p + 1) * kMR) : _mm512_setzero_ps();
            _mm512_mask_storeu_epi32(dp + std::size_t(p) * kMR, m, bf16_pairs(lo, hi));
        }
    }
}
// The bf16 micro-kernel: as micro_kernel, on kp pair rows, with VDPBF16PS (not inlined either).
[[gnu::noinline]] inline void micro_kernel_bf16(int kp, const std::uint32_t* __restrict a, const std::uint32_t* __restrict b, float* C,
                              const std::ptrdiff_t* off, int j0, int mr, int nr, bool overwrite, const float* bias,
                              const Epilogue* ep) {
    __m512 acc[kMR][kNV];
#pragma GCC unroll 16
    for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_setzero_ps();
    for (int k = 0; k < kp; ++k) {
        __m512bh bv[kNV];
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) bv[v] = reinterpret_cast<__m512bh>(_mm512_load_si512(b + std::size_t(k) * kNR + v * 16));
#pragma GCC unroll 16
        for (int r = 0; r < kMR; ++r) {
            const __m512bh av = reinterpret_cast<__m512bh>(_mm512_set1_epi32(int(a[std::size_t(k) * kMR + r])));
#pragma GCC unroll 4
            for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], av, bv[v]);
        }
    }
    vfloat out[kMR][kNV];
    for (int r = 0; r < kMR; ++r)
        for (int v = 0; v < kNV; ++v) out[r][v] = vfloat(acc[r][v]);
    store_tile(out, C, off, j0, mr, nr, overwrite, bias, ep);
}
#endif

// ---- drivers ------------------------------------------------------------------------------------
// One thread's share: rows [m0, m1), columns [n0, n1) of C; row i of C starts at C + rows(i).
template <class PA, class PB, class Rows>
void gemm_tile(Device& dev, int m0, int m1, int n0, int n1, int K, const PA& a, const PB& b, float* C, const Rows& rows,
               bool accumulate, const float* bias, const Epilogue* ep = nullptr) {
    if (m0 >= m1 || n0 >= n1) return;
    if (K <= 0) {
        for (int i = m0; i < m1; ++i)
            for (int j = n0; j < n1; ++j) {
                const std::ptrdiff_t at = rows(i) + j;
                float& o = C[at];
                const float base = accumulate ? o : 0.f;
                o = bias ? base + bias[j] : base;
                if (ep) o = apply_epilogue(o, *ep, at, j);
            }
        return;
    }
    PackBuffers& buf = dev.pack();
#if defined(SALT_HAVE_BF16_GEMM)
    const bool bf16 = dev.bf16();
    PackBuffersBf16* buf16 = bf16 ? &dev.pack_bf16() : nullptr;
#endif
    std::ptrdiff_t off[kMC];
    for (int jc = n0; jc < n1; jc += kNC) {
        const int nc = std::min(kNC, n1 - jc);
        for (int pc = 0; pc < K; pc += kKC) {
            const int kc = std::min(kKC, K - pc);
            b.pack(pc, jc, kc, nc, buf.b);
#if defined(SALT_HAVE_BF16_GEMM)
            const int kp = (kc + 1) / 2;
            if (bf16) convert_b_bf16(buf.b, kc, nc, buf16->b);
#endif
            const bool overwrite = pc == 0 && !accumulate;
            const float* bias_block = (pc == 0 && bias) ? bias + jc : nullptr;
            const Epilogue* ep_block = pc + kc >= K ? ep : nullptr;
            for (int ic = m0; ic < m1; ic += kMC) {
                const int mc = std::min(kMC, m1 - ic);
                a.pack(ic, pc, mc, kc, buf.a);
#if defined(SALT_HAVE_BF16_GEMM)
                if (bf16) convert_a_bf16(buf.a, kc, mc, buf16->a);
#endif
                for (int r = 0; r < mc; ++r) off[r] = rows(ic + r);
                for (int jr = 0; jr < nc; jr += kNR) {
                    const int nr = std::min(kNR, nc - jr);
                    const float* bp = buf.b + std::size_t(jr / kNR) * kc * kNR;
                    for (int ir = 0; ir < mc; ir += kMR) {
                        const int mr = std::min(kMR, mc - ir);
                        const float* bias_tile = bias_block ? bias_block + jr : nullptr;
#if defined(SALT_HAVE_BF16_GEMM)
                        if (bf16) {
                            micro_kernel_bf16(kp, buf16->a + std::size_t(ir / kMR) * kp * kMR,
                                              buf16->b + std::size_t(jr / kNR) * kp * kNR, C, off + ir, jc + jr, mr, nr,
                                              overwrite, bias_tile, ep_block);
                            continue;
                        }
#endif
                        micro_kernel(kc, buf.a + std::size_t(ir / kMR) * kc * kMR, bp, C, off + ir, jc + jr, mr, nr,
                                     overwrite, bias_tile, ep_block);
                    }
                }
            }
        }
    }
}

// Splits `strips` strips of width `unit` over `threads` as evenly as possible: [begin, end) of part t.
inline void split_range(int extent, int unit, int threads, int t, int& begin, int& end) {
    const int strips = (extent + unit - 1) / unit;
    const int lo = strips / threads, extra = strips % threads;
    const int s0 = t * lo + std::min(t, extra);
    const int s1 = s0 + lo + (t < extra ? 1 : 0);
    begin = std::min(extent, s0 * unit);
    end = std::min(extent, s1 * unit);
}

// C[M, N] = A * B (+ bias)   or, with accumulate, C += A * B (+ bias). Parallel with OpenMP.
// Row i of C starts at C + rows(i) (gemm_rows), or rows are ldc apart (gemm).
template <class PA, class PB, class Rows>
void gemm_rows(Device& dev, int M, int N, int K, const PA& a, const PB& b, float* C, const Rows& rows, bool accumulate,
               const float* bias = nullptr, const Epilogue* ep = nullptr) {
    if (M <= 0 || N <= 0) return;
    int threads = omp_in_parallel() ? 1 : dev.threads();
    const double flops = 2.0 * M * double(N) * double(K);
    if (flops < 2e5) threads = 1;
    if (threads <= 1) {
        gemm_tile(dev, 0, M, 0, N, K, a, b, C, rows, accumulate, bias, ep);
        return;
    }
    // Splitting M makes every thread pack all of B (K x N) and its share of A; splitting N, all of
    // A and its share of B. So split M when A is the larger side (M >= N: most convolutions at
    // batch 8), N when B is (the weights, at batch 1 and in the small padding-free regions), unless
    // that leaves a thread too few strips.
    const int sm = (M + kMR - 1) / kMR, sn = (N + kNR - 1) / kNR;
    const bool split_m = sn < 2 * threads || (sm >= 2 * threads && M >= N);
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        int b0, b1;
        if (split_m) {
            split_range(M, kMR, nt, t, b0, b1);
            gemm_tile(dev, b0, b1, 0, N, K, a, b, C, rows, accumulate, bias, ep);
        } else {
            split_range(N, kNR, nt, t, b0, b1);
            gemm_tile(dev, 0, M, b0, b1, K, a, b, C, rows, accumulate, bias, ep);
        }
    }
}

template <class PA, class PB>
void gemm(Device& dev, int M, int N, int K, const PA& a, const PB& b, float* C, std::ptrdiff_t ldc, bool accumulate,
          const float* bias = nullptr, const Epilogue* ep = nullptr) {
    gemm_rows(dev, M, N, K, a, b, C, DenseRows{ldc}, accumulate, bias, ep);
}

// Plain row-major SGEMM: C = op(A) op(B) (beta 0) or C += op(A) op(B) (beta 1).
inline void sgemm(Device& dev, bool trans_a, bool trans_b, int M, int N, int K, const float* A, std::ptrdiff_t lda,
                  const float* B, std::ptrdiff_t ldb, float* C, std::ptrdiff_t ldc, bool accumulate,
                  const float* bias = nullptr) {
    gemm(dev, M, N, K, DenseA{A, lda, trans_a}, DenseB{B, ldb, trans_b}, C, ldc, accumulate, bias);
}

}  // namespace salt::backend::simd
