// examples/salt/compiled_model_cuda.hpp — what a models/cuda_*.cpp needs to instantiate a
// configuration on the CUDA backend: backend::Cuda's declarations (plain C++, salt/backend/cuda/
// cuda.hpp) and how --device cuda:N / --tf32 become its options. These translation units are compiled
// by the host compiler like the CPU ones; the kernels and the cuDNN calls are in the salt::cuda
// library (one nvcc unit) that the tool links in builds with SALT_CUDA.
#pragma once

#include "salt/backend/cuda/cuda.hpp"
#include "compiled_model_impl.hpp"

namespace salt::cli {

template <>
struct CliBackend<backend::Cuda> {
    static constexpr DeviceKind kind = DeviceKind::cuda;
    // bf16 stays off: the CUDA backend does not implement it (run_options() rejects --bf16 with CUDA).
    static backend::Cuda::options options(const RunOptions& ro) {
        return {.device = ro.cuda_index, .tf32 = ro.tf32, .bf16 = false};
    }
};

}  // namespace salt::cli
