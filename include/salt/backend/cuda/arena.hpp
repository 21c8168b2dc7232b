// salt/backend/cuda/arena.hpp — the CUDA backend's caching allocator, as host logic over a Source
// (cudaMalloc/cudaFree on a GPU; the host tests use a counting fake):
//
//   Source::allocate(bytes) -> void* (nullptr when out of memory)    Source::free(void*)
//   Source::synchronize()   wait for all queued work (before blocks go back to the Source)
//
// Sizes are rounded to a size class (multiples of 512 bytes up to 1 MiB; above that, four classes
// per power of two, so at most 25% is wasted). A freed block goes to the free list of its class and
// is handed out again for the next request of that class, without a call to the Source: once a
// training step has run, every later step finds its blocks (parameters, workspace, the ops' scratch)
// in the cache, and no cudaMalloc or cudaFree happens inside a step.
//
// Stream order: all work of a device runs on its one stream, so a block freed after queueing the
// kernels that use it may be handed to the next request at once: whatever that request queues runs
// after those kernels. (A block must not be freed while work on another stream may still use it;
// the backend has no other stream.)
// When the Source runs out of memory, the cache is returned to it and the request retried once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace salt::backend::cuda {

struct ArenaStatistics {
    std::size_t source_allocations = 0;  // calls to Source::allocate that succeeded
    std::size_t source_frees = 0;
    std::size_t bytes_in_use = 0;        // in blocks handed out (rounded sizes)
    std::size_t bytes_cached = 0;        // in free blocks kept for reuse
    std::size_t peak_bytes = 0;          // largest bytes_in_use + bytes_cached so far
    std::size_t blocks_in_use = 0;
};

// The size class of a request (bytes > 0).
constexpr std::size_t arena_size_class(std::size_t bytes) {
    constexpr std::size_t kSmall = std::size_t(1) << 20, kGrain = 512;
    if (bytes <= kSmall) return (bytes + kGrain - 1) / kGrain * kGrain;
    std::size_t p = kSmall;
    while (p * 2 < bytes) p *= 2;  // p < bytes <= 2p
    const std::size_t step = p / 4;
    return (bytes + step - 1) / step * step;
}

template <class Source>
class CachingArena {
public:
    explicit CachingArena(Source s = Source{}) : source_(std::move(s)) {}
    CachingArena(const CachingArena&) = delete;
    CachingArena& operator=(const CachingArena&) = delete;
    ~CachingArena() { release_cached(); }

    void* allocate(std::size_t bytes) {
        if (bytes == 0) return nullptr;
        const std::size_t cls = arena_size_class(bytes);
        void* p = nullptr;
        auto it = free_.find(cls);
        if (it != free_.end()) {
            p = it->second;
            free_.erase(it);
            stats_.bytes_cached -= cls;
        } else {
            p = source_.allocate(cls);
            if (!p) {
                release_cached();
                p = source_.allocate(cls);
            }
            if (!p) throw std::bad_alloc();
            ++stats_.source_allocations;
        }
        live_.emplace(p, cls);
        stats_.bytes_in_use += cls;
        ++stats_.blocks_in_use;
        const std::size_t held = stats_.bytes_in_use + stats_.bytes_cached;
        if (held > stats_.peak_bytes) stats_.peak_bytes = held;
        return p;
    }

    // Returns p to the cache (no Source call). Unknown pointers are a logic error.
    void deallocate(void* p) {
        if (!p) return;
        const auto it = live_.find(p);
        if (it == live_.end()) throw std::logic_error("salt cuda arena: freeing a pointer it did not hand out");
        const std::size_t cls = it->second;
        live_.erase(it);
        free_.emplace(cls, p);
        stats_.bytes_in_use -= cls;
        stats_.bytes_cached += cls;
        --stats_.blocks_in_use;
    }

    // Gives every cached block back to the Source (the caller makes sure no queued work uses them).
    void release_cached() {
        if (!free_.empty()) source_.synchronize();
        for (auto& [cls, p] : free_) {
            source_.free(p);
            ++stats_.source_frees;
        }
        free_.clear();
        stats_.bytes_cached = 0;
    }

    // Also frees the blocks still handed out (the device is going away; nothing may use them).
    void release_all() {
        if (!live_.empty()) source_.synchronize();
        release_cached();
        for (auto& [p, cls] : live_) {
            source_.free(p);
            ++stats_.source_frees;
        }
        live_.clear();
        stats_.bytes_in_use = 0;
        stats_.blocks_in_use = 0;
    }

    const ArenaStatistics& statistics() const { return stats_; }
    Source& source() { return source_; }

private:
    Source source_;
    std::multimap<std::size_t, void*> free_;
    std::unordered_map<void*, std::size_t> live_;
    ArenaStatistics stats_;
};

}  // namespace salt::backend::cuda
