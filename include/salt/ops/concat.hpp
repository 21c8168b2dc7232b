// salt/ops/concat.hpp — concatenation along channels of NHWC tensors with equal batch, height and
// width (the ASPP branches), reference backend. `rows` is batch*h*w; input i has channels[i]
// channels, so it is a rows x channels[i] matrix; the output is rows x sum(channels).
//   forward:  y[r, off_i + c] = inputs[i][r, c], off_i = channels[0] + ... + channels[i-1].
//   backward: dinputs[i][r, c] = dy[r, off_i + c] (OVERWRITTEN); a null dinputs[i] skips input i.
#pragma once

#include <cstddef>
#include <span>

#include "salt/core/shape.hpp"
#include "salt/ops/detail.hpp"

namespace salt::ops {

namespace detail {
inline std::size_t check_concat(const char* op, std::span<const int> channels, std::size_t pointers) {
    if (channels.empty()) fail(op, "needs at least one input");
    if (pointers != channels.size())
        fail(op, "got ", channels.size(), " channel counts but ", pointers, " tensors");
    std::size_t total = 0;
    for (std::size_t i = 0; i < channels.size(); ++i) {
        if (channels[i] <= 0) fail(op, "input ", i, " has ", channels[i], " channels; every count must be positive");
        total += std::size_t(channels[i]);
    }
    return total;
}
}  // namespace detail

template <class T>
void concat_channels_forward(std::size_t rows, std::span<const int> channels,
                             std::span<const T* const> inputs, T* y) {
    constexpr const char* op = "concat_channels_forward";
    const std::size_t total = detail::check_concat(op, channels, inputs.size());
    if (rows == 0) return;
    detail::check_ptr(op, y, "y");
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!inputs[i]) detail::fail(op, "input ", i, " is null");
    std::size_t off = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const std::size_t ci = std::size_t(channels[i]);
        const T* src = inputs[i];
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < ci; ++c) y[r * total + off + c] = src[r * ci + c];
        off += ci;
    }
}

template <class T>
void concat_channels_backward(std::size_t rows, std::span<const int> channels, const T* dy,
                              std::span<T* const> dinputs) {
    constexpr const char* op = "concat_channels_backward";
    const std::size_t total = detail::check_concat(op, channels, dinputs.size());
    if (rows == 0) return;
    detail::check_ptr(op, dy, "dy");
    std::size_t off = 0;
    for (std::size_t i = 0; i < dinputs.size(); ++i) {
        const std::size_t ci = std::size_t(channels[i]);
        if (T* dst = dinputs[i])
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t c = 0; c < ci; ++c) dst[r * ci + c] = dy[r * total + off + c];
        off += ci;
    }
}

}  // namespace salt::ops
