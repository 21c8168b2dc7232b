// salt/backend/simd/simd.hpp — the fast CPU backend: xsimd vector kernels, OpenMP threads, fp32.
//
// The tag derives from backend::reference, so an op (or a scalar type: double) without a simd
// kernel resolves to the reference kernel by the derived-to-base conversion, while a simd kernel,
// whose first parameter is exactly backend::simd, wins whenever it applies. The kernels are
// overloads in salt::ops, found by argument-dependent lookup from the layers' unqualified calls
// (`conv2d_forward(B{}, ...)`).
//
// Including this header brings in every simd kernel (one op per file in this directory):
//   gemm.hpp            packed SGEMM (the engine of the convolutions)
//   conv2d.hpp          forward, data and weight gradients; implicit GEMM; dead-tap pruning
//   batch_norm.hpp      train/eval forward and backward
//   relu.hpp add.hpp sigmoid.hpp concat.hpp max_pool.hpp global_avg_pool.hpp
//   resize_bilinear.hpp dropout.hpp
#pragma once

#include "salt/backend/reference/reference.hpp"
#include "salt/ops/ops.hpp"

namespace salt::backend {

struct simd : reference {
    static constexpr const char* name = "simd";
};

}  // namespace salt::backend

#include "salt/backend/simd/add.hpp"
#include "salt/backend/simd/batch_norm.hpp"
#include "salt/backend/simd/concat.hpp"
#include "salt/backend/simd/dropout.hpp"
#include "salt/backend/simd/conv2d.hpp"
#include "salt/backend/simd/gemm.hpp"
#include "salt/backend/simd/global_avg_pool.hpp"
#include "salt/backend/simd/max_pool.hpp"
#include "salt/backend/simd/relu.hpp"
#include "salt/backend/simd/resize_bilinear.hpp"
#include "salt/backend/simd/sigmoid.hpp"
