// salt/backend/simd/simd.hpp — the fast CPU backend: xsimd vector kernels, OpenMP threads, fp32.
//
//   salt::backend::Simd          the backend (memory, ops), what a model is instantiated with:
//                                DeepLabV3<float, config, backend::Simd>
//   salt::backend::simd::Device  its execution context (threads, bf16, per-thread buffers)
//   salt::backend::simd::*       its kernels, one op per file in this directory:
//     gemm.hpp            packed SGEMM (the engine of the convolutions), optional bf16 operands
//     conv2d.hpp          forward, data and weight gradients; implicit GEMM; dead-tap pruning;
//                         the fused inference conv + BN (+ add) (+ ReLU)
//     batch_norm.hpp      train/eval forward and backward; the fused training BN + ReLU
//     relu.hpp add.hpp sigmoid.hpp concat.hpp max_pool.hpp global_avg_pool.hpp
//     resize_bilinear.hpp dropout.hpp adam.hpp
// It runs fp32 only. For the losses, the mask statistics and the small data-movement ops of
// inference (flip, crop, axpby, threshold) it runs the reference kernels on its (host) memory:
// each is named below, in the op's own overload, not reached by any fallback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "salt/backend/simd/adam.hpp"
#include "salt/backend/simd/add.hpp"
#include "salt/backend/simd/batch_norm.hpp"
#include "salt/backend/simd/concat.hpp"
#include "salt/backend/simd/conv2d.hpp"
#include "salt/backend/simd/device.hpp"
#include "salt/backend/simd/dropout.hpp"
#include "salt/backend/simd/gemm.hpp"
#include "salt/backend/simd/global_avg_pool.hpp"
#include "salt/backend/simd/max_pool.hpp"
#include "salt/backend/simd/relu.hpp"
#include "salt/backend/simd/resize_bilinear.hpp"
#include "salt/backend/simd/sigmoid.hpp"
#include "salt/core/backend.hpp"
#include "salt/core/memory.hpp"
#include "salt/ops/ops.hpp"

namespace salt::backend {

struct Simd {
    static constexpr const char* name = "simd";
    static constexpr bool host_accessible = true;
    static constexpr WeightLayout conv_weight_layout = WeightLayout::hwio;
    template <class T>
    static constexpr bool supports = std::is_same_v<T, float>;
    using options = simd::Options;
    using device = simd::Device;

    static void* allocate(device&, std::size_t bytes) { return host_allocate(bytes); }
    static void deallocate(device&, void* p) noexcept { host_deallocate(p); }
    static void copy_to_device(device&, void* dst, const void* src, std::size_t bytes) {
        if (bytes) std::memcpy(dst, src, bytes);
    }
    static void copy_to_host(device&, void* dst, const void* src, std::size_t bytes) {
        if (bytes) std::memcpy(dst, src, bytes);
    }
    static void copy(device&, void* dst, const void* src, std::size_t bytes) {
        if (bytes && dst != src) std::memmove(dst, src, bytes);
    }
    static void fill_zero(device&, void* p, std::size_t bytes) {
        if (bytes) std::memset(p, 0, bytes);
    }
    template <class T>
    static void fill(device&, T* p, std::size_t n, T value) {
        for (std::size_t i = 0; i < n; ++i) p[i] = value;
    }
    static void synchronize(device&) {}

    static constexpr OpSet ops{
        Op::conv2d_forward,          Op::conv2d_backward_data,     Op::conv2d_backward_params,
        Op::batch_norm_forward_train, Op::batch_norm_forward_eval, Op::batch_norm_backward_train,
        Op::relu_forward,            Op::relu_backward,            Op::add_forward,
        Op::accumulate,              Op::sigmoid_forward,          Op::sigmoid_backward,
        Op::max_pool2d_forward,      Op::max_pool2d_backward,      Op::global_avg_pool_forward,
        Op::global_avg_pool_backward, Op::resize_bilinear_forward, Op::resize_bilinear_backward,
        Op::concat_channels_forward, Op::concat_channels_backward, Op::dropout_forward,
        Op::dropout_backward,        Op::conv2d_bn_forward_eval,   Op::batch_norm_relu_forward_train,
        Op::batch_norm_relu_backward_train, Op::adam_step,         Op::loss_bce_dice,
        Op::loss_lovasz,             Op::mask_stats,               Op::flip_width,
        Op::crop,                    Op::axpby,                    Op::threshold};

