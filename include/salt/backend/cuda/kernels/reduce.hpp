// salt/backend/cuda/kernels/reduce.hpp — the deterministic two-phase reduction every per-channel
// (or per-image) sum of the CUDA backend goes through: batch-norm statistics and gradients, global
// average pooling, the conv bias gradient, the losses' sums and the mask statistics.
//
// The data is `segments` matrices of `rows` x `channels` (NHWC activations: rows = pixels; a map:
// one channel); the reduction wants K sums per (segment, channel), each of a value the source
// functor computes per element, in double.
//
//   phase 1 (ChannelPartials, one phase, grid-stride): work item (segment, tile, channel) sums the
//            values of rows [tile * kTileRows, +kTileRows) of its channel, in row order, into
//            partial[segment][k][tile][channel]. Threads with consecutive numbers take consecutive
//            channels of one row, so a warp reads contiguous memory.
//   phase 2 (ChannelCombine, one block per (segment, channel), kTreeLevels + 2 phases): 256
//            "lanes" each sum the tiles l, l + 256, l + 512, ... in order (phase 0), then a binary
//            tree adds lane l + s into lane l for s = 128, 64, ..., 1 (one phase per level), and
//            thread 0 hands the K totals to the finisher (last phase).
//
// The order of every addition depends only on the data's shape, never on the launch: the tile
// size and the 256 lanes are constants, and the block's real threads (any power of two) just share
// the lanes among them. So the result is the same bits for every block size, every grid size and
// every run (no atomics anywhere); tests/cuda_host checks this.
// The reference kernels sum in one sequential loop in double; the tree sums in double too, so the
// two differ by a few double roundings (relative ~1e-16 per sum), far below float resolution.
#pragma once

#include <cstddef>
#include <stdexcept>

#include "salt/backend/cuda/launch.hpp"
#include "salt/core/hd.hpp"

namespace salt::backend::cuda {

// Temporary device memory for one op, returned to the executor's arena when it goes out of scope
// (on a GPU stream-ordered: later work on the same stream may reuse it, earlier work has been
// queued before it).
template <class T, class Ex>
class Scratch {
public:
    Scratch(Ex& ex, std::size_t n) : ex_(&ex), p_(n ? static_cast<T*>(ex.acquire(n * sizeof(T))) : nullptr) {}
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() {
        if (p_) ex_->release(p_);
    }
    T* get() const { return p_; }

private:
    Ex* ex_;
    T* p_;
};
template <class T, class Ex>
Scratch<T, Ex> scratch(Ex& ex, std::size_t n) {
    return Scratch<T, Ex>(ex, n);
}

namespace kernels {

inline constexpr int kTileRows = 32;
inline constexpr int kTreeLanes = 256;
inline constexpr int kTreeLevels = 8;  // 2^8 = kTreeLanes
static_assert((1 << kTreeLevels) == kTreeLanes);

struct ReduceGeometry {
    int segments = 0;
    std::size_t rows = 0;
    int channels = 0;
    std::size_t tiles = 0;
    template <int K>
    SALT_HD std::size_t partial_index(int seg, int k, std::size_t tile, int c) const {
        return ((std::size_t(seg) * K + std::size_t(k)) * tiles + tile) * std::size_t(channels) + std::size_t(c);
    }
};

inline ReduceGeometry reduce_geometry(int segments, std::size_t rows, int channels) {
    if (segments <= 0 || rows == 0 || channels <= 0)
        throw std::invalid_argument("salt cuda: a reduction needs at least one segment, row and channel");
    return ReduceGeometry{segments, rows, channels, (rows + kTileRows - 1) / kTileRows};
}

// Phase 1. Src: SALT_HD void operator()(int segment, std::size_t row, int channel, double* values) const,
// writing the K values of one element.
template <class Src, int K>
struct ChannelPartials {
    Src src;
    ReduceGeometry g;
    double* partial;
    SALT_HD int phases() const { return 1; }
    SALT_HD void operator()(int, const ThreadIndex& t, unsigned char*) const {
        const std::size_t C = std::size_t(g.channels), per_segment = g.tiles * C;
        const std::size_t items = per_segment * std::size_t(g.segments);
        for (std::size_t w = t.global_x(); w < items; w += t.stride_x()) {
            const int seg = int(w / per_segment);
            const std::size_t r = w % per_segment, tile = r / C;
            const int c = int(r % C);
            double acc[K], v[K];
            for (int k = 0; k < K; ++k) acc[k] = 0.0;
            const std::size_t row0 = tile * kTileRows;
            const std::size_t row1 = row0 + kTileRows < g.rows ? row0 + kTileRows : g.rows;
            for (std::size_t row = row0; row < row1; ++row) {
                src(seg, row, c, v);
                for (int k = 0; k < K; ++k) acc[k] += v[k];
            }
            for (int k = 0; k < K; ++k) partial[g.template partial_index<K>(seg, k, tile, c)] = acc[k];
        }
    }
};

// Phase 2. Fin: SALT_HD void operator()(int segment, int channel, const double* sums) const.
template <class Fin, int K>
struct ChannelCombine {
    Fin fin;
    ReduceGeometry g;
    const double* partial;
    static constexpr std::size_t shared_bytes = sizeof(double) * K * kTreeLanes;
    SALT_HD int phases() const { return kTreeLevels + 2; }
    SALT_HD void operator()(int phase, const ThreadIndex& t, unsigned char* shared) const {
        double* lanes = reinterpret_cast<double*>(shared);  // lanes[k * kTreeLanes + lane]
        const std::size_t item = t.block_id();
        const int seg = int(item / std::size_t(g.channels)), c = int(item % std::size_t(g.channels));
        const std::size_t step = t.block_size();
        if (phase == 0) {
            for (std::size_t l = t.in_block(); l < std::size_t(kTreeLanes); l += step)
                for (int k = 0; k < K; ++k) {
                    double s = 0.0;
                    for (std::size_t tile = l; tile < g.tiles; tile += kTreeLanes)
                        s += partial[g.template partial_index<K>(seg, k, tile, c)];
                    lanes[k * kTreeLanes + l] = s;
                }
        } else if (phase <= kTreeLevels) {
            const std::size_t half = std::size_t(kTreeLanes) >> phase;
            for (std::size_t l = t.in_block(); l < half; l += step)
                for (int k = 0; k < K; ++k) lanes[k * kTreeLanes + l] += lanes[k * kTreeLanes + l + half];
        } else if (t.in_block() == 0) {
            double s[K];
            for (int k = 0; k < K; ++k) s[k] = lanes[k * kTreeLanes];
            fin(seg, c, s);
        }
    }
};

}  // namespace kernels

// Both phases: K sums per (segment, channel) of src's values, handed to fin. `name` names the op in
// launch errors.
template <int K, class Ex, class Src, class Fin>
void channel_sums(Ex& ex, const char* name, int segments, std::size_t rows, int channels, const Src& src,
                  const Fin& fin) {
    using namespace kernels;
    const ReduceGeometry g = reduce_geometry(segments, rows, channels);
    auto partial = scratch<double>(ex, std::size_t(segments) * K * g.tiles * std::size_t(channels));
    const std::size_t items = std::size_t(segments) * g.tiles * std::size_t(channels);
    ex.launch(name, grid_stride_shape(items, ex.tuning()), ChannelPartials<Src, K>{src, g, partial.get()});
    ex.launch(name, block_per_item_shape(std::size_t(segments) * std::size_t(channels), ex.tuning(),
                                         ChannelCombine<Fin, K>::shared_bytes),
              ChannelCombine<Fin, K>{fin, g, partial.get()});
}

}  // namespace salt::backend::cuda
