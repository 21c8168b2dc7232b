// salt/backend/cuda/kernel_ops.hpp — the CUDA backend's custom-kernel ops as one overload set,
// templated on the executor: KernelOps<GpuExecutor> is what backend::Cuda's run overloads call
// (cuda_impl.cuh), KernelOps<HostExecutor> what the host emulation calls (tests/cuda_host). Both
// therefore pass their arguments to the drivers through this one list. The convolutions are not
// here: on the GPU they are cuDNN calls plus the kernels of kernels/conv_epilogue.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "salt/backend/cuda/kernels/adam.hpp"
#include "salt/backend/cuda/kernels/batch_norm.hpp"
#include "salt/backend/cuda/kernels/conv_epilogue.hpp"
#include "salt/backend/cuda/kernels/dropout.hpp"
#include "salt/backend/cuda/kernels/elementwise.hpp"
#include "salt/backend/cuda/kernels/layout.hpp"
#include "salt/backend/cuda/kernels/loss.hpp"
#include "salt/backend/cuda/kernels/pool.hpp"
#include "salt/backend/cuda/kernels/resize.hpp"
#include "salt/backend/cuda/op_sets.hpp"
#include "salt/core/backend.hpp"
#include "salt/core/op_params.hpp"
#include "salt/core/shape.hpp"

