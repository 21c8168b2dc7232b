// salt/backend/simd/concat.hpp — channel concatenation, simd backend (fp32): row copies, threads
// over rows. Same semantics as salt/ops/concat.hpp.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>

#include "salt/backend/simd/detail.hpp"
#include "salt/ops/concat.hpp"

namespace salt::backend::simd {

inline void concat_channels_forward(Device& dev, std::size_t rows, std::span<const int> channels,
                                    std::span<const float* const> inputs, float* y) {
    constexpr const char* op = "concat_channels_forward";
    const std::size_t total = ops::detail::check_concat(op, channels, inputs.size());
    if (rows == 0) return;
    ops::detail::check_ptr(op, y, "y");
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!inputs[i]) ops::detail::fail(op, "input ", i, " is null");
    parallel_for(dev, int(rows), rows * total, [&](int r) {
        std::size_t off = 0;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            const std::size_t ci = std::size_t(channels[i]);
            std::memcpy(y + std::size_t(r) * total + off, inputs[i] + std::size_t(r) * ci, ci * sizeof(float));
            off += ci;
        }
    });
}

inline void concat_channels_backward(Device& dev, std::size_t rows, std::span<const int> channels,
                                     const float* dy, std::span<float* const> dinputs) {
    constexpr const char* op = "concat_channels_backward";
    const std::size_t total = ops::detail::check_concat(op, channels, dinputs.size());
    if (rows == 0) return;
    ops::detail::check_ptr(op, dy, "dy");
    parallel_for(dev, int(rows), rows * total, [&](int r) {
        std::size_t off = 0;
        for (std::size_t i = 0; i < dinputs.size(); ++i) {
            const std::size_t ci = std::size_t(channels[i]);
            if (float* dst = dinputs[i])
                std::memcpy(dst + std::size_t(r) * ci, dy + std::size_t(r) * total + off, ci * sizeof(float));
            off += ci;
        }
    });
}

}  // namespace salt::backend::simd
