// salt/backend/cuda/emulate.hpp — the host executor: what the CUDA backend's op drivers (kernels/*.hpp)
// run on when there is no GPU. The drivers are templates on an executor Ex providing
//
//   const Tuning& tuning()                          launch parameters
//   launch(name, LaunchShape, kernel)               run a kernel over a grid (launch.hpp)
//   void* acquire(bytes) / release(void*)           temporary device memory (Scratch in reduce.hpp)
//   to_host(dst, src, bytes)                        device -> host copy, complete on return
//   to_device(dst, src, bytes)                      host -> device copy
//   zero(p, bytes)                                  device memset
//   sort_descending(keys_in, keys_out, idx_in, idx_out, segments, segment_size)
//                                                   stable segmented sort of (double, uint32) pairs
//                                                   by key, descending
//
// The GPU executor (cuda_impl.cuh) launches the kernels on the device's stream and sorts with CUB.
// This one emulates every launch on the calling thread (launch.hpp: emulate) over host memory, and
// sorts with std::stable_sort: the same comparator CUB's stable radix sort realises (keys
// descending, equal keys in input order; the errors sorted are never -0.0 or NaN, the two values a
// radix sort orders differently from operator<).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>
#include <vector>

#include "salt/backend/cuda/launch.hpp"

namespace salt::backend::cuda {

class HostExecutor {
public:
    explicit HostExecutor(Tuning t = {}, EmulationOrder order = EmulationOrder::forward) : tuning_(t), order_(order) {
        check_tuning(t);
    }

    const Tuning& tuning() const { return tuning_; }
    EmulationOrder order() const { return order_; }
    void set(Tuning t, EmulationOrder order) {
        check_tuning(t);
        tuning_ = t;
        order_ = order;
    }

    template <class K>
    void launch(const char*, const LaunchShape& s, const K& k) {
        ++launches_;
        emulate(s, k, order_);
    }

    // Scratch comes back filled with 0xFF bytes (a NaN in every double and float lane): a kernel
    // that reads scratch it never wrote shows up as NaN in the results.
    void* acquire(std::size_t bytes) {
        void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
        if (!p) throw std::bad_alloc();
        std::memset(p, 0xFF, bytes);
        ++live_scratch_;
        return p;
    }
    void release(void* p) {
        std::free(p);
        --live_scratch_;
    }

    void to_host(void* dst, const void* src, std::size_t bytes) {
        if (bytes) std::memcpy(dst, src, bytes);
    }
    void to_device(void* dst, const void* src, std::size_t bytes) {
        if (bytes) std::memcpy(dst, src, bytes);
    }
    void zero(void* p, std::size_t bytes) {
        if (bytes) std::memset(p, 0, bytes);
    }

    void sort_descending(const double* keys_in, double* keys_out, const std::uint32_t* idx_in, std::uint32_t* idx_out,
                         int segments, std::size_t segment_size) {
        std::vector<std::size_t> perm(segment_size);
        for (int s = 0; s < segments; ++s) {
            const std::size_t base = std::size_t(s) * segment_size;
            std::iota(perm.begin(), perm.end(), std::size_t(0));
            std::stable_sort(perm.begin(), perm.end(),
                             [&](std::size_t a, std::size_t b) { return keys_in[base + a] > keys_in[base + b]; });
            for (std::size_t r = 0; r < segment_size; ++r) {
                keys_out[base + r] = keys_in[base + perm[r]];
                idx_out[base + r] = idx_in[base + perm[r]];
            }
        }
    }

    long launches() const { return launches_; }
    long live_scratch() const { return live_scratch_; }

private:
    Tuning tuning_;
    EmulationOrder order_;
    long launches_ = 0;
    long live_scratch_ = 0;
};

}  // namespace salt::backend::cuda
