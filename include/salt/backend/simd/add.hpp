// salt/backend/simd/add.hpp — residual add, its backward, and accumulate, simd backend (fp32);
// same semantics as salt/ops/add.hpp (y may alias a or b; da/db may alias dy or be null).
#pragma once

#include <cstddef>
#include <cstring>

#include "salt/backend/simd/detail.hpp"
#include "salt/ops/add.hpp"

namespace salt::backend::simd {

inline void add_forward(Device& dev, std::size_t n, const float* a, const float* b, float* y) {
    if (n == 0) return;
    ops::detail::check_ptr("add_forward", a, "a");
    ops::detail::check_ptr("add_forward", b, "b");
    ops::detail::check_ptr("add_forward", y, "y");
    parallel_range(dev, n, [&](std::size_t s, std::size_t e) {
        std::size_t i = s;
        for (; i + kLanes <= e; i += kLanes)
            (vfloat::load_unaligned(a + i) + vfloat::load_unaligned(b + i)).store_unaligned(y + i);
        for (; i < e; ++i) y[i] = a[i] + b[i];
    });
}

inline void add_backward(Device& dev, std::size_t n, const float* dy, float* da, float* db) {
    if (n == 0) return;
    ops::detail::check_ptr("add_backward", dy, "dy");
    parallel_range(dev, n, [&](std::size_t s, std::size_t e) {
        if (da && da != dy) std::memcpy(da + s, dy + s, (e - s) * sizeof(float));
        if (db && db != dy) std::memcpy(db + s, dy + s, (e - s) * sizeof(float));
    });
}

inline void accumulate(Device& dev, std::size_t n, const float* src, float* dst) {
    if (n == 0) return;
    ops::detail::check_ptr("accumulate", src, "src");
    ops::detail::check_ptr("accumulate", dst, "dst");
    parallel_range(dev, n, [&](std::size_t s, std::size_t e) {
        std::size_t i = s;
        for (; i + kLanes <= e; i += kLanes)
            (vfloat::load_unaligned(dst + i) + vfloat::load_unaligned(src + i)).store_unaligned(dst + i);
        for (; i < e; ++i) dst[i] += src[i];
    });
}

}  // namespace salt::backend::simd
