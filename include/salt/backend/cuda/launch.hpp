// salt/backend/cuda/launch.hpp — how a custom kernel of the CUDA backend is described and launched,
// on a GPU or, without one, by emulation on the host.
//
// A kernel is a small trivially copyable struct K (its fields are the kernel's arguments) with
//
//   SALT_HD int phases() const;                                     how many barrier-separated phases
//   SALT_HD void operator()(int phase, const ThreadIndex&, unsigned char* shared) const;
//
// Thread t of block b runs phase 0, then every thread of the block waits (a __syncthreads() on the
// GPU), then phase 1, and so on. `shared` is the block's shared memory (LaunchShape::shared_bytes).
// Everything a thread does is a function of its indices and the kernel's fields, written once as
// SALT_HD code, so the same struct runs
//
//   * on the GPU through salt_kernel<K><<<grid, block, shared, stream>>>(k) (cuda_impl.cuh: the
//     trampoline loops over the phases with a barrier between them), and
//   * on the host through emulate(shape, k) below: for every block, for every phase, for every
//     thread. Running a phase for all threads of a block before starting the next is exactly what
//     the barrier guarantees, so a kernel whose threads only communicate across phases computes the
//     same thing both ways. What the emulation cannot show is a race inside one phase (two threads
//     of a phase writing one location, or one reading what another writes); emulate() can run the
//     blocks and threads in reverse order, and the host tests compare both orders bit for bit, which
//     exposes such a dependence.
// Kernels never use warp shuffles, atomics or cooperative groups: shared memory and the phase
// barrier are the only means of communication, which keeps every kernel emulable.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/core/hd.hpp"

