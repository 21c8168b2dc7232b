// salt/core/hd.hpp — SALT_HD marks a function that runs both on the host and in a CUDA kernel (the
// per-element work of an op, written once: the CPU loop and the GPU thread call the same
// function). It is `__host__ __device__` under nvcc and nothing elsewhere, so the core and the
// host-side tests compile with any C++20 compiler.
#pragma once

#if defined(__CUDACC__)
#define SALT_HD __host__ __device__
#else
#define SALT_HD
#endif
