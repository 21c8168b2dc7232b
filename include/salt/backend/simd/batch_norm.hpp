// salt/backend/simd/batch_norm.hpp — BatchNorm2d for the simd backend (fp32), same semantics as
// salt/ops/batch_norm.hpp (biased variance to normalise, unbiased for running_var; dx
// OVERWRITTEN, dgamma/dbeta ACCUMULATED).
//
// Per-channel sums run over channel blocks of one vector each, one thread per block, rows in a
// fixed order, float partial sums of 64 rows added in double (detail.hpp: column_sum), so the
// statistics are deterministic and about as accurate as a double accumulation. The element-wise
// passes run over row blocks.
#pragma once

#include <cmath>
#include <cstddef>

#include "salt/backend/simd/detail.hpp"
#include "salt/ops/batch_norm.hpp"

namespace salt::backend::simd {

namespace simd_bn {

// y[r, c] = (x[r, c] - sub[c]) * mul[c] + add[c] over all rows, threads over row blocks.
// With relu, then y = y < 0 ? 0 : y (relu.hpp's expression).
inline void affine(Device& dev, std::size_t m, int C, const float* x, const float* sub, const float* mul, const float* add,
                   float* y, bool relu = false) {
    const int blocks = int((m + 63) / 64);
    parallel_for(dev, blocks, m * C, [&](int b) {
        const std::size_t r0 = std::size_t(b) * 64, r1 = std::min(m, r0 + 64);
        const vfloat zero(0.f);
        for (int c0 = 0; c0 < C; c0 += kLanes) {
            const vfloat s = load_c(sub, c0, C), mu = load_c(mul, c0, C), a = load_c(add, c0, C);
            if (relu) {
                for (std::size_t r = r0; r < r1; ++r) {
                    const vfloat v = (load_c(x + r * C, c0, C) - s) * mu + a;
                    store_c(y + r * C, xsimd::select(v < zero, zero, v), c0, C);
                }
            } else {
                for (std::size_t r = r0; r < r1; ++r)
                    store_c(y + r * C, (load_c(x + r * C, c0, C) - s) * mu + a, c0, C);
            }
        }
    });
}

// The gradient reaching the batch norm: dy, or with a ReLU after it (y = its output), y > 0 ? dy : 0
// (relu_backward's expression).
inline vfloat grad_in(const float* dy, const float* y, std::size_t r, int c0, int C) {
    const vfloat g = load_c(dy + r * C, c0, C);
    if (!y) return g;
    return xsimd::select(load_c(y + r * C, c0, C) > vfloat(0.f), g, vfloat(0.f));
}

// Per channel: s1 = sum g, s2 = sum g * (x - mean) * invstd (in double), g = grad_in(dy, y): one
// pass over the rows for both sums (blocks of 64 rows summed in float, added in double, as
// column_sum).
inline void grad_sums(Device& dev, std::size_t m, int C, const float* x, const float* dy, const float* mean, const float* invstd,
                      double* s1, double* s2, const float* y = nullptr) {
    const int cb = (C + kLanes - 1) / kLanes;
    parallel_for(dev, cb, m * C, [&](int b) {
        const int c0 = b * kLanes;
        const vfloat mu = load_c(mean, c0, C), is = load_c(invstd, c0, C);
        double a[kLanes] = {}, q[kLanes] = {};
        alignas(64) float ta[kLanes], tq[kLanes];
        for (std::size_t r0 = 0; r0 < m; r0 += 64) {
            const std::size_t r1 = std::min(m, r0 + 64);
            vfloat acc_a(0.f), acc_q(0.f);
            for (std::size_t r = r0; r < r1; ++r) {
                const vfloat g = grad_in(dy, y, r, c0, C);
                acc_a += g;
                acc_q += g * ((load_c(x + r * C, c0, C) - mu) * is);
            }
            acc_a.store_aligned(ta);
            acc_q.store_aligned(tq);
            for (int j = 0; j < kLanes; ++j) a[j] += double(ta[j]), q[j] += double(tq[j]);
        }
        for (int j = 0; j < kLanes && c0 + j < C; ++j) s1[c0 + j] = a[j], s2[c0 + j] = q[j];
    });
}
}  // namespace simd_bn

inline void batch_norm_forward_train_impl(Device& dev, const char* op, Shape s, int batch, const BatchNormParams& bp,
                                          const float* x, const float* gamma, const float* beta, float* running_mean,
                                          float* running_var, float* y, float* saved_mean, float* saved_invstd,
                                          bool relu) {
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
    const int cb = (C + kLanes - 1) / kLanes;
    float* mean_f = dev.scratch(std::size_t(C), 0);
    float* scale = dev.scratch(std::size_t(C), 1);
    parallel_for(dev, cb, m * C, [&](int b) {
        const int c0 = b * kLanes;
        double sum[kLanes], sq[kLanes];
        column_sum(m, [&](std::size_t r) { return load_c(x + r * C, c0, C); }, sum);
        alignas(64) float mu[kLanes] = {};
        double mean[kLanes];
        for (int j = 0; j < kLanes; ++j) mean[j] = sum[j] / double(m), mu[j] = float(mean[j]);
        const vfloat muv = vfloat::load_aligned(mu);
        column_sum(m, [&](std::size_t r) {
            const vfloat d = load_c(x + r * C, c0, C) - muv;
            return d * d;
        }, sq);
        const double mom = bp.momentum;
        for (int j = 0; j < kLanes && c0 + j < C; ++j) {
            const int c = c0 + j;
            // sum (x - mu)^2 with the rounded mean mu; correct it to the exact mean: the
            // deviation from mean is (x - mu) - (mean - mu), so subtract m * (mean - mu)^2.
            const double e = mean[j] - double(mu[j]);
            const double var_sum = std::max(0.0, sq[j] - double(m) * e * e);
            const double biased = var_sum / double(m), unbiased = var_sum / double(m - 1);
            const double invstd = 1.0 / std::sqrt(biased + bp.eps);
            saved_mean[c] = float(mean[j]);
            saved_invstd[c] = float(invstd);
            running_mean[c] = float((1.0 - mom) * double(running_mean[c]) + mom * mean[j]);
            running_var[c] = float((1.0 - mom) * double(running_var[c]) + mom * unbiased);
            mean_f[c] = float(mean[j]);
            scale[c] = float(invstd * double(gamma[c]));
        }
    });
    simd_bn::affine(dev, m, C, x, mean_f, scale, beta, y, relu);
}

inline void batch_norm_forward_train(Device& dev, Shape s, int batch, const BatchNormParams& bp, const float* x,
                                     const float* gamma, const float* beta, float* running_mean, float* running_var,
                                     float* y, float* saved_mean, float* saved_invstd) {
    batch_norm_forward_train_impl(dev, "batch_norm_forward_train", s, batch, bp, x, gamma, beta, running_mean, running_var,
                                  y, saved_mean, saved_invstd, false);
}

// Training BatchNorm followed by a ReLU, one pass for both: y = relu(batch_norm(x)). Same results
// as batch_norm_forward_train then relu_forward of this backend. Used by the layers (nn/) when the
// backend has it.
inline void batch_norm_relu_forward_train(Device& dev, Shape s, int batch, const BatchNormParams& bp,
                                          const float* x, const float* gamma, const float* beta, float* running_mean,
                                          float* running_var, float* y, float* saved_mean, float* saved_invstd) {
    batch_norm_forward_train_impl(dev, "batch_norm_relu_forward_train", s, batch, bp, x, gamma, beta, running_mean,
                                  running_var, y, saved_mean, saved_invstd, true);
}

inline void batch_norm_forward_eval(Device& dev, Shape s, int batch, const BatchNormParams& bp, const float* x,
                                    const float* gamma, const float* beta, const float* running_mean,
                                    const float* running_var, float* y) {
    constexpr const char* op = "batch_norm_forward_eval";
    ops::detail::check_batch_norm(op, s, batch, &bp);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, gamma, "gamma");
    ops::detail::check_ptr(op, beta, "beta");
    ops::detail::check_ptr(op, running_mean, "running_mean");
    ops::detail::check_ptr(op, running_var, "running_var");
    ops::detail::check_ptr(op, y, "y");
    const int C = s.c;
    float* scale = dev.scratch(std::size_t(C), 1);
    for (int c = 0; c < C; ++c) {
        const double v = double(running_var[c]) + bp.eps;
        if (!(v > 0.0)) ops::detail::fail(op, "running_var + eps must be positive, channel ", c, " has ", v);
        scale[c] = float(double(gamma[c]) / std::sqrt(v));
    }
    simd_bn::affine(dev, std::size_t(batch) * s.pixels(), C, x, running_mean, scale, beta, y);
}

