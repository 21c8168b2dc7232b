// salt/backend/simd/device.hpp — the simd backend's execution context: how many threads its
// kernels use, whether its GEMMs run in bf16, and the per-thread packing and scratch buffers. All
// of it belongs to one Device (a model owns one), so nothing is process-wide: two models can run
// with different settings, and a test that changes one cannot leak the change into the next.
//
// A Device is used by one host thread at a time (like a CUDA stream); its kernels fork their own
// OpenMP team of `threads()` threads, and thread t of that team uses buffer slot t.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <array>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <omp.h>

#include "salt/backend/simd/blocking.hpp"

namespace salt::backend {
struct Simd;
}

namespace salt::backend::simd {

struct Options {
    int threads = 0;    // 0: omp_get_max_threads() (so OMP_NUM_THREADS rules)
    bool bf16 = false;  // GEMMs with bf16 operands and fp32 sums (AVX512_BF16 builds only)
    // Forward 3x3 convolutions by Winograd's F(2x2, 3x3) where the rule in winograd.hpp says it
    // pays (fp32 only; not with bf16). Off by default until the model-level figures decide.
    bool winograd = false;
};

// One aligned allocation freed on destruction.
struct AlignedBuffer {
    void* p = nullptr;
    explicit AlignedBuffer(std::size_t bytes) : p(std::aligned_alloc(64, bytes)) {
        if (!p) throw std::bad_alloc();
    }
    ~AlignedBuffer() { std::free(p); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
};

// Packing buffers of one thread (fp32, and bf16 pair rows when bf16 is used).
struct PackBuffers {
    AlignedBuffer a_{kPackABytes}, b_{kPackBBytes};
    float* a = static_cast<float*>(a_.p);
    float* b = static_cast<float*>(b_.p);
};
struct PackBuffersBf16 {
    AlignedBuffer a_{kPackABf16Bytes}, b_{kPackBBf16Bytes};
    std::uint32_t* a = static_cast<std::uint32_t*>(a_.p);
    std::uint32_t* b = static_cast<std::uint32_t*>(b_.p);
};

class Device {
public:
    using backend = salt::backend::Simd;
    // Slots 0-3: per-channel tables of the element-wise and batch-norm kernels; 4-6: the Winograd
    // convolution's transformed filter, input tiles and tile products (winograd.hpp).
    static constexpr int kScratchSlots = 7;

    explicit Device(Options o = {}) {
        set_threads(o.threads);
        set_bf16(o.bf16);
        winograd_ = o.winograd;
    }
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    int threads() const { return threads_; }
    // 0 means omp_get_max_threads().
    void set_threads(int n) {
        if (n < 0) throw std::invalid_argument("simd device: the thread count must be >= 0, got " + std::to_string(n));
        threads_ = n == 0 ? omp_get_max_threads() : n;
        const std::size_t slots = std::size_t(std::max(threads_, omp_get_max_threads()));
        if (pack_.size() < slots) {
            pack_.resize(slots);
            pack_bf16_.resize(slots);
            scratch_.resize(slots);
        }
    }

    static constexpr bool bf16_available() { return kHaveBf16Gemm; }
    bool bf16() const { return kHaveBf16Gemm && bf16_; }
    bool winograd() const { return winograd_; }
    void set_winograd(bool on) { winograd_ = on; }
    // Throws std::invalid_argument when asked for bf16 on a target built without AVX512_BF16.
    void set_bf16(bool on) {
        if (on && !kHaveBf16Gemm)
            throw std::invalid_argument(
                "the bf16 GEMM needs AVX512_BF16 and AVX512BW at compile time (e.g. -march=native on a CPU that has "
                "them, or -march=sapphirerapids / znver4); this build has neither");
        bf16_ = on;
    }

    // The calling thread's slot: its number in the running team (0 outside a parallel region).
    std::size_t slot() const {
        const std::size_t t = std::size_t(omp_get_thread_num());
        if (t >= pack_.size())
            throw std::logic_error("simd device: called from thread " + std::to_string(t) + " of a team larger than the " +
                                   std::to_string(pack_.size()) + " slots this device has");
        return t;
    }
    // Packing buffers of the calling thread, allocated on its first GEMM and kept.
    PackBuffers& pack() {
        auto& p = pack_[slot()];
        if (!p) p = std::make_unique<PackBuffers>();
        return *p;
    }
    PackBuffersBf16& pack_bf16() {
        auto& p = pack_bf16_[slot()];
        if (!p) p = std::make_unique<PackBuffersBf16>();
        return *p;
    }
    // A scratch array of at least n elements of a trivial type U for the calling thread (slot
    // `which`), grown (never shrunk) on demand: kernels that need per-channel temporaries or tables
    // allocate only when they meet a wider layer.
    template <class U = float>
    U* scratch(std::size_t n, int which = 0) {
        static_assert(std::is_trivially_copyable_v<U> && alignof(U) <= 64);
        auto& s = scratch_[slot()][std::size_t(which)];
        const std::size_t bytes = align_up(std::max<std::size_t>(n, 1) * sizeof(U));
        if (s.bytes < bytes) {
            s.buf = std::make_unique<AlignedBuffer>(bytes);
            s.bytes = bytes;
        }
        return static_cast<U*>(s.buf->p);
    }

private:
    int threads_ = 1;
    bool bf16_ = false;
    bool winograd_ = false;
    std::vector<std::unique_ptr<PackBuffers>> pack_;
    std::vector<std::unique_ptr<PackBuffersBf16>> pack_bf16_;
    struct Scratch {
        std::unique_ptr<AlignedBuffer> buf;
        std::size_t bytes = 0;
    };
    std::vector<std::array<Scratch, kScratchSlots>> scratch_;
};

}  // namespace salt::backend::simd
