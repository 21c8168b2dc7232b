// salt/backend/cuda/kernels/conv_epilogue.hpp — the custom kernels around a cuDNN convolution: the
// bias (forward: y += bias per channel; backward: dbias += the per-channel sum of dy, through
// kernels/reduce.hpp in double) and the inference epilogue of the fused conv + BN (+ residual)
// (+ ReLU). The convolution itself is cuDNN's (cuda_impl.cuh); these run after it on its output.
#pragma once

#include <cmath>
#include <cstddef>

#include "salt/backend/cuda/kernels/elementwise.hpp"
#include "salt/backend/cuda/kernels/reduce.hpp"
#include "salt/core/hd.hpp"
#include "salt/core/op_params.hpp"
#include "salt/core/shape.hpp"

namespace salt::backend::cuda {
namespace kernels {

// ops/conv2d.hpp conv2d_forward's bias term: y[r, co] += bias[co]
struct AddBias {
    const float* bias;
    float* y;
    int C;
    SALT_HD void operator()(std::size_t i) const { y[i] += bias[i % std::size_t(C)]; }
};

// ops/conv2d.hpp conv2d_backward_params: dbias[co] = T(A(dbias[co]) + sum_{n, oy, ox} dy[n, oy, ox, co])
struct SumDy {
    const float* dy;
    int C;
    SALT_HD void operator()(int, std::size_t row, int c, double* v) const { v[0] = double(dy[row * C + c]); }
};
struct AccumulateBias {
    float* dbias;
    SALT_HD void operator()(int, int c, const double* s) const { dbias[c] = float(double(dbias[c]) + s[0]); }
};

// conv2d_bn_forward_eval after the convolution wrote y (without bias):
//   v = y + bias;  v = (v - running_mean) / sqrt(running_var + eps) * gamma + beta;  v += residual;
//   y = relu ? max(v, 0) : v        (in double, rounded once)
struct ConvBnEpilogue {
    float* y;
    const float* bias;  // may be null
    const float* gamma;
    const float* beta;
    const float* running_mean;
    const float* running_var;
    const float* residual;  // may be null
    double eps;
    int C;
    bool relu;
    SALT_HD void operator()(std::size_t i) const {
        const int c = int(i % std::size_t(C));
        double v = double(y[i]);
        if (bias) v += double(bias[c]);
        const double invstd = 1.0 / sqrt(double(running_var[c]) + eps);
        v = (v - double(running_mean[c])) * invstd * double(gamma[c]) + double(beta[c]);
        if (residual) v += double(residual[i]);
        const float r = float(v);
        y[i] = relu && r < 0.f ? 0.f : r;
    }
};

}  // namespace kernels

template <class Ex>
void conv_add_bias(Ex& ex, std::size_t n, int channels, const float* bias, float* y) {
    launch_each(ex, "conv2d_forward (bias)", n, kernels::AddBias{bias, y, channels});
}

template <class Ex>
void conv_accumulate_bias_grad(Ex& ex, std::size_t rows, int channels, const float* dy, float* dbias) {
    channel_sums<1>(ex, "conv2d_backward_params (bias)", 1, rows, channels, kernels::SumDy{dy, channels},
                    kernels::AccumulateBias{dbias});
}

template <class Ex>
void conv_bn_epilogue(Ex& ex, std::size_t n, int channels, const float* bias, const BatchNormParams& bp,
                      const float* gamma, const float* beta, const float* running_mean, const float* running_var,
                      const float* residual, bool relu, float* y) {
    constexpr const char* op = "conv2d_bn_forward_eval";
    if (!(bp.eps >= 0.0)) ops::detail::fail(op, "eps must be non-negative, got ", bp.eps);
    ops::detail::check_ptr(op, gamma, "gamma");
    ops::detail::check_ptr(op, beta, "beta");
    ops::detail::check_ptr(op, running_mean, "running_mean");
    ops::detail::check_ptr(op, running_var, "running_var");
    ops::detail::check_ptr(op, y, "y");
    launch_each(ex, "conv2d_bn_forward_eval (epilogue)", n,
                kernels::ConvBnEpilogue{y, bias, gamma, beta, running_mean, running_var, residual, bp.eps, channels,
                                        relu});
}

}  // namespace salt::backend::cuda
