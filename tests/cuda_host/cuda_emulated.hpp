// tests/cuda_host/cuda_emulated.hpp — the CUDA backend without a GPU: a backend type whose ops run
// the CUDA backend's own kernels (salt/backend/cuda/kernels/, through KernelOps, the overload set
// backend::Cuda calls too) on the host executor, which emulates every launch block by block, phase
// by phase, thread by thread (salt/backend/cuda/launch.hpp). Memory is host memory, but the type
// says host_accessible = false, like the GPU backend.
//
// What is NOT the GPU's code here: the convolutions themselves. On the GPU they are cuDNN calls;
// here the reference convolution stands in for cuDNN's contract (NHWC, OHWI weights, y = conv,
// dx = conv^T, dw += correlation), and everything the backend adds around cuDNN — the bias add, the
// bias gradient reduction, the fused BN (+ residual) (+ ReLU) epilogue — runs the backend's kernels.
// Copies go through the backend's overlap plan (copy_plan.hpp) chunk by chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "salt/backend/cuda/copy_plan.hpp"
#include "salt/backend/cuda/emulate.hpp"
#include "salt/backend/cuda/kernel_ops.hpp"
#include "salt/core/backend.hpp"
#include "salt/core/memory.hpp"
#include "salt/ops/conv2d.hpp"

namespace salt::test {

namespace cu = salt::backend::cuda;

// Weights between the backend's OHWI and the reference's HWIO.
inline std::vector<float> ohwi_to_hwio(const Conv2dParams& p, const float* ohwi) {
    std::vector<float> hwio(p.weight_count());
    for (int co = 0; co < p.out_channels; ++co)
        for (int ci = 0; ci < p.in_channels; ++ci)
            for (int ky = 0; ky < p.kernel; ++ky)
                for (int kx = 0; kx < p.kernel; ++kx)
                    hwio[ops::conv2d_weight_offset(WeightLayout::hwio, p, co, ci, ky, kx)] =
                        ohwi[ops::conv2d_weight_offset(WeightLayout::ohwi, p, co, ci, ky, kx)];
    return hwio;
}
inline void hwio_to_ohwi(const Conv2dParams& p, const float* hwio, float* ohwi) {
    for (int co = 0; co < p.out_channels; ++co)
        for (int ci = 0; ci < p.in_channels; ++ci)
            for (int ky = 0; ky < p.kernel; ++ky)
                for (int kx = 0; kx < p.kernel; ++kx)
                    ohwi[ops::conv2d_weight_offset(WeightLayout::ohwi, p, co, ci, ky, kx)] =
                        hwio[ops::conv2d_weight_offset(WeightLayout::hwio, p, co, ci, ky, kx)];
}

struct CudaEmulated {
    static constexpr const char* name = "cuda-emulated";
    static constexpr bool host_accessible = false;
    static constexpr WeightLayout conv_weight_layout = WeightLayout::ohwi;
    template <class T>
    static constexpr bool supports = std::is_same_v<T, float>;

    struct options {
        cu::Tuning tuning{};
        cu::EmulationOrder order = cu::EmulationOrder::forward;
    };
    class device {
    public:
        using backend = CudaEmulated;
        device() = default;
        explicit device(options o) : ex(o.tuning, o.order) {}
        device(const device&) = delete;
        device& operator=(const device&) = delete;
        cu::HostExecutor ex;
        long chunked_copies = 0, scratch_copies = 0;
    };