inline void batch_norm_backward_train_impl(Device& dev, const char* op, Shape s, int batch, const float* x, const float* y,
                                           const float* dy, const float* gamma, const float* saved_mean,
                                           const float* saved_invstd, float* dx, float* dgamma, float* dbeta) {
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
    double* sums = reinterpret_cast<double*>(dev.scratch(std::size_t(C) * 4, 0));
    double *s1 = sums, *s2 = sums + C;
    simd_bn::grad_sums(dev, m, C, x, dy, saved_mean, saved_invstd, s1, s2, y);
    // dx = gamma * invstd * (dy - s1/m - xhat * s2/m), xhat = (x - mean) * invstd
    float* a = dev.scratch(std::size_t(C), 1);
    float* b = dev.scratch(std::size_t(C), 2);
    float* q = dev.scratch(std::size_t(C), 3);
    for (int c = 0; c < C; ++c) {
        a[c] = float(double(gamma[c]) * double(saved_invstd[c]));
        b[c] = float(s1[c] / double(m));
        q[c] = float(s2[c] / double(m) * double(saved_invstd[c]));
    }
    const int blocks = int((m + 63) / 64);
    parallel_for(dev, blocks, m * C, [&](int blk) {
        const std::size_t r0 = std::size_t(blk) * 64, r1 = std::min(m, r0 + 64);
        for (int c0 = 0; c0 < C; c0 += kLanes) {
            const vfloat av = load_c(a, c0, C), bv = load_c(b, c0, C), qv = load_c(q, c0, C),
                         mu = load_c(saved_mean, c0, C);
            for (std::size_t r = r0; r < r1; ++r) {
                const vfloat g = simd_bn::grad_in(dy, y, r, c0, C), xv = load_c(x + r * C, c0, C);
                store_c(dx + r * C, av * (g - bv - (xv - mu) * qv), c0, C);
            }
        }
    });
    for (int c = 0; c < C; ++c) {
        dgamma[c] = float(double(dgamma[c]) + s2[c]);
        dbeta[c] = float(double(dbeta[c]) + s1[c]);
    }
}