namespace salt::backend::cuda {

template <class Ex>
struct KernelOps {
    using f = float;
    static void run(op_t<Op::batch_norm_forward_train>, Ex& ex, Shape s, int batch, const BatchNormParams& bp,
                    const f* x, const f* gamma, const f* beta, f* running_mean, f* running_var, f* y, f* saved_mean,
                    f* saved_invstd) {
        batch_norm_forward_train(ex, "batch_norm_forward_train", false, s, batch, bp, x, gamma, beta, running_mean,
                                 running_var, y, saved_mean, saved_invstd);
    }
    static void run(op_t<Op::batch_norm_relu_forward_train>, Ex& ex, Shape s, int batch, const BatchNormParams& bp,
                    const f* x, const f* gamma, const f* beta, f* running_mean, f* running_var, f* y, f* saved_mean,
                    f* saved_invstd) {
        batch_norm_forward_train(ex, "batch_norm_relu_forward_train", true, s, batch, bp, x, gamma, beta, running_mean,
                                 running_var, y, saved_mean, saved_invstd);
    }
    static void run(op_t<Op::batch_norm_forward_eval>, Ex& ex, Shape s, int batch, const BatchNormParams& bp,
                    const f* x, const f* gamma, const f* beta, const f* running_mean, const f* running_var, f* y) {
        batch_norm_forward_eval(ex, s, batch, bp, x, gamma, beta, running_mean, running_var, y);
    }
    static void run(op_t<Op::batch_norm_backward_train>, Ex& ex, Shape s, int batch, const f* x, const f* dy,
                    const f* gamma, const f* saved_mean, const f* saved_invstd, f* dx, f* dgamma, f* dbeta) {
        batch_norm_backward_train(ex, "batch_norm_backward_train", s, batch, x, nullptr, dy, gamma, saved_mean,
                                  saved_invstd, dx, dgamma, dbeta);
    }
    static void run(op_t<Op::batch_norm_relu_backward_train>, Ex& ex, Shape s, int batch, const f* x, const f* y,
                    const f* dy, const f* gamma, const f* saved_mean, const f* saved_invstd, f* dx, f* dgamma,
                    f* dbeta) {
        ops::detail::check_ptr("batch_norm_relu_backward_train", y, "y");
        batch_norm_backward_train(ex, "batch_norm_relu_backward_train", s, batch, x, y, dy, gamma, saved_mean,
                                  saved_invstd, dx, dgamma, dbeta);
    }
    static void run(op_t<Op::relu_forward>, Ex& ex, std::size_t n, const f* x, f* y) { relu_forward(ex, n, x, y); }
    static void run(op_t<Op::relu_backward>, Ex& ex, std::size_t n, const f* y, const f* dy, f* dx) {
        relu_backward(ex, n, y, dy, dx);
    }
    static void run(op_t<Op::add_forward>, Ex& ex, std::size_t n, const f* a, const f* b, f* y) {
        add_forward(ex, n, a, b, y);
    }
    static void run(op_t<Op::accumulate>, Ex& ex, std::size_t n, const f* src, f* dst) { accumulate(ex, n, src, dst); }
    static void run(op_t<Op::sigmoid_forward>, Ex& ex, std::size_t n, const f* x, f* y) { sigmoid_forward(ex, n, x, y); }
    static void run(op_t<Op::sigmoid_backward>, Ex& ex, std::size_t n, const f* y, const f* dy, f* dx) {
        sigmoid_backward(ex, n, y, dy, dx);
    }
    static void run(op_t<Op::max_pool2d_forward>, Ex& ex, Shape in, int batch, const Pool2dParams& p, const f* x, f* y,
                    std::int32_t* argmax) {
        max_pool2d_forward(ex, in, batch, p, x, y, argmax);
    }
    static void run(op_t<Op::max_pool2d_backward>, Ex& ex, Shape in, int batch, const Pool2dParams& p, const f* dy,
                    const std::int32_t* argmax, f* dx) {
        max_pool2d_backward(ex, in, batch, p, dy, argmax, dx);
    }
    static void run(op_t<Op::global_avg_pool_forward>, Ex& ex, Shape in, int batch, const f* x, f* y) {
        global_avg_pool_forward(ex, in, batch, x, y);
    }
    static void run(op_t<Op::global_avg_pool_backward>, Ex& ex, Shape in, int batch, const f* dy, f* dx) {
        global_avg_pool_backward(ex, in, batch, dy, dx);
    }
    static void run(op_t<Op::resize_bilinear_forward>, Ex& ex, Shape in, int batch, int out_h, int out_w,
                    bool align_corners, const f* x, f* y) {
        resize_bilinear_forward(ex, in, batch, out_h, out_w, align_corners, x, y);
    }
    static void run(op_t<Op::resize_bilinear_backward>, Ex& ex, Shape in, int batch, int out_h, int out_w,
                    bool align_corners, const f* dy, f* dx) {
        resize_bilinear_backward(ex, in, batch, out_h, out_w, align_corners, dy, dx);
    }
    static void run(op_t<Op::concat_channels_forward>, Ex& ex, std::size_t rows, std::span<const int> channels,
                    std::span<const f* const> inputs, f* y) {
        concat_channels_forward(ex, rows, channels, inputs, y);
    }
    static void run(op_t<Op::concat_channels_backward>, Ex& ex, std::size_t rows, std::span<const int> channels,
                    const f* dy, std::span<f* const> dinputs) {
        concat_channels_backward(ex, rows, channels, dy, dinputs);
    }
    static void run(op_t<Op::dropout_forward>, Ex& ex, std::size_t n, double p, std::uint64_t seed, const f* x, f* y,
                    std::uint8_t* mask) {
        dropout_forward(ex, n, p, seed, x, y, mask);
    }
    static void run(op_t<Op::dropout_backward>, Ex& ex, std::size_t n, double p, const std::uint8_t* mask, const f* dy,
                    f* dx) {
        dropout_backward(ex, n, p, mask, dy, dx);
    }
    static void run(op_t<Op::adam_step>, Ex& ex, std::size_t n, const AdamStep& s, bool decay, f* param, const f* grad,
                    f* m, f* v) {
        adam_step(ex, n, s, decay, param, grad, m, v);
    }
    static double run(op_t<Op::loss_bce_dice>, Ex& ex, const MapGeometry& g, const BceDiceWeights& w, const f* logits,
                      const f* targets, f* grad) {
        return loss_bce_dice(ex, g, w, logits, targets, grad);
    }
    static double run(op_t<Op::loss_lovasz>, Ex& ex, const MapGeometry& g, const f* logits, const f* targets, f* grad) {
        return loss_lovasz(ex, g, logits, targets, grad);
    }
    static void run(op_t<Op::mask_stats>, Ex& ex, const MapGeometry& g, const f* logits, const f* truth,
                    std::span<const double> thresholds, MaskCounts* out) {
        mask_stats(ex, g, logits, truth, thresholds, out);
    }
    static void run(op_t<Op::flip_width>, Ex& ex, Shape s, int batch, const f* x, f* y) { flip_width(ex, s, batch, x, y); }
    static void run(op_t<Op::crop>, Ex& ex, Shape in, int batch, const Region& r, const f* x, f* y) {
        crop(ex, in, batch, r, x, y);
    }
    static void run(op_t<Op::axpby>, Ex& ex, std::size_t n, f a, const f* x, f b, f* y) { axpby(ex, n, a, x, b, y); }
    static void run(op_t<Op::threshold>, Ex& ex, std::size_t n, const f* x, f t, std::uint8_t* mask) {
        threshold(ex, n, x, t, mask);
    }
};

}  // namespace salt::backend::cuda