    static void* allocate(device&, std::size_t bytes) { return host_allocate(bytes); }
    static void deallocate(device&, void* p) noexcept { host_deallocate(p); }
    static void copy_to_device(device&, void* dst, const void* src, std::size_t bytes) {
        if (bytes) std::memcpy(dst, src, bytes);
    }
    static void copy_to_host(device&, void* dst, const void* src, std::size_t bytes) {
        if (bytes) std::memcpy(dst, src, bytes);
    }
    // The GPU's copy: each chunk of the plan is one disjoint copy (memcpy, which would be undefined
    // on overlapping ranges just as cudaMemcpy is).
    static void copy(device& d, void* dst, const void* src, std::size_t bytes) {
        const cu::CopyPlan plan = cu::plan_copy(dst, src, bytes);
        if (plan.via_scratch) {
            ++d.scratch_copies;
            std::vector<unsigned char> tmp(bytes);
            std::memcpy(tmp.data(), src, bytes);
            std::memcpy(dst, tmp.data(), bytes);
            return;
        }
        if (plan.chunks.size() > 1) ++d.chunked_copies;
        for (const cu::CopyChunk& c : plan.chunks) {
            const auto* s = static_cast<const unsigned char*>(src) + c.src_offset;
            auto* t = static_cast<unsigned char*>(dst) + c.dst_offset;
            if (!(t + c.bytes <= s || s + c.bytes <= t)) throw std::logic_error("copy plan: a chunk overlaps itself");
            std::memcpy(t, s, c.bytes);
        }
    }
    static void fill_zero(device& d, void* p, std::size_t bytes) { d.ex.zero(p, bytes); }
    template <class T>
    static void fill(device& d, T* p, std::size_t n, T value) {
        cu::fill(d.ex, p, n, value);
    }
    static void synchronize(device&) {}

    static constexpr OpSet ops = cu::kKernelOps | cu::kConvOps;

    // Every custom-kernel op: the same overload set the GPU backend calls, on the host executor.
    template <Op O, class... A>
        requires(cu::kKernelOps.has(O))
    static decltype(auto) run(op_t<O> tag, device& d, A&&... a) {
        return cu::KernelOps<cu::HostExecutor>::run(tag, d.ex, std::forward<A>(a)...);
    }

    // The convolutions: the reference stands in for cuDNN (see the top of this file).
    using f = float;
    static void run(op_t<Op::conv2d_forward>, device& d, Shape in, int batch, const Conv2dParams& p, const f* x,
                    const f* w, const f* bias, f* y) {
        if (p.bias && bias == nullptr) ops::detail::fail("conv2d_forward", "params.bias is true but the bias pointer is null");
        Conv2dParams q = p;
        q.bias = false;
        const auto wh = ohwi_to_hwio(p, w);
        ops::conv2d_forward(in, batch, q, x, wh.data(), nullptr, y);
        if (bias) cu::conv_add_bias(d.ex, std::size_t(batch) * conv2d_out_shape(in, p).size(), p.out_channels, bias, y);
    }
    static void run(op_t<Op::conv2d_backward_data>, device&, Shape in, int batch, const Conv2dParams& p, const f* dy,
                    const f* w, f* dx) {
        const auto wh = ohwi_to_hwio(p, w);
        ops::conv2d_backward_data(in, batch, p, dy, wh.data(), dx);
    }
    static void run(op_t<Op::conv2d_backward_params>, device& d, Shape in, int batch, const Conv2dParams& p, const f* x,
                    const f* dy, f* dw, f* dbias) {
        ops::detail::check_ptr("conv2d_backward_params", dw, "dw");
        auto dwh = ohwi_to_hwio(p, dw);
        ops::conv2d_backward_params(in, batch, p, x, dy, dwh.data(), static_cast<f*>(nullptr));
        hwio_to_ohwi(p, dwh.data(), dw);
        if (dbias)
            cu::conv_accumulate_bias_grad(d.ex, std::size_t(batch) * conv2d_out_shape(in, p).pixels(), p.out_channels, dy,
                                          dbias);
    }
    static void run(op_t<Op::conv2d_bn_forward_eval>, device& d, Shape in, int batch, const Conv2dParams& p, const f* x,
                    const f* w, const f* bias, const BatchNormParams& bp, const f* gamma, const f* beta,
                    const f* running_mean, const f* running_var, const f* residual, bool relu, f* y) {
        if (p.bias && bias == nullptr)
            ops::detail::fail("conv2d_bn_forward_eval", "params.bias is true but the bias pointer is null");
        Conv2dParams q = p;
        q.bias = false;
        const auto wh = ohwi_to_hwio(p, w);
        ops::conv2d_forward(in, batch, q, x, wh.data(), nullptr, y);
        cu::conv_bn_epilogue(d.ex, std::size_t(batch) * conv2d_out_shape(in, p).size(), p.out_channels, bias, bp, gamma,
                             beta, running_mean, running_var, residual, relu, y);
    }
};

static_assert(Backend<CudaEmulated>);

}  // namespace salt::test