inline void batch_norm_backward_train(Device& dev, Shape s, int batch, const float* x, const float* dy,
                                      const float* gamma, const float* saved_mean, const float* saved_invstd,
                                      float* dx, float* dgamma, float* dbeta) {
    batch_norm_backward_train_impl(dev, "batch_norm_backward_train", s, batch, x, nullptr, dy, gamma, saved_mean,
                                   saved_invstd, dx, dgamma, dbeta);
}

// Backward of batch_norm_relu_forward_train: y is its output (the ReLU's), dy the gradient of y.
// The same as relu_backward then batch_norm_backward_train of this backend, in one pass less and
// without overwriting dy. dx may alias dy.
inline void batch_norm_relu_backward_train(Device& dev, Shape s, int batch, const float* x, const float* y,
                                           const float* dy, const float* gamma, const float* saved_mean,
                                           const float* saved_invstd, float* dx, float* dgamma, float* dbeta) {
    ops::detail::check_ptr("batch_norm_relu_backward_train", y, "y");
    batch_norm_backward_train_impl(dev, "batch_norm_relu_backward_train", s, batch, x, y, dy, gamma, saved_mean,
                                   saved_invstd, dx, dgamma, dbeta);
}

inline void batch_norm_backward_eval(Device& dev, Shape s, int batch, const BatchNormParams& bp, const float* x,
                                     const float* dy, const float* gamma, const float* running_mean,
                                     const float* running_var, float* dx, float* dgamma, float* dbeta) {
    constexpr const char* op = "batch_norm_backward_eval";
    ops::detail::check_batch_norm(op, s, batch, &bp);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, gamma, "gamma");
    ops::detail::check_ptr(op, running_mean, "running_mean");
    ops::detail::check_ptr(op, running_var, "running_var");
    ops::detail::check_ptr(op, dx, "dx");
    ops::detail::check_ptr(op, dgamma, "dgamma");
    ops::detail::check_ptr(op, dbeta, "dbeta");
    const int C = s.c;
    const std::size_t m = std::size_t(batch) * s.pixels();
    float* invstd = dev.scratch(std::size_t(C), 1);
    float* a = dev.scratch(std::size_t(C), 2);
    float* zero = dev.scratch(std::size_t(C), 3);
    for (int c = 0; c < C; ++c) {
        const double v = double(running_var[c]) + bp.eps;
        if (!(v > 0.0)) ops::detail::fail(op, "running_var + eps must be positive, channel ", c, " has ", v);
        invstd[c] = float(1.0 / std::sqrt(v));
        a[c] = float(double(gamma[c]) / std::sqrt(v));
        zero[c] = 0.f;
    }
    double* sums = reinterpret_cast<double*>(dev.scratch(std::size_t(C) * 4, 0));
    simd_bn::grad_sums(dev, m, C, x, dy, running_mean, invstd, sums, sums + C);
    simd_bn::affine(dev, m, C, dy, zero, a, zero, dx);
    for (int c = 0; c < C; ++c) {
        dgamma[c] = float(double(dgamma[c]) + sums[C + c]);
        dbeta[c] = float(double(dbeta[c]) + sums[c]);
    }
}

}  // namespace salt::backend::simd