namespace salt::backend::cuda {

// A grid or block extent (CUDA's dim3 without the CUDA headers).
struct Extent {
    unsigned x = 1, y = 1, z = 1;
    SALT_HD constexpr std::size_t count() const { return std::size_t(x) * y * z; }
};

struct LaunchShape {
    Extent grid, block;
    std::size_t shared_bytes = 0;
};

// What a thread knows about itself (blockIdx, threadIdx, gridDim, blockDim).
struct ThreadIndex {
    Extent block, thread, grid_dim, block_dim;
    // The thread's number inside its block and the block's size.
    SALT_HD std::size_t in_block() const {
        return thread.x + std::size_t(block_dim.x) * (thread.y + std::size_t(block_dim.y) * thread.z);
    }
    SALT_HD std::size_t block_size() const { return block_dim.count(); }
    // The block's number in the grid.
    SALT_HD std::size_t block_id() const {
        return block.x + std::size_t(grid_dim.x) * (block.y + std::size_t(grid_dim.y) * block.z);
    }
    // One-dimensional grids: the global thread number and the grid-stride loop's step.
    SALT_HD std::size_t global_x() const { return std::size_t(block.x) * block_dim.x + thread.x; }
    SALT_HD std::size_t stride_x() const { return std::size_t(grid_dim.x) * block_dim.x; }
};

// The launch parameters a device chooses (and a test varies: every result must be the same for any
// of them, see the determinism tests).
struct Tuning {
    unsigned threads = 256;      // threads per block of the grid-stride and tree kernels
    unsigned max_blocks = 65535; // grid-stride kernels use at most this many blocks
};

inline void check_tuning(const Tuning& t) {
    if (t.threads == 0 || t.threads > 1024 || (t.threads & (t.threads - 1)) != 0)
        throw std::invalid_argument("salt cuda: threads per block must be a power of two in [1, 1024], got " +
                                    std::to_string(t.threads));
    if (t.max_blocks == 0) throw std::invalid_argument("salt cuda: max_blocks must be positive");
}

// A one-dimensional grid for a grid-stride loop over n items.
inline LaunchShape grid_stride_shape(std::size_t n, const Tuning& t) {
    std::size_t blocks = (n + t.threads - 1) / t.threads;
    if (blocks < 1) blocks = 1;
    if (blocks > t.max_blocks) blocks = t.max_blocks;
    return LaunchShape{Extent{unsigned(blocks), 1, 1}, Extent{t.threads, 1, 1}, 0};
}

// One block per item (the tree reductions), `shared` bytes of shared memory each.
inline LaunchShape block_per_item_shape(std::size_t items, const Tuning& t, std::size_t shared) {
    if (items > 0x7fffffffu) throw std::length_error("salt cuda: more than 2^31 - 1 blocks in one launch");
    return LaunchShape{Extent{unsigned(items), 1, 1}, Extent{t.threads, 1, 1}, shared};
}

// The per-item work f(i) of an element-wise kernel, for every i in [0, n), by a grid-stride loop:
// thread g handles g, g + stride, g + 2 stride, ... (coalesced on the GPU; any grid size covers n).
template <class F>
struct ForEach {
    F f;
    std::size_t n;
    SALT_HD int phases() const { return 1; }
    SALT_HD void operator()(int, const ThreadIndex& t, unsigned char*) const {
        for (std::size_t i = t.global_x(); i < n; i += t.stride_x()) f(i);
    }
};
template <class F>
ForEach<F> for_each(std::size_t n, F f) {
    return ForEach<F>{f, n};
}

// ---- host emulation ---------------------------------------------------------------------------

enum class EmulationOrder { forward, reverse };

// Runs kernel k over the whole grid on the calling thread: blocks one after the other; inside a
// block, phase by phase, every thread of the phase before the next phase starts. The block's shared
// memory is refilled for every block with a byte that changes from launch to launch (it is
// uninitialised on a GPU: a kernel that reads shared memory before writing it then gives different
// results on two runs, which the determinism tests compare), and a guard after it must be intact
// when the block ends (a kernel writing past its shared_bytes throws).
template <class K>
void emulate(const LaunchShape& s, const K& k, EmulationOrder order = EmulationOrder::forward) {
    constexpr std::size_t kGuard = 64;
    constexpr unsigned char kGuardByte = 0x5A;
    static std::atomic<unsigned> launches{0};  // the fill pattern's seed
    const unsigned char kFill = static_cast<unsigned char>(0x11 + 0x3B * (launches++ % 5));
    // double-aligned storage, as the GPU's dynamic shared memory is (at least 16 bytes)
    std::vector<double> storage((s.shared_bytes + kGuard + sizeof(double) - 1) / sizeof(double) + 1);
    unsigned char* shared = reinterpret_cast<unsigned char*>(storage.data());
    const std::size_t blocks = s.grid.count(), threads = s.block.count();
    if (blocks == 0 || threads == 0) throw std::invalid_argument("salt cuda emulate: empty grid or block");
    ThreadIndex ix;
    ix.grid_dim = s.grid;
    ix.block_dim = s.block;
    for (std::size_t bi = 0; bi < blocks; ++bi) {
        const std::size_t b = order == EmulationOrder::forward ? bi : blocks - 1 - bi;
        ix.block = Extent{unsigned(b % s.grid.x), unsigned(b / s.grid.x % s.grid.y), unsigned(b / s.grid.x / s.grid.y)};
        std::memset(shared, kFill, s.shared_bytes);
        std::memset(shared + s.shared_bytes, kGuardByte, kGuard);
        const int phases = k.phases();
        for (int p = 0; p < phases; ++p)
            for (std::size_t ti = 0; ti < threads; ++ti) {
                const std::size_t t = order == EmulationOrder::forward ? ti : threads - 1 - ti;
                ix.thread = Extent{unsigned(t % s.block.x), unsigned(t / s.block.x % s.block.y),
                                   unsigned(t / s.block.x / s.block.y)};
                k(p, ix, shared);
            }
        for (std::size_t i = 0; i < kGuard; ++i)
            if (shared[s.shared_bytes + i] != kGuardByte)
                throw std::logic_error("salt cuda emulate: a kernel wrote past its " + std::to_string(s.shared_bytes) +
                                       " bytes of shared memory");
    }
}

}  // namespace salt::backend::cuda
