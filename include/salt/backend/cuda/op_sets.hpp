// salt/backend/cuda/op_sets.hpp — which ops the CUDA backend runs with its own kernels and which
// through cuDNN (together: the whole catalogue of core/backend.hpp).
#pragma once

#include "salt/core/backend.hpp"

namespace salt::backend::cuda {

// The ops every executor runs with the custom kernels (all but the convolutions).
inline constexpr OpSet kKernelOps{
    Op::batch_norm_forward_train, Op::batch_norm_forward_eval, Op::batch_norm_backward_train,
    Op::relu_forward,             Op::relu_backward,           Op::add_forward,
    Op::accumulate,               Op::sigmoid_forward,         Op::sigmoid_backward,
    Op::max_pool2d_forward,       Op::max_pool2d_backward,     Op::global_avg_pool_forward,
    Op::global_avg_pool_backward, Op::resize_bilinear_forward, Op::resize_bilinear_backward,
    Op::concat_channels_forward,  Op::concat_channels_backward, Op::dropout_forward,
    Op::dropout_backward,         Op::batch_norm_relu_forward_train, Op::batch_norm_relu_backward_train,
    Op::adam_step,                Op::loss_bce_dice,           Op::loss_lovasz,
    Op::mask_stats,               Op::flip_width,              Op::crop,
    Op::axpby,                    Op::threshold};
// ... and the convolutions (cuDNN on the GPU).
inline constexpr OpSet kConvOps{Op::conv2d_forward, Op::conv2d_backward_data, Op::conv2d_backward_params,
                                Op::conv2d_bn_forward_eval};

static_assert((kKernelOps | kConvOps).size() == kOpCount, "the CUDA backend implements every op");

}  // namespace salt::backend::cuda
