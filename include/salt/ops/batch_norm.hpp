// salt/ops/batch_norm.hpp — 2-D batch normalisation over NHWC activations, reference backend,
// with PyTorch's BatchNorm2d semantics.
//
// Per channel c, over the m = batch*h*w values of that channel:
//   train: mean = sum x / m, var = sum (x - mean)^2 / m (biased, used to normalise),
//          invstd = 1 / sqrt(var + eps), y = (x - mean) * invstd * gamma + beta,
//          running_mean = (1 - momentum) * running_mean + momentum * mean,
//          running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)   (unbiased).
//          m == 1 throws (torch: "Expected more than 1 value per channel when training").
//   eval:  y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta.
// The train forward saves mean and invstd per channel for the backward pass.
// Gradient convention: dx is OVERWRITTEN; dgamma and dbeta are ACCUMULATED (+=).
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "salt/core/shape.hpp"
#include "salt/core/op_params.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

using salt::BatchNormParams;  // core/op_params.hpp

namespace detail {
// Values each channel's batch statistics are taken over in training; one value has no variance,
// which PyTorch refuses with this message too.
inline std::size_t training_values_per_channel(const char* op, Shape s, int batch) {
    const std::size_t m = std::size_t(batch) * s.pixels();
    if (m == 1)
        fail(op, "Expected more than 1 value per channel when training, got batch=", batch, " and shape ", str(s));
    return m;
}

inline void check_batch_norm(const char* op, Shape s, int batch, const BatchNormParams* bp) {
    check_shape_batch(op, s, batch);
    if (bp) {
        if (!(bp->eps >= 0.0)) fail(op, "eps must be non-negative, got ", bp->eps);
        if (!(bp->momentum >= 0.0 && bp->momentum <= 1.0)) fail(op, "momentum must be in [0, 1], got ", bp->momentum);
    }
}
}  // namespace detail

template <class T>
void batch_norm_forward_train(Shape s, int batch, const BatchNormParams& bp, const T* x,
                              const T* gamma, const T* beta, T* running_mean, T* running_var, T* y, T* saved_mean,
                              T* saved_invstd) {
    constexpr const char* op = "batch_norm_forward_train";
    detail::check_batch_norm(op, s, batch, &bp);
    const std::size_t m = detail::training_values_per_channel(op, s, batch);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, gamma, "gamma");
    detail::check_ptr(op, beta, "beta");
    detail::check_ptr(op, running_mean, "running_mean");
    detail::check_ptr(op, running_var, "running_var");
    detail::check_ptr(op, y, "y");
    detail::check_ptr(op, saved_mean, "saved_mean");
    detail::check_ptr(op, saved_invstd, "saved_invstd");
    using A = detail::acc_t<T>;
    const int C = s.c;
    std::vector<A> mean(static_cast<std::size_t>(C), A(0)), var(static_cast<std::size_t>(C), A(0));
    for (std::size_t r = 0; r < m; ++r)
        for (int c = 0; c < C; ++c) mean[c] += A(x[r * C + c]);
    for (int c = 0; c < C; ++c) mean[c] /= A(m);
    for (std::size_t r = 0; r < m; ++r)
        for (int c = 0; c < C; ++c) {
            const A d = A(x[r * C + c]) - mean[c];
            var[c] += d * d;
        }
    const A mom = A(bp.momentum);
    for (int c = 0; c < C; ++c) {
        const A biased = var[c] / A(m);
        const A unbiased = var[c] / A(m - 1);
        const A invstd = A(1) / std::sqrt(biased + A(bp.eps));
        saved_mean[c] = T(mean[c]);
        saved_invstd[c] = T(invstd);
        running_mean[c] = T((A(1) - mom) * A(running_mean[c]) + mom * mean[c]);
        running_var[c] = T((A(1) - mom) * A(running_var[c]) + mom * unbiased);
        var[c] = invstd;  // reuse as invstd below
    }
    for (std::size_t r = 0; r < m; ++r)
        for (int c = 0; c < C; ++c)
            y[r * C + c] = T((A(x[r * C + c]) - mean[c]) * var[c] * A(gamma[c]) + A(beta[c]));
}

template <class T>
void batch_norm_forward_eval(Shape s, int batch, const BatchNormParams& bp, const T* x,
                             const T* gamma, const T* beta, const T* running_mean, const T* running_var, T* y) {
    constexpr const char* op = "batch_norm_forward_eval";
    detail::check_batch_norm(op, s, batch, &bp);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, gamma, "gamma");
    detail::check_ptr(op, beta, "beta");
    detail::check_ptr(op, running_mean, "running_mean");
    detail::check_ptr(op, running_var, "running_var");
    detail::check_ptr(op, y, "y");
    using A = detail::acc_t<T>;
    const int C = s.c;
    const std::size_t m = std::size_t(batch) * s.pixels();
    std::vector<A> invstd(static_cast<std::size_t>(C));
    for (int c = 0; c < C; ++c) {
        const A v = A(running_var[c]) + A(bp.eps);
        if (!(v > A(0)))
            detail::fail(op, "running_var + eps must be positive, channel ", c, " has ", double(v));
        invstd[c] = A(1) / std::sqrt(v);
    }
    for (std::size_t r = 0; r < m; ++r)
        for (int c = 0; c < C; ++c)
            y[r * C + c] = T((A(x[r * C + c]) - A(running_mean[c])) * invstd[c] * A(gamma[c]) + A(beta[c]));
}

