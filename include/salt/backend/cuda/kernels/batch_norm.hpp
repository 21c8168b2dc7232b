// salt/backend/cuda/kernels/batch_norm.hpp — batch normalisation over NHWC activations (m = batch*h*w
// rows of C channels), training and eval, forward and backward, with the fused ReLU variants.
//
// Training forward (ops/batch_norm.hpp batch_norm_forward_train, two passes over x as the reference):
//   1. channel_sums of x                         -> mean[c] = sum / m                (double scratch)
//   2. channel_sums of (x - mean[c])^2           -> var, invstd, saved_*, running_* (the reference's
//                                                   expressions, in double)
//   3. element-wise y = T((x - mean) * invstd * gamma + beta), then ReLU when fused.
// Training backward (batch_norm_backward_train):
//   1. channel_sums of g and g * xhat (g = dy, or dy where y > 0 when fused with the ReLU; xhat from
//      the saved float statistics, as the reference) -> sums (double scratch), dgamma += , dbeta +=
//   2. element-wise dx = T(gamma * invstd / m * (m g - sum g - xhat sum(g xhat))).
// Eval forward: element-wise, invstd = 1 / sqrt(running_var + eps) in double per element.
// Every sum is in double, in the fixed order of kernels/reduce.hpp.
#pragma once

#include <cmath>
#include <cstddef>

#include "salt/backend/cuda/kernels/elementwise.hpp"
#include "salt/backend/cuda/kernels/reduce.hpp"
#include "salt/core/hd.hpp"
#include "salt/core/op_params.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/batch_norm.hpp"

namespace salt::backend::cuda {
namespace kernels {

// sum x[r, c]
struct BnSumX {
    const float* x;
    int C;
    SALT_HD void operator()(int, std::size_t row, int c, double* v) const { v[0] = double(x[row * C + c]); }
};
// mean[c] = sum / m
struct BnMean {
    double m;
    double* mean;
    SALT_HD void operator()(int, int c, const double* s) const { mean[c] = s[0] / m; }
};
// sum (x[r, c] - mean[c])^2
struct BnSumSquaredDeviation {
    const float* x;
    const double* mean;
    int C;
    SALT_HD void operator()(int, std::size_t row, int c, double* v) const {
        const double d = double(x[row * C + c]) - mean[c];
        v[0] = d * d;
    }
};
// The reference's per-channel epilogue: biased and unbiased variance, invstd, the saved statistics
// and torch's running-statistics update.
struct BnStatistics {
    double m, eps, momentum;
    const double* mean;
    double* invstd;  // double, for the normalisation
    float* saved_mean;
    float* saved_invstd;
    float* running_mean;
    float* running_var;
    SALT_HD void operator()(int, int c, const double* s) const {
        const double biased = s[0] / m;
        const double unbiased = s[0] / (m - 1.0);
        const double is = 1.0 / sqrt(biased + eps);
        saved_mean[c] = float(mean[c]);
        saved_invstd[c] = float(is);
        running_mean[c] = float((1.0 - momentum) * double(running_mean[c]) + momentum * mean[c]);
        running_var[c] = float((1.0 - momentum) * double(running_var[c]) + momentum * unbiased);
        invstd[c] = is;
    }
};
// y = T((x - mean) * invstd * gamma + beta) [then max(y, 0)]
struct BnNormalize {
    const float* x;
    const double* mean;
    const double* invstd;
    const float* gamma;
    const float* beta;
    float* y;
    int C;
    bool relu;
    SALT_HD void operator()(std::size_t i) const {
        const int c = int(i % std::size_t(C));
        const float v = float((double(x[i]) - mean[c]) * invstd[c] * double(gamma[c]) + double(beta[c]));
        y[i] = relu && v < 0.f ? 0.f : v;
    }
};
// ops/batch_norm.hpp batch_norm_forward_eval:
//   y = T((x - running_mean) * (1 / sqrt(running_var + eps)) * gamma + beta)
struct BnEval {
    const float* x;
    const float* gamma;
    const float* beta;
    const float* running_mean;
    const float* running_var;
    float* y;
    double eps;
    int C;
    SALT_HD void operator()(std::size_t i) const {
        const int c = int(i % std::size_t(C));
        const double invstd = 1.0 / sqrt(double(running_var[c]) + eps);
        y[i] = float((double(x[i]) - double(running_mean[c])) * invstd * double(gamma[c]) + double(beta[c]));
    }
};
// The gradient reaching the BN: dy, or dy where the fused ReLU's output y is positive.
SALT_HD inline double bn_upstream(const float* y, const float* dy, std::size_t i) {
    return y == nullptr || y[i] > 0.f ? double(dy[i]) : 0.0;
}
// sum g, sum g * xhat with xhat = (x - saved_mean) * saved_invstd
struct BnBackwardSums {
    const float* x;
    const float* y;  // null: no ReLU
    const float* dy;
    const float* saved_mean;
    const float* saved_invstd;
    int C;
    SALT_HD void operator()(int, std::size_t row, int c, double* v) const {
        const std::size_t i = row * C + c;
        const double xhat = (double(x[i]) - double(saved_mean[c])) * double(saved_invstd[c]);
        const double g = bn_upstream(y, dy, i);
        v[0] = g;
        v[1] = g * xhat;
    }
};
// dgamma += sum(g xhat), dbeta += sum(g), and both sums kept for dx
struct BnBackwardParams {
    double* sums;  // [c][2]: sum g, sum g xhat
    float* dgamma;
    float* dbeta;
    SALT_HD void operator()(int, int c, const double* s) const {
        sums[2 * c] = s[0];
        sums[2 * c + 1] = s[1];
        dgamma[c] = float(double(dgamma[c]) + s[1]);
        dbeta[c] = float(double(dbeta[c]) + s[0]);
    }
};
// dx = T(gamma * invstd / m * (m * g - sum g - xhat * sum(g xhat)))
struct BnBackwardDx {
    const float* x;
    const float* y;
    const float* dy;
    const float* gamma;
    const float* saved_mean;
    const float* saved_invstd;
    const double* sums;
    float* dx;
    double m;
    int C;
    SALT_HD void operator()(std::size_t i) const {
        const int c = int(i % std::size_t(C));
        const double invstd = double(saved_invstd[c]);
        const double xhat = (double(x[i]) - double(saved_mean[c])) * invstd;
        const double g = bn_upstream(y, dy, i);
        dx[i] = float(double(gamma[c]) * invstd / m * (m * g - sums[2 * c] - xhat * sums[2 * c + 1]));
    }
};

}  // namespace kernels

template <class Ex>
void batch_norm_forward_train(Ex& ex, const char* op, bool relu, Shape s, int batch, const BatchNormParams& bp,
                              const float* x, const float* gamma, const float* beta, float* running_mean,
                              float* running_var, float* y, float* saved_mean, float* saved_invstd) {
    ops::detail::check_batch_norm(op, s, batch, &bp);
    const std::size_t m = ops::detail::training_values_per_channel(op, s, batch);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, gamma, "gamma");
    ops::detail::check_ptr(op, beta, "beta");
    ops::detail::check_ptr(op, running_mean, "running_mean");
    ops::detail::check_ptr(op, running_var, "running_var");
    ops::detail::check_ptr(op, y, "y");
    ops::detail::check_ptr(op, saved_mean, "saved_mean");
    ops::detail::check_ptr(op, saved_invstd, "saved_invstd");
    const int C = s.c;
    auto stats = scratch<double>(ex, 2 * std::size_t(C));
    double* mean = stats.get();
    double* invstd = stats.get() + C;
    channel_sums<1>(ex, op, 1, m, C, kernels::BnSumX{x, C}, kernels::BnMean{double(m), mean});
    channel_sums<1>(ex, op, 1, m, C, kernels::BnSumSquaredDeviation{x, mean, C},
                    kernels::BnStatistics{double(m), bp.eps, bp.momentum, mean, invstd, saved_mean, saved_invstd,
                                          running_mean, running_var});
    launch_each(ex, op, m * C, kernels::BnNormalize{x, mean, invstd, gamma, beta, y, C, relu});
}

