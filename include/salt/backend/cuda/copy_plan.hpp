// salt/backend/cuda/copy_plan.hpp — how the CUDA backend's copy() moves bytes between two ranges of
// device memory that may overlap (the backend concept's copy is memmove; cudaMemcpy* on overlapping
// ranges is undefined).
//
// Disjoint ranges: one copy. Overlapping ranges whose start addresses are d bytes apart: copies of
// at most d bytes, front to back when the destination is below the source (each chunk's source lies
// above everything written so far) and back to front otherwise; each chunk's own source and
// destination are disjoint, and the copies run in stream order. When that would take more than
// kMaxChunks copies (a small shift of a large range), the bytes go through a scratch buffer
// instead (two disjoint copies). Plain host arithmetic, tested in tests/cuda_host.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace salt::backend::cuda {

struct CopyChunk {
    std::size_t dst_offset, src_offset, bytes;  // relative to dst and src
};
struct CopyPlan {
    bool via_scratch = false;        // copy src -> scratch, then scratch -> dst
    std::vector<CopyChunk> chunks;  // otherwise these copies, in order
};

inline constexpr std::size_t kMaxChunks = 16;

inline CopyPlan plan_copy(const void* dst, const void* src, std::size_t bytes) {
    CopyPlan plan;
    const auto d = reinterpret_cast<std::uintptr_t>(dst), s = reinterpret_cast<std::uintptr_t>(src);
    if (bytes == 0 || d == s) return plan;
    const std::size_t gap = d > s ? d - s : s - d;
    if (gap >= bytes) {
        plan.chunks.push_back({0, 0, bytes});
        return plan;
    }
    const std::size_t n = (bytes + gap - 1) / gap;
    if (n > kMaxChunks) {
        plan.via_scratch = true;
        return plan;
    }
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t len = k + 1 < n ? gap : bytes - gap * (n - 1);
        if (d < s) {
            plan.chunks.push_back({k * gap, k * gap, len});  // front to back
        } else {
            const std::size_t off = bytes - gap * k - len;  // back to front
            plan.chunks.push_back({off, off, len});
        }
    }
    return plan;
}

}  // namespace salt::backend::cuda
