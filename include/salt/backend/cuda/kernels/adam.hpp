// salt/backend/cuda/kernels/adam.hpp — the Adam / AdamW update in one pass: each thread reads p, g,
// m, v of one element and writes p, m, v (16 bytes in, 12 out), with the very function the
// reference loops over (ops::adam_update_element, SALT_HD), so the float arithmetic (each op
// rounded once, the same fmas) is the reference's. The scalars are formed on the host once per call
// (ops::adam_scalars) and travel in the kernel's arguments.
#pragma once

#include <cstddef>

#include "salt/backend/cuda/kernels/elementwise.hpp"
#include "salt/core/hd.hpp"
#include "salt/ops/adam.hpp"

namespace salt::backend::cuda {
namespace kernels {

// ops/adam.hpp adam_step: adam_update_element(c, param[i], grad[i], m[i], v[i]) for every i
struct AdamUpdate {
    ops::AdamScalars<float> c;
    float* param;
    const float* grad;
    float* m;
    float* v;
    SALT_HD void operator()(std::size_t i) const { ops::adam_update_element(c, param[i], grad[i], m[i], v[i]); }
};

}  // namespace kernels

template <class Ex>
void adam_step(Ex& ex, std::size_t n, const AdamStep& s, bool decay, float* param, const float* grad, float* m,
               float* v) {
    constexpr const char* op = "adam_step";
    ops::check_adam_step(op, s);
    if (n == 0) return;
    ops::detail::check_ptr(op, param, "param");
    ops::detail::check_ptr(op, grad, "grad");
    ops::detail::check_ptr(op, m, "m");
    ops::detail::check_ptr(op, v, "v");
    launch_each(ex, op, n, kernels::AdamUpdate{ops::adam_scalars<float>(s, decay), param, grad, m, v});
}

}  // namespace salt::backend::cuda
