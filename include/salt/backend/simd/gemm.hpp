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
// Threads: OpenMP, omp_get_max_threads() of them (OMP_NUM_THREADS), over disjoint tiles of C (the
// M or the N dimension is split). Each element of C is summed by one thread in a fixed order that
// does not depend on the split, so results are bitwise identical from run to run and for any
// thread count. Packing buffers are per thread, allocated once on first use and reused.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

#include <omp.h>
#include <xsimd/xsimd.hpp>

namespace salt::backend::simd_kernels {

using vfloat = xsimd::batch<float>;
inline constexpr int kLanes = int(vfloat::size);

struct GemmBlocking {
    int mr, nv, kc, mc, nc;
};
constexpr GemmBlocking gemm_blocking() {
    if constexpr (kLanes >= 16) return {14, 2, 256, 168, 2048};
    else if constexpr (kLanes == 8) return {6, 2, 256, 120, 2048};
    else return {6, 2, 256, 120, 2048};
}
inline constexpr int kMR = gemm_blocking().mr;
inline constexpr int kNV = gemm_blocking().nv;
inline constexpr int kNR = kNV * kLanes;
inline constexpr int kKC = gemm_blocking().kc;
inline constexpr int kMC = gemm_blocking().mc;
inline constexpr int kNC = gemm_blocking().nc;
static_assert(kMC % kMR == 0 && kNC % kNR == 0);

// Per-thread packing buffers: fixed size, allocated on a thread's first GEMM, kept for its life.
struct PackBuffers {
    float* a = nullptr;
    float* b = nullptr;
    PackBuffers() {
        a = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * std::size_t(kMC) * kKC));
        b = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * std::size_t(kNC) * kKC));
        if (!a || !b) throw std::bad_alloc();
    }
    ~PackBuffers() {
        std::free(a);
        std::free(b);
    }
    PackBuffers(const PackBuffers&) = delete;
    PackBuffers& operator=(const PackBuffers&) = delete;
};
inline PackBuffers& pack_buffers() {
    static thread_local PackBuffers buffers;
    return buffers;
}

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

// ---- micro-kernel -------------------------------------------------------------------------------
// c[r*ldc + j] for r < mr, j < nr:  overwrite ? acc (+ bias[j]) : c + acc (+ bias[j]).
inline void micro_kernel(int kc, const float* __restrict a, const float* __restrict b, float* c, std::ptrdiff_t ldc,
                         int mr, int nr, bool overwrite, const float* bias) {
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
    if (mr == kMR && nr == kNR) {
#pragma GCC unroll 16
        for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
            for (int v = 0; v < kNV; ++v) {
                float* cp = c + r * ldc + v * kLanes;
                vfloat o = acc[r][v];
                if (!overwrite) o = vfloat::load_unaligned(cp) + o;
                if (bias) o = o + vfloat::load_unaligned(bias + v * kLanes);
                o.store_unaligned(cp);
            }
        return;
    }
    alignas(64) float tmp[kMR * kNR];
    for (int r = 0; r < kMR; ++r)
        for (int v = 0; v < kNV; ++v) acc[r][v].store_aligned(tmp + r * kNR + v * kLanes);
    for (int r = 0; r < mr; ++r)
        for (int j = 0; j < nr; ++j) {
            float o = tmp[r * kNR + j];
            float* cp = c + r * ldc + j;
            if (!overwrite) o = *cp + o;
            if (bias) o = o + bias[j];
            *cp = o;
        }
}

// ---- drivers ------------------------------------------------------------------------------------
// One thread's share: rows [m0, m1), columns [n0, n1) of C.
template <class PA, class PB>
void gemm_tile(int m0, int m1, int n0, int n1, int K, const PA& a, const PB& b, float* C, std::ptrdiff_t ldc,
               bool accumulate, const float* bias) {
    if (m0 >= m1 || n0 >= n1) return;
    if (K <= 0) {
        for (int i = m0; i < m1; ++i)
            for (int j = n0; j < n1; ++j) {
                float& o = C[std::ptrdiff_t(i) * ldc + j];
                const float base = accumulate ? o : 0.f;
                o = bias ? base + bias[j] : base;
            }
        return;
    }
    PackBuffers& buf = pack_buffers();
    for (int jc = n0; jc < n1; jc += kNC) {
        const int nc = std::min(kNC, n1 - jc);
        for (int pc = 0; pc < K; pc += kKC) {
            const int kc = std::min(kKC, K - pc);
            b.pack(pc, jc, kc, nc, buf.b);
            const bool overwrite = pc == 0 && !accumulate;
            const float* bias_block = (pc == 0 && bias) ? bias + jc : nullptr;
            for (int ic = m0; ic < m1; ic += kMC) {
                const int mc = std::min(kMC, m1 - ic);
                a.pack(ic, pc, mc, kc, buf.a);
                for (int jr = 0; jr < nc; jr += kNR) {
                    const int nr = std::min(kNR, nc - jr);
                    const float* bp = buf.b + std::size_t(jr / kNR) * kc * kNR;
                    for (int ir = 0; ir < mc; ir += kMR) {
                        const int mr = std::min(kMR, mc - ir);
                        micro_kernel(kc, buf.a + std::size_t(ir / kMR) * kc * kMR, bp,
                                     C + std::ptrdiff_t(ic + ir) * ldc + jc + jr, ldc, mr, nr, overwrite,
                                     bias_block ? bias_block + jr : nullptr);
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
template <class PA, class PB>
void gemm(int M, int N, int K, const PA& a, const PB& b, float* C, std::ptrdiff_t ldc, bool accumulate,
          const float* bias = nullptr) {
    if (M <= 0 || N <= 0) return;
    int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    const double flops = 2.0 * M * double(N) * double(K);
    if (flops < 2e5) threads = 1;
    if (threads <= 1) {
        gemm_tile(0, M, 0, N, K, a, b, C, ldc, accumulate, bias);
        return;
    }
    // Split the dimension whose strips divide most evenly among the threads; prefer M (each
    // thread then packs only its own rows of A, and A is the im2col side of a convolution).
    const int sm = (M + kMR - 1) / kMR, sn = (N + kNR - 1) / kNR;
    auto waste = [&](int s) { return double((s + threads - 1) / threads * threads) / double(s); };
    const bool split_m = sm >= 4 * threads || waste(sm) <= waste(sn) || sn < threads;
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        int b0, b1;
        if (split_m) {
            split_range(M, kMR, nt, t, b0, b1);
            gemm_tile(b0, b1, 0, N, K, a, b, C, ldc, accumulate, bias);
        } else {
            split_range(N, kNR, nt, t, b0, b1);
            gemm_tile(0, M, b0, b1, K, a, b, C, ldc, accumulate, bias);
        }
    }
}

// Plain row-major SGEMM: C = op(A) op(B) (beta 0) or C += op(A) op(B) (beta 1).
inline void sgemm(bool trans_a, bool trans_b, int M, int N, int K, const float* A, std::ptrdiff_t lda,
                  const float* B, std::ptrdiff_t ldb, float* C, std::ptrdiff_t ldc, bool accumulate,
                  const float* bias = nullptr) {
    gemm(M, N, K, DenseA{A, lda, trans_a}, DenseB{B, ldb, trans_b}, C, ldc, accumulate, bias);
}

}  // namespace salt::backend::simd_kernels