    using f = float;
    static void run(op_t<Op::conv2d_forward>, device& d, Shape in, int batch, const Conv2dParams& p, const f* x, const f* w,
                    const f* bias, f* y) {
        simd::conv2d_forward(d, in, batch, p, x, w, bias, y);
    }
    static void run(op_t<Op::conv2d_backward_data>, device& d, Shape in, int batch, const Conv2dParams& p, const f* dy,
                    const f* w, f* dx) {
        simd::conv2d_backward_data(d, in, batch, p, dy, w, dx);
    }
    static void run(op_t<Op::conv2d_backward_params>, device& d, Shape in, int batch, const Conv2dParams& p, const f* x,
                    const f* dy, f* dw, f* dbias) {
        simd::conv2d_backward_params(d, in, batch, p, x, dy, dw, dbias);
    }
    static void run(op_t<Op::conv2d_bn_forward_eval>, device& d, Shape in, int batch, const Conv2dParams& p, const f* x,
                    const f* w, const f* bias, const BatchNormParams& bp, const f* gamma, const f* beta,
                    const f* running_mean, const f* running_var, const f* residual, bool relu, f* y) {
        simd::conv2d_bn_forward_eval(d, in, batch, p, x, w, bias, bp, gamma, beta, running_mean, running_var, residual,
                                     relu, y);
    }
    static void run(op_t<Op::batch_norm_forward_train>, device& d, Shape s, int batch, const BatchNormParams& bp,
                    const f* x, const f* gamma, const f* beta, f* running_mean, f* running_var, f* y, f* saved_mean,
                    f* saved_invstd) {
        simd::batch_norm_forward_train(d, s, batch, bp, x, gamma, beta, running_mean, running_var, y, saved_mean,
                                       saved_invstd);
    }
    static void run(op_t<Op::batch_norm_relu_forward_train>, device& d, Shape s, int batch, const BatchNormParams& bp,
                    const f* x, const f* gamma, const f* beta, f* running_mean, f* running_var, f* y, f* saved_mean,
                    f* saved_invstd) {
        simd::batch_norm_relu_forward_train(d, s, batch, bp, x, gamma, beta, running_mean, running_var, y, saved_mean,
                                            saved_invstd);
    }
    static void run(op_t<Op::batch_norm_forward_eval>, device& d, Shape s, int batch, const BatchNormParams& bp,
                    const f* x, const f* gamma, const f* beta, const f* running_mean, const f* running_var, f* y) {
        simd::batch_norm_forward_eval(d, s, batch, bp, x, gamma, beta, running_mean, running_var, y);
    }
    static void run(op_t<Op::batch_norm_backward_train>, device& d, Shape s, int batch, const f* x, const f* dy,
                    const f* gamma, const f* saved_mean, const f* saved_invstd, f* dx, f* dgamma, f* dbeta) {
        simd::batch_norm_backward_train(d, s, batch, x, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta);
    }
    static void run(op_t<Op::batch_norm_relu_backward_train>, device& d, Shape s, int batch, const f* x, const f* y,
                    const f* dy, const f* gamma, const f* saved_mean, const f* saved_invstd, f* dx, f* dgamma,
                    f* dbeta) {
        simd::batch_norm_relu_backward_train(d, s, batch, x, y, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta);
    }
    static void run(op_t<Op::relu_forward>, device& d, std::size_t n, const f* x, f* y) { simd::relu_forward(d, n, x, y); }
    static void run(op_t<Op::relu_backward>, device& d, std::size_t n, const f* y, const f* dy, f* dx) {
        simd::relu_backward(d, n, y, dy, dx);
    }
    static void run(op_t<Op::add_forward>, device& d, std::size_t n, const f* a, const f* b, f* y) {
        simd::add_forward(d, n, a, b, y);
    }
    static void run(op_t<Op::accumulate>, device& d, std::size_t n, const f* src, f* dst) {
        simd::accumulate(d, n, src, dst);
    }
    static void run(op_t<Op::sigmoid_forward>, device& d, std::size_t n, const f* x, f* y) {
        simd::sigmoid_forward(d, n, x, y);
    }
    static void run(op_t<Op::sigmoid_backward>, device& d, std::size_t n, const f* y, const f* dy, f* dx) {
        simd::sigmoid_backward(d, n, y, dy, dx);
    }
    static void run(op_t<Op::max_pool2d_forward>, device& d, Shape in, int batch, const Pool2dParams& p, const f* x, f* y,
                    std::int32_t* argmax) {
        simd::max_pool2d_forward(d, in, batch, p, x, y, argmax);
    }
    static void run(op_t<Op::max_pool2d_backward>, device& d, Shape in, int batch, const Pool2dParams& p, const f* dy,
                    const std::int32_t* argmax, f* dx) {
        simd::max_pool2d_backward(d, in, batch, p, dy, argmax, dx);
    }
    static void run(op_t<Op::global_avg_pool_forward>, device& d, Shape in, int batch, const f* x, f* y) {
        simd::global_avg_pool_forward(d, in, batch, x, y);
    }
    static void run(op_t<Op::global_avg_pool_backward>, device& d, Shape in, int batch, const f* dy, f* dx) {
        simd::global_avg_pool_backward(d, in, batch, dy, dx);
    }
    static void run(op_t<Op::resize_bilinear_forward>, device& d, Shape in, int batch, int out_h, int out_w,
                    bool align_corners, const f* x, f* y) {
        simd::resize_bilinear_forward(d, in, batch, out_h, out_w, align_corners, x, y);
    }
    static void run(op_t<Op::resize_bilinear_backward>, device& d, Shape in, int batch, int out_h, int out_w,
                    bool align_corners, const f* dy, f* dx) {
        simd::resize_bilinear_backward(d, in, batch, out_h, out_w, align_corners, dy, dx);
    }
    static void run(op_t<Op::concat_channels_forward>, device& d, std::size_t rows, std::span<const int> channels,
                    std::span<const f* const> inputs, f* y) {
        simd::concat_channels_forward(d, rows, channels, inputs, y);
    }
    static void run(op_t<Op::concat_channels_backward>, device& d, std::size_t rows, std::span<const int> channels,
                    const f* dy, std::span<f* const> dinputs) {
        simd::concat_channels_backward(d, rows, channels, dy, dinputs);
    }
    static void run(op_t<Op::dropout_forward>, device& d, std::size_t n, double p, std::uint64_t seed, const f* x, f* y,
                    std::uint8_t* mask) {
        simd::dropout_forward(d, n, p, seed, x, y, mask);
    }
    static void run(op_t<Op::dropout_backward>, device& d, std::size_t n, double p, const std::uint8_t* mask, const f* dy,
                    f* dx) {
        simd::dropout_backward(d, n, p, mask, dy, dx);
    }
    static void run(op_t<Op::adam_step>, device& d, std::size_t n, const AdamStep& s, bool decay, f* param, const f* grad,
                    f* m, f* v) {
        simd::adam_step(d, n, s, decay, param, grad, m, v);
    }
    // The reference kernels, by choice: one pass over a few maps per step, not worth vectors yet.
    static double run(op_t<Op::loss_bce_dice>, device&, const MapGeometry& g, const BceDiceWeights& w, const f* logits,
                      const f* targets, f* grad) {
        return ops::loss_bce_dice(g, w, logits, targets, grad);
    }
    static double run(op_t<Op::loss_lovasz>, device&, const MapGeometry& g, const f* logits, const f* targets, f* grad) {
        return ops::loss_lovasz(g, logits, targets, grad);
    }
    static void run(op_t<Op::mask_stats>, device&, const MapGeometry& g, const f* logits, const f* truth,
                    std::span<const double> thresholds, MaskCounts* out) {
        ops::mask_stats(g, logits, truth, thresholds, out);
    }
    static void run(op_t<Op::flip_width>, device&, Shape s, int batch, const f* x, f* y) { ops::flip_width(s, batch, x, y); }
    static void run(op_t<Op::crop>, device&, Shape in, int batch, const Region& r, const f* x, f* y) {
        ops::crop(in, batch, r, x, y);
    }
    static void run(op_t<Op::axpby>, device&, std::size_t n, f a, const f* x, f b, f* y) { ops::axpby(n, a, x, b, y); }
    static void run(op_t<Op::threshold>, device&, std::size_t n, const f* x, f t, std::uint8_t* mask) {
        ops::threshold(n, x, t, mask);
    }
};

static_assert(Backend<Simd>);

}  // namespace salt::backend
