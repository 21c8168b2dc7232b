// salt/backend/simd/adam.hpp — the Adam / AdamW update for the simd backend (fp32): the reference's
// per-element function (ops::adam_update_element, torch float32 arithmetic) over all threads and
// vector lanes. Element-wise and independent, so the result is the reference's bit for bit
// whatever the split.
#pragma once

#include <cstddef>

#include "salt/backend/simd/detail.hpp"
#include "salt/ops/adam.hpp"

namespace salt::backend::simd {

inline void adam_step(Device& dev, std::size_t n, const AdamStep& s, bool decay, float* param, const float* grad,
                      float* m, float* v) {
    constexpr const char* op = "adam_step";
    ops::check_adam_step(op, s);
    if (n == 0) return;
    ops::detail::check_ptr(op, param, "param");
    ops::detail::check_ptr(op, grad, "grad");
    ops::detail::check_ptr(op, m, "m");
    ops::detail::check_ptr(op, v, "v");
    const auto c = ops::adam_scalars<float>(s, decay);
    const long count = long(n);
    const int threads = count >= 65536 && !omp_in_parallel() ? dev.threads() : 1;
#pragma omp parallel for simd schedule(static) num_threads(threads)
    for (long i = 0; i < count; ++i) ops::adam_update_element(c, param[i], grad[i], m[i], v[i]);
}

}  // namespace salt::backend::simd
