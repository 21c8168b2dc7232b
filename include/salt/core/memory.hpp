// salt/core/memory.hpp — where tensor storage comes from.
//
// Layers never allocate raw memory: they ask their backend's `memory` policy, which for the CPU
// backends is aligned host memory and for the CUDA backend (later) device memory. A Workspace is a
// bump arena carved from one such allocation; a layer stack computes the bytes it needs up front
// (constexpr when the batch is known), so a training step allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "salt/core/shape.hpp"

namespace salt {

// Aligned host memory (64 bytes). Allocation failure throws std::bad_alloc.
struct host_memory {
    static constexpr bool is_host = true;
    static void* allocate(std::size_t bytes) {
        if (bytes == 0) return nullptr;
        void* p = std::aligned_alloc(kAlignment, align_up(bytes));
        if (!p) throw std::bad_alloc();
        return p;
    }
    static void deallocate(void* p) noexcept { std::free(p); }
};

// An owning, aligned, untyped block obtained from a memory policy.
template <class Memory>
class Block {
public:
    Block() = default;
    explicit Block(std::size_t bytes) : data_(Memory::allocate(bytes)), bytes_(bytes) {}
    Block(const Block&) = delete;
    Block& operator=(const Block&) = delete;
    Block(Block&& o) noexcept : data_(std::exchange(o.data_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
    Block& operator=(Block&& o) noexcept {
        if (this != &o) {
            Memory::deallocate(data_);
            data_ = std::exchange(o.data_, nullptr);
            bytes_ = std::exchange(o.bytes_, 0);
        }
        return *this;
    }
    ~Block() { Memory::deallocate(data_); }

    void* data() const { return data_; }
    std::size_t bytes() const { return bytes_; }

private:
    void* data_ = nullptr;
    std::size_t bytes_ = 0;
};

// Bump allocator over one Block. `take<T>(n)` hands out 64-byte aligned slices; `mark()`/`release()`
// free everything taken after a mark (stack discipline: activations kept for backward are taken
// first, scratch after). Running out is a logic error in the size computation, so it throws with
// both numbers rather than allocating behind the caller's back.
template <class Memory>
class Workspace {
public:
    Workspace() = default;
    explicit Workspace(std::size_t bytes) : block_(bytes) {}

    template <class T>
    T* take(std::size_t count) {
        const std::size_t need = aligned_bytes<T>(count);
        if (used_ + need > block_.bytes()) {
            throw std::length_error("salt::Workspace: needs " + std::to_string(used_ + need) +
                                    " bytes, the workspace has " + std::to_string(block_.bytes()) +
                                    " (the workspace size computation is wrong)");
        }
        T* p = reinterpret_cast<T*>(static_cast<std::byte*>(block_.data()) + used_);
        used_ += need;
        if (used_ > high_water_) high_water_ = used_;
        return p;
    }

    std::size_t mark() const { return used_; }
    // Whether p points below a mark, i.e. into memory that was taken before the mark (or that is
    // not in this workspace at all, such as a caller's buffer).
    bool below(const void* p, std::size_t mark) const {
        const auto* base = static_cast<const std::byte*>(block_.data());
        const auto* q = static_cast<const std::byte*>(p);
        return !(q >= base + mark && q < base + block_.bytes());
    }
    void release(std::size_t mark) { used_ = mark; }
    void reset() { used_ = 0; }

    std::size_t capacity() const { return block_.bytes(); }
    std::size_t used() const { return used_; }
    std::size_t high_water() const { return high_water_; }

private:
    Block<Memory> block_;
    std::size_t used_ = 0;
    std::size_t high_water_ = 0;
};

}  // namespace salt
