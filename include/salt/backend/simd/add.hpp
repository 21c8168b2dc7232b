// salt/backend/simd/add.hpp — residual add, its backward, and accumulate, simd backend (fp32);
// same semantics as salt/ops/add.hpp (y may alias a or b; da/db may alias dy or be null).
#pragma once

#include <cstddef>
#include <cstring>

#include "salt/backend/simd/detail.hpp"
#include "salt/backend/simd/simd.hpp"
#include "salt/ops/add.hpp"

namespace salt::ops {

inline void add_forward(backend::simd, std::size_t n, const float* a, const float* b, float* y) {
    if (n == 0) return;
    detail::check_ptr("add_forward", a, "a");
    detail::check_ptr("add_forward", b, "b");
    detail::check_ptr("add_forward", y, "y");
    using namespace backend::simd_kernels;
    parallel_range(n, [&](std::size_t s, std::size_t e) {
        std::size_t i = s;
        for (; i + kLanes <= e; i += kLanes)
            (vfloat::load_unaligned(a + i) + vfloat::load_unaligned(b + i)).store_unaligned(y + i);
        for (; i < e; ++i) y[i] = a[i] + b[i];
    });
}

inline void add_backward(backend::simd, std::size_t n, const float* dy, float* da, float* db) {
    if (n == 0) return;
    detail::check_ptr("add_backward", dy, "dy");
    using namespace backend::simd_kernels;
    parallel_range(n, [&](std::size_t s, std::size_t e) {
        if (da && da != dy) std::memcpy(da + s, dy + s, (e - s) * sizeof(float));
        if (db && db != dy) std::memcpy(db + s, dy + s, (e - s) * sizeof(float));
    });
}

inline void accumulate(backend::simd, std::size_t n, const float* src, float* dst) {
    if (n == 0) return;
    detail::check_ptr("accumulate", src, "src");
    detail::check_ptr("accumulate", dst, "dst");
    using namespace backend::simd_kernels;
    parallel_range(n, [&](std::size_t s, std::size_t e) {
        std::size_t i = s;
        for (; i + kLanes <= e; i += kLanes)
            (vfloat::load_unaligned(dst + i) + vfloat::load_unaligned(src + i)).store_unaligned(dst + i);
        for (; i < e; ++i) dst[i] += src[i];
    });
}

}  // namespace salt::ops
