// tests/device_emulation/guarded_backend.hpp — a backend whose memory the host cannot touch: the
// proof, on a machine without a GPU, that nothing outside salt/backend/ reads or writes tensor
// memory directly.
//
// Guarded<Inner> runs Inner's kernels (the simd backend's), but every allocation is its own set of
// pages mapped PROT_NONE. The pages are opened (PROT_READ | PROT_WRITE) only for the duration of one
// of this backend's own calls — an op, a copy, a fill — and closed again before it returns. Any
// other access from the host (a layer filling a buffer, a loss reading logits, a loader writing
// weights) is a segmentation fault, which the test reports as a crash. Because the kernels are the
// simd backend's, with the same thread count, every result must equal the simd backend's bit for
// bit; the tests check that too.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "salt/core/backend.hpp"

namespace salt::test {

template <class Inner>
struct Guarded {
    static constexpr const char* name = "guarded";
    static constexpr bool host_accessible = false;
    static constexpr WeightLayout conv_weight_layout = Inner::conv_weight_layout;
    template <class T>
    static constexpr bool supports = Inner::template supports<T>;
    static constexpr OpSet ops = Inner::ops;
    using options = typename Inner::options;

    class device {
    public:
        using backend = Guarded;
        device() = default;
        explicit device(options o) : inner(o) {}
        device(const device&) = delete;
        device& operator=(const device&) = delete;
        ~device() {
            for (auto& [p, n] : regions_) ::munmap(p, n);
        }

        typename Inner::device inner;

        // Every region readable and writable while a backend call runs (calls nest: a copy inside
        // an op opens nothing new), and no access otherwise.
        void open() {
            if (depth_++ == 0) protect(PROT_READ | PROT_WRITE);
        }
        void close() {
            if (--depth_ == 0) protect(PROT_NONE);
        }
        // Regions are 2 MiB aligned and sized and backed by transparent huge pages where the kernel
        // offers them: mprotect's cost grows with the page-table entries it rewrites, and a guarded
        // model flips every region twice per op.
        void* map(std::size_t bytes) {
            const std::size_t n = round(bytes);
            void* raw = ::mmap(nullptr, n + kHuge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (raw == MAP_FAILED) throw std::bad_alloc();
            const auto r = reinterpret_cast<std::uintptr_t>(raw);
            const std::uintptr_t a = (r + kHuge - 1) / kHuge * kHuge;
            if (a > r) ::munmap(raw, a - r);
            if (a + n < r + n + kHuge) ::munmap(reinterpret_cast<void*>(a + n), r + n + kHuge - (a + n));
            void* p = reinterpret_cast<void*>(a);
            ::madvise(p, n, MADV_HUGEPAGE);
            regions_[p] = n;
            if (depth_ > 0) ::mprotect(p, n, PROT_READ | PROT_WRITE);
            ++allocations_;
            return p;
        }
        void unmap(void* p) noexcept {
            const auto it = regions_.find(p);
            if (it == regions_.end()) return;
            ::munmap(it->first, it->second);
            regions_.erase(it);
        }
        std::size_t live_regions() const { return regions_.size(); }
        std::size_t allocations() const { return allocations_; }
        long calls() const { return calls_; }
        void count_call() { ++calls_; }

    private:
        static constexpr std::size_t kHuge = std::size_t(2) << 20;
        static std::size_t round(std::size_t bytes) { return (std::max<std::size_t>(bytes, 1) + kHuge - 1) / kHuge * kHuge; }
        void protect(int prot) {
            for (auto& [p, n] : regions_)
                if (::mprotect(p, n, prot) != 0) throw std::runtime_error("guarded backend: mprotect failed");
        }
        std::map<void*, std::size_t> regions_;
        int depth_ = 0;
        std::size_t allocations_ = 0;
        long calls_ = 0;
    };

    // Opens the pages for the scope of one backend call.
    struct Open {
        device& d;
        explicit Open(device& dd) : d(dd) {
            d.open();
            d.count_call();
        }
        ~Open() { d.close(); }
    };

    static void* allocate(device& d, std::size_t bytes) { return bytes ? d.map(bytes) : nullptr; }
    static void deallocate(device& d, void* p) noexcept { d.unmap(p); }
    static void copy_to_device(device& d, void* dst, const void* src, std::size_t bytes) {
        Open o(d);
        Inner::copy_to_device(d.inner, dst, src, bytes);
    }
    static void copy_to_host(device& d, void* dst, const void* src, std::size_t bytes) {
        Open o(d);
        Inner::copy_to_host(d.inner, dst, src, bytes);
    }
    static void copy(device& d, void* dst, const void* src, std::size_t bytes) {
        Open o(d);
        Inner::copy(d.inner, dst, src, bytes);
    }
    static void fill_zero(device& d, void* p, std::size_t bytes) {
        Open o(d);
        Inner::fill_zero(d.inner, p, bytes);
    }
    template <class T>
    static void fill(device& d, T* p, std::size_t n, T value) {
        Open o(d);
        Inner::fill(d.inner, p, n, value);
    }
    static void synchronize(device& d) { Inner::synchronize(d.inner); }

    template <Op O, class... A>
    static decltype(auto) run(op_t<O> op, device& d, A&&... a) {
        Open o(d);
        return Inner::run(op, d.inner, std::forward<A>(a)...);
    }
};

}  // namespace salt::test
