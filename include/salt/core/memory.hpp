// salt/core/memory.hpp — where tensor storage comes from: always the backend's allocator, reached
// through the backend's device (salt/core/backend.hpp), never malloc or new in the core.
//
// A Block is one allocation; a Workspace is a bump arena carved from one Block. A layer stack
// computes the bytes it needs up front (constexpr when the batch is known), so a training step
// allocates nothing. Neither type ever reads or writes the memory it manages: moving a tensor
// inside a workspace, or zeroing a buffer, is a call to the backend.
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

// Aligned host memory (64 bytes); what the CPU backends hand out. Failure throws std::bad_alloc.
inline void* host_allocate(std::size_t bytes) {
    if (bytes == 0) return nullptr;
    void* p = std::aligned_alloc(kAlignment, align_up(bytes));
    if (!p) throw std::bad_alloc();
    return p;
}
inline void host_deallocate(void* p) noexcept { std::free(p); }

// An owning, untyped block of backend memory. It remembers its device, which must outlive it.
template <class B>
class Block {
public:
    using device_type = typename B::device;
    Block() = default;
    Block(device_type& dev, std::size_t bytes) : dev_(&dev), data_(bytes ? B::allocate(dev, bytes) : nullptr), bytes_(bytes) {}
    Block(const Block&) = delete;
    Block& operator=(const Block&) = delete;
    Block(Block&& o) noexcept
        : dev_(o.dev_), data_(std::exchange(o.data_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
    Block& operator=(Block&& o) noexcept {
        if (this != &o) {
            free();
            dev_ = o.dev_;
            data_ = std::exchange(o.data_, nullptr);
            bytes_ = std::exchange(o.bytes_, 0);
        }
        return *this;
    }
    ~Block() { free(); }

    void* data() const { return data_; }
    std::size_t bytes() const { return bytes_; }
    device_type* device() const { return dev_; }

private:
    void free() noexcept {
        if (data_) B::deallocate(*dev_, data_);
        data_ = nullptr;
    }
    device_type* dev_ = nullptr;
    void* data_ = nullptr;
    std::size_t bytes_ = 0;
};

// Bump allocator over one Block. `take<T>(n)` hands out 64-byte aligned slices; `mark()`/`release()`
// free everything taken after a mark (stack discipline: activations kept for backward are taken
// first, scratch after). Running out is a logic error in the size computation, so it throws with
// both numbers rather than allocating behind the caller's back.
template <class B>
class Workspace {
public:
    using device_type = typename B::device;
    Workspace() = default;
    Workspace(device_type& dev, std::size_t bytes) : block_(dev, bytes) {}

    device_type& device() const { return *block_.device(); }

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
    // not in this workspace at all, such as a caller's buffer). Compares addresses only.
    bool below(const void* p, std::size_t mark) const {
        const auto base = reinterpret_cast<std::uintptr_t>(block_.data());
        const auto q = reinterpret_cast<std::uintptr_t>(p);
        return !(q >= base + mark && q < base + block_.bytes());
    }
    void release(std::size_t mark) { used_ = mark; }
    void reset() { used_ = 0; }
    void reset_high_water() { high_water_ = used_; }

    std::size_t capacity() const { return block_.bytes(); }
    std::size_t used() const { return used_; }
    std::size_t high_water() const { return high_water_; }

private:
    Block<B> block_;
    std::size_t used_ = 0;
    std::size_t high_water_ = 0;
};

}  // namespace salt
