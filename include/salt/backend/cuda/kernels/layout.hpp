// salt/backend/cuda/kernels/layout.hpp — ops that only move values: channel concatenation (forward
// and backward), the horizontal flip and the crop. One thread per destination element; exact copies.
#pragma once

#include <cstddef>
#include <span>

#include "salt/backend/cuda/kernels/elementwise.hpp"
#include "salt/core/hd.hpp"
#include "salt/core/op_params.hpp"
#include "salt/core/shape.hpp"
#include "salt/ops/concat.hpp"
#include "salt/ops/crop.hpp"
#include "salt/ops/flip_width.hpp"

namespace salt::backend::cuda {
namespace kernels {

// ops/concat.hpp, one input's block of columns (one launch per input):
//   forward:  y[r, offset + c] = in[r, c]          backward: din[r, c] = dy[r, offset + c]
// as a copy between two row-major matrices of different row strides.
struct CopyColumns {
    const float* src;
    float* dst;
    std::size_t width, src_stride, dst_stride, src_offset, dst_offset;
    SALT_HD void operator()(std::size_t i) const {
        const std::size_t r = i / width, c = i % width;
        dst[r * dst_stride + dst_offset + c] = src[r * src_stride + src_offset + c];
    }
};

// ops/flip_width.hpp: y[n, r, c, ch] = x[n, r, W-1-c, ch]
struct FlipWidth {
    const float* x;
    float* y;
    int W, C;
    SALT_HD void operator()(std::size_t i) const {
        const std::size_t ch = i % std::size_t(C), pix = i / std::size_t(C);
        const std::size_t c = pix % std::size_t(W), row = pix / std::size_t(W);  // row counts (n, r)
        y[i] = x[(row * W + (std::size_t(W) - 1 - c)) * C + ch];
    }
};

// ops/crop.hpp: y[n, r, c, ch] = x[n, y0 + r, x0 + c, ch], y of region.h x region.w
struct Crop {
    const float* x;
    float* y;
    int in_h, in_w, C, y0, x0, h, w;
    SALT_HD void operator()(std::size_t i) const {
        const std::size_t ch = i % std::size_t(C), pix = i / std::size_t(C);
        const std::size_t c = pix % std::size_t(w), r = pix / std::size_t(w) % std::size_t(h);
        const std::size_t n = pix / (std::size_t(w) * std::size_t(h));
        y[i] = x[((n * in_h + std::size_t(y0) + r) * in_w + std::size_t(x0) + c) * C + ch];
    }
};

}  // namespace kernels

template <class Ex>
void concat_channels_forward(Ex& ex, std::size_t rows, std::span<const int> channels,
                             std::span<const float* const> inputs, float* y) {
    constexpr const char* op = "concat_channels_forward";
    const std::size_t total = ops::detail::check_concat(op, channels, inputs.size());
    if (rows == 0) return;
    ops::detail::check_ptr(op, y, "y");
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!inputs[i]) ops::detail::fail(op, "input ", i, " is null");
    std::size_t off = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const std::size_t ci = std::size_t(channels[i]);
        launch_each(ex, op, rows * ci, kernels::CopyColumns{inputs[i], y, ci, ci, total, 0, off});
        off += ci;
    }
}

template <class Ex>
void concat_channels_backward(Ex& ex, std::size_t rows, std::span<const int> channels, const float* dy,
                              std::span<float* const> dinputs) {
    constexpr const char* op = "concat_channels_backward";
    const std::size_t total = ops::detail::check_concat(op, channels, dinputs.size());
    if (rows == 0) return;
    ops::detail::check_ptr(op, dy, "dy");
    std::size_t off = 0;
    for (std::size_t i = 0; i < dinputs.size(); ++i) {
        const std::size_t ci = std::size_t(channels[i]);
        if (dinputs[i]) launch_each(ex, op, rows * ci, kernels::CopyColumns{dy, dinputs[i], ci, total, ci, off, 0});
        off += ci;
    }
}

template <class Ex>
void flip_width(Ex& ex, Shape s, int batch, const float* x, float* y) {
    constexpr const char* op = "flip_width";
    ops::detail::check_shape_batch(op, s, batch);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, y, "y");
    if (x == y) ops::detail::fail(op, "y must not alias x");
    launch_each(ex, op, std::size_t(batch) * s.size(), kernels::FlipWidth{x, y, s.w, s.c});
}

template <class Ex>
void crop(Ex& ex, Shape in, int batch, const Region& reg, const float* x, float* y) {
    constexpr const char* op = "crop";
    ops::detail::check_shape_batch(op, in, batch);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, y, "y");
    if (!reg.inside(in.h, in.w))
        ops::detail::fail(op, "the region (rows ", reg.y0, "+", reg.h, ", columns ", reg.x0, "+", reg.w,
                          ") is empty or not inside the ", in.h, "x", in.w, " map");
    launch_each(ex, op, std::size_t(batch) * std::size_t(reg.h) * std::size_t(reg.w) * std::size_t(in.c),
                kernels::Crop{x, y, in.h, in.w, in.c, reg.y0, reg.x0, reg.h, reg.w});
}

}  // namespace salt::backend::cuda