// With xhat = (x - mean) * invstd, g = dy * gamma:
//   dx = invstd / m * (m * g - sum g - xhat * sum(g * xhat)) = gamma * invstd / m * (m*dy - sum dy - xhat * sum(dy*xhat))
//   dgamma += sum(dy * xhat), dbeta += sum(dy).
template <class T>
void batch_norm_backward_train(Shape s, int batch, const T* x, const T* dy, const T* gamma,
                               const T* saved_mean, const T* saved_invstd, T* dx, T* dgamma, T* dbeta) {
    constexpr const char* op = "batch_norm_backward_train";
    detail::check_batch_norm(op, s, batch, nullptr);
    const std::size_t m = detail::training_values_per_channel(op, s, batch);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, dy, "dy");
    detail::check_ptr(op, gamma, "gamma");
    detail::check_ptr(op, saved_mean, "saved_mean");
    detail::check_ptr(op, saved_invstd, "saved_invstd");
    detail::check_ptr(op, dx, "dx");
    detail::check_ptr(op, dgamma, "dgamma");
    detail::check_ptr(op, dbeta, "dbeta");
    using A = detail::acc_t<T>;
    const int C = s.c;
    std::vector<A> sum_dy(static_cast<std::size_t>(C), A(0)), sum_dy_xhat(static_cast<std::size_t>(C), A(0));
    for (std::size_t r = 0; r < m; ++r)
        for (int c = 0; c < C; ++c) {
            const A xhat = (A(x[r * C + c]) - A(saved_mean[c])) * A(saved_invstd[c]);
            sum_dy[c] += A(dy[r * C + c]);
            sum_dy_xhat[c] += A(dy[r * C + c]) * xhat;
        }
    for (std::size_t r = 0; r < m; ++r)
        for (int c = 0; c < C; ++c) {
            const A invstd = A(saved_invstd[c]);
            const A xhat = (A(x[r * C + c]) - A(saved_mean[c])) * invstd;
            dx[r * C + c] = T(A(gamma[c]) * invstd / A(m) *
                              (A(m) * A(dy[r * C + c]) - sum_dy[c] - xhat * sum_dy_xhat[c]));
        }
    for (int c = 0; c < C; ++c) {
        dgamma[c] = T(A(dgamma[c]) + sum_dy_xhat[c]);
        dbeta[c] = T(A(dbeta[c]) + sum_dy[c]);
    }
}

// Eval mode is an affine map per channel: dx = dy * gamma * invstd, dgamma += sum(dy * xhat), dbeta += sum(dy).
template <class T>
void batch_norm_backward_eval(Shape s, int batch, const BatchNormParams& bp, const T* x,
                              const T* dy, const T* gamma, const T* running_mean, const T* running_var, T* dx,
                              T* dgamma, T* dbeta) {
    constexpr const char* op = "batch_norm_backward_eval";
    detail::check_batch_norm(op, s, batch, &bp);
    detail::check_ptr(op, x, "x");
    detail::check_ptr(op, dy, "dy");
    detail::check_ptr(op, gamma, "gamma");
    detail::check_ptr(op, running_mean, "running_mean");
    detail::check_ptr(op, running_var, "running_var");
    detail::check_ptr(op, dx, "dx");
    detail::check_ptr(op, dgamma, "dgamma");
    detail::check_ptr(op, dbeta, "dbeta");
    using A = detail::acc_t<T>;
    const int C = s.c;
    const std::size_t m = std::size_t(batch) * s.pixels();
    std::vector<A> invstd(static_cast<std::size_t>(C)), sum_dy(static_cast<std::size_t>(C), A(0)), sum_dy_xhat(static_cast<std::size_t>(C), A(0));
    for (int c = 0; c < C; ++c) {
        const A v = A(running_var[c]) + A(bp.eps);
        if (!(v > A(0)))
            detail::fail(op, "running_var + eps must be positive, channel ", c, " has ", double(v));
        invstd[c] = A(1) / std::sqrt(v);
    }
    for (std::size_t r = 0; r < m; ++r)
        for (int c = 0; c < C; ++c) {
            const A g = A(dy[r * C + c]);
            const A xhat = (A(x[r * C + c]) - A(running_mean[c])) * invstd[c];
            sum_dy[c] += g;
            sum_dy_xhat[c] += g * xhat;
            dx[r * C + c] = T(g * A(gamma[c]) * invstd[c]);
        }
    for (int c = 0; c < C; ++c) {
        dgamma[c] = T(A(dgamma[c]) + sum_dy_xhat[c]);
        dbeta[c] = T(A(dbeta[c]) + sum_dy[c]);
    }
}

}  // namespace salt::ops
