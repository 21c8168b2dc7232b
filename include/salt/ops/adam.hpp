// salt/ops/adam.hpp — one Adam / AdamW update of a parameter tensor, reference kernel.
//
// torch.optim.Adam / AdamW (1.13, amsgrad=False, maximize=False), step k = s.step:
//   Adam with weight decay wd:  g = g + wd p              (L2 added to the gradient)
//   AdamW:                      p = p (1 - lr wd)         (decoupled, before the update)
//   m = m beta1 + (1 - beta1) g
//   v = v beta2 + (1 - beta2) g^2
//   p = p - (lr / (1 - beta1^k)) m / (sqrt(v) / sqrt(1 - beta2^k) + eps)
// Weight decay applies only when `decay` is true (the caller passes false for BN parameters and
// biases, as torch's two parameter groups do).
//
// Precision. double: every tensor op of torch's sequence is evaluated in double with the
// Python-float scalars cast first, as torch's CPU kernels do for a float64 tensor. float: the same
// sequence in float — each +, -, *, / and sqrt correctly rounded, and r(x + c*y) with c*y exact in
// double written as fma(c, y, x) — which matches torch float32 bit for bit in the optimizer test.
// The per-element update is one SALT_HD function, so a GPU kernel runs exactly this arithmetic.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "salt/core/hd.hpp"
#include "salt/core/op_params.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

// The scalars of one update, cast to T as torch casts Python floats for a T tensor op.
template <class T>
struct AdamScalars {
    T b1, b2, one_b1, one_b2, bc2_sqrt, eps, neg_step, wd, shrink;
    bool l2, decoupled;
};

template <class T>
AdamScalars<T> adam_scalars(const AdamStep& s, bool decay) {
    const double k = double(s.step);
    const double bc1 = 1.0 - std::pow(s.beta1, k);
    const double bc2 = 1.0 - std::pow(s.beta2, k);
    const bool d = decay && s.weight_decay != 0.0;
    return AdamScalars<T>{T(s.beta1),          T(s.beta2),        T(1.0 - s.beta1), T(1.0 - s.beta2),
                          T(std::sqrt(bc2)),   T(s.eps),          T(-(s.lr / bc1)), T(s.weight_decay),
                          T(1.0 - s.lr * s.weight_decay), d && !s.decoupled, d && s.decoupled};
}

// One element: p, m, v updated in place from g.
template <class T>
SALT_HD inline void adam_update_element(const AdamScalars<T>& c, T& p, T g, T& m, T& v) {
    if constexpr (std::is_same_v<T, float>) {
        float pi = p, gi = g;
        if (c.l2) gi = fmaf(c.wd, pi, gi);
        if (c.decoupled) pi = pi * c.shrink;
        const float mi = fmaf(c.one_b1, gi, m * c.b1);
        const float vi = fmaf(c.one_b2 * gi, gi, v * c.b2);
        const float denom = sqrtf(vi) / c.bc2_sqrt + c.eps;
        m = mi;
        v = vi;
        p = pi + c.neg_step * mi / denom;
    } else {
        T pi = p, gi = g;
        if (c.l2) gi = gi + c.wd * pi;                 // grad.add(param, alpha=wd)
        if (c.decoupled) pi = pi * c.shrink;           // param.mul_(1 - lr wd)
        const T mi = m * c.b1 + c.one_b1 * gi;         // exp_avg.mul_(b1).add_(g, 1-b1)
        const T vi = v * c.b2 + c.one_b2 * gi * gi;    // exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2)
        const T denom = sqrt(vi) / c.bc2_sqrt + c.eps; // (sqrt(v) / sqrt(bc2)).add_(eps)
        m = mi;
        v = vi;
        p = pi + c.neg_step * mi / denom;              // param.addcdiv_(m, denom, value=-lr/bc1)
    }
}

inline void check_adam_step(const char* op, const AdamStep& s) {
    if (s.step < 1) detail::fail(op, "the step number must be at least 1, got ", s.step);
    if (!(s.lr >= 0.0)) detail::fail(op, "lr must be >= 0, got ", s.lr);
    if (!(s.beta1 >= 0.0 && s.beta1 < 1.0)) detail::fail(op, "beta1 must be in [0, 1), got ", s.beta1);
    if (!(s.beta2 >= 0.0 && s.beta2 < 1.0)) detail::fail(op, "beta2 must be in [0, 1), got ", s.beta2);
    if (!(s.eps >= 0.0)) detail::fail(op, "eps must be >= 0, got ", s.eps);
    if (!(s.weight_decay >= 0.0)) detail::fail(op, "weight_decay must be >= 0, got ", s.weight_decay);
}

template <class T>
void adam_step(std::size_t n, const AdamStep& s, bool decay, T* param, const T* grad, T* m, T* v) {
    static_assert(std::is_floating_point_v<T>, "adam_step: T must be float or double");
    constexpr const char* op = "adam_step";
    check_adam_step(op, s);
    if (n == 0) return;
    detail::check_ptr(op, param, "param");
    detail::check_ptr(op, grad, "grad");
    detail::check_ptr(op, m, "m");
    detail::check_ptr(op, v, "v");
    using std::sqrt;
    const auto c = adam_scalars<T>(s, decay);
    for (std::size_t i = 0; i < n; ++i) adam_update_element(c, param[i], grad[i], m[i], v[i]);
}

}  // namespace salt::ops
