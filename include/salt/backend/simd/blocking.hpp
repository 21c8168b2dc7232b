// salt/backend/simd/blocking.hpp — the vector width xsimd chose for this build and the GEMM's
// blocking derived from it (see gemm.hpp), shared by the device (which owns the packing buffers)
// and the kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__AVX512BF16__) && defined(__AVX512BW__) && defined(__AVX512F__)
#include <immintrin.h>
#define SALT_HAVE_BF16_GEMM 1
#endif
#include <xsimd/xsimd.hpp>

#include "salt/core/shape.hpp"

namespace salt::backend::simd {

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

#if defined(SALT_HAVE_BF16_GEMM)
inline constexpr bool kHaveBf16Gemm = true;
#else
inline constexpr bool kHaveBf16Gemm = false;
#endif

// Bytes of each packing buffer. aligned_alloc wants a multiple of the alignment, so every size is
// rounded up to it (the bf16 pair rows, kKC/2 + 1 of them, are not a multiple by themselves).
inline constexpr std::size_t kPackABytes = align_up(sizeof(float) * std::size_t(kMC) * kKC);
inline constexpr std::size_t kPackBBytes = align_up(sizeof(float) * std::size_t(kNC) * kKC);
inline constexpr std::size_t kPackABf16Bytes = align_up(sizeof(std::uint32_t) * std::size_t(kMC) * (kKC / 2 + 1));
inline constexpr std::size_t kPackBBf16Bytes = align_up(sizeof(std::uint32_t) * std::size_t(kNC) * (kKC / 2 + 1));

}  // namespace salt::backend::simd
