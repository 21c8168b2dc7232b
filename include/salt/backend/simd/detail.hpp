// salt/backend/simd/detail.hpp — helpers shared by the simd backend's element-wise and reduction
// kernels: thread-count policy, parallel loops, partial vector loads and per-channel sums.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include <omp.h>
#include <xsimd/xsimd.hpp>

#include "salt/backend/simd/blocking.hpp"
#include "salt/backend/simd/device.hpp"

namespace salt::backend::simd {

// Threads for a loop touching `work` elements: all of the device's for large loops, one for small
// ones (the fork costs more than it saves) and inside an enclosing parallel region (no nesting, no
// oversubscription).
inline int threads_for(const Device& dev, std::size_t work) {
    if (omp_in_parallel()) return 1;
    return work >= (std::size_t(1) << 15) ? dev.threads() : 1;
}

// f(i) for i in [0, n), statically scheduled (the same i on the same thread, run to run).
template <class F>
void parallel_for(const Device& dev, int n, std::size_t work, F&& f) {
    const int threads = std::min(threads_for(dev, work), std::max(n, 1));
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int i = 0; i < n; ++i) f(i);
}

// f(begin, end) over [0, n) split into one contiguous, lane-aligned piece per thread.
template <class F>
void parallel_range(const Device& dev, std::size_t n, F&& f) {
    const int threads = threads_for(dev, n);
    if (threads <= 1) {
        f(std::size_t(0), n);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        const std::size_t t = std::size_t(omp_get_thread_num()), nt = std::size_t(omp_get_num_threads());
        const std::size_t units = (n + kLanes - 1) / kLanes;
        const std::size_t b = std::min(n, units * t / nt * kLanes), e = std::min(n, units * (t + 1) / nt * kLanes);
        if (b < e) f(b, e);
    }
}

inline vfloat load_n(const float* p, int n) {
    alignas(64) float t[kLanes] = {};
    for (int i = 0; i < n; ++i) t[i] = p[i];
    return vfloat::load_aligned(t);
}
inline void store_n(float* p, const vfloat& v, int n) {
    alignas(64) float t[kLanes];
    v.store_aligned(t);
    for (int i = 0; i < n; ++i) p[i] = t[i];
}
// Loads/stores lanes [c0, c0 + min(kLanes, C - c0)).
inline vfloat load_c(const float* p, int c0, int C) {
    return c0 + kLanes <= C ? vfloat::load_unaligned(p + c0) : load_n(p + c0, C - c0);
}
inline void store_c(float* p, const vfloat& v, int c0, int C) {
    if (c0 + kLanes <= C) v.store_unaligned(p + c0);
    else store_n(p + c0, v, C - c0);
}


// Sums over rows [0, m) of f(row, c0) (a vfloat of lanes c0..c0+kLanes) into out[0..kLanes), in
// double: blocks of 64 rows summed in float, the block sums added in double. Fixed order.
template <class F>
inline void column_sum(std::size_t m, F&& f, double* out) {
    for (int j = 0; j < kLanes; ++j) out[j] = 0.0;
    alignas(64) float t[kLanes];
    for (std::size_t r0 = 0; r0 < m; r0 += 64) {
        const std::size_t r1 = std::min(m, r0 + 64);
        vfloat acc(0.f);
        for (std::size_t r = r0; r < r1; ++r) acc += f(r);
        acc.store_aligned(t);
        for (int j = 0; j < kLanes; ++j) out[j] += double(t[j]);
    }
}

}  // namespace salt::backend::simd