template <class Ex>
void batch_norm_forward_eval(Ex& ex, Shape s, int batch, const BatchNormParams& bp, const float* x, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var, float* y) {
    constexpr const char* op = "batch_norm_forward_eval";
    ops::detail::check_batch_norm(op, s, batch, &bp);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, gamma, "gamma");
    ops::detail::check_ptr(op, beta, "beta");
    ops::detail::check_ptr(op, running_mean, "running_mean");
    ops::detail::check_ptr(op, running_var, "running_var");
    ops::detail::check_ptr(op, y, "y");
    launch_each(ex, op, std::size_t(batch) * s.size(),
                kernels::BnEval{x, gamma, beta, running_mean, running_var, y, bp.eps, s.c});
}

// y is the fused ReLU's output (null for the plain BN backward).
template <class Ex>
void batch_norm_backward_train(Ex& ex, const char* op, Shape s, int batch, const float* x, const float* y,
                               const float* dy, const float* gamma, const float* saved_mean, const float* saved_invstd,
                               float* dx, float* dgamma, float* dbeta) {
    ops::detail::check_batch_norm(op, s, batch, nullptr);
    const std::size_t m = ops::detail::training_values_per_channel(op, s, batch);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, gamma, "gamma");
    ops::detail::check_ptr(op, saved_mean, "saved_mean");
    ops::detail::check_ptr(op, saved_invstd, "saved_invstd");
    ops::detail::check_ptr(op, dx, "dx");
    ops::detail::check_ptr(op, dgamma, "dgamma");
    ops::detail::check_ptr(op, dbeta, "dbeta");
    const int C = s.c;
    auto sums = scratch<double>(ex, 2 * std::size_t(C));
    channel_sums<2>(ex, op, 1, m, C, kernels::BnBackwardSums{x, y, dy, saved_mean, saved_invstd, C},
                    kernels::BnBackwardParams{sums.get(), dgamma, dbeta});
    launch_each(ex, op, m * C,
                kernels::BnBackwardDx{x, y, dy, gamma, saved_mean, saved_invstd, sums.get(), dx, double(m), C});
}

}  // namespace salt::backend::cuda
