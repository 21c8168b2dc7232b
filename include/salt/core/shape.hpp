// salt/core/shape.hpp — per-sample tensor shapes as compile-time values, and the shape arithmetic
// of every op as constexpr functions.
//
// A Shape is the per-sample extent (height, width, channels) of an NHWC activation. It is a
// structural type, so it can be a template argument (`Tensor<float, Shape{128, 128, 3}>`); the batch
// is the one dynamic extent and travels beside it at run time. Every function here is constexpr so
// layers can compute, and static_assert on, every intermediate shape at compile time, while the
// reference kernels and the gradient checks use the same functions on run-time shapes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace salt {

struct Shape {
    int h = 0;
    int w = 0;
    int c = 0;

    constexpr std::size_t size() const { return std::size_t(h) * std::size_t(w) * std::size_t(c); }
    constexpr std::size_t pixels() const { return std::size_t(h) * std::size_t(w); }
    constexpr bool valid() const { return h > 0 && w > 0 && c > 0; }
    constexpr bool operator==(const Shape&) const = default;
};

// Floor division that is also right for negative numerators (C++ '/' truncates toward zero).
constexpr int floor_div(int a, int b) { return (a >= 0) ? a / b : -((-a + b - 1) / b); }

// Output extent of a convolution or pooling window along one axis, as PyTorch computes it
// (ceil_mode=False): floor((in + 2p - d(k-1) - 1) / s) + 1. A result <= 0 means the (dilated)
// kernel does not fit in the padded input.
constexpr int conv_out_extent(int in, int kernel, int stride, int padding, int dilation) {
    return floor_div(in + 2 * padding - dilation * (kernel - 1) - 1, stride) + 1;
}

// Pooling with ceil_mode=False uses the same formula (dilation 1 in torch's MaxPool2d default).
constexpr int pool_out_extent(int in, int kernel, int stride, int padding) {
    return conv_out_extent(in, kernel, stride, padding, 1);
}

// Extent of the dilated kernel: d(k-1)+1.
constexpr int dilated_extent(int kernel, int dilation) { return dilation * (kernel - 1) + 1; }

// Convolution geometry shared by the shape rule, the kernels and the layers.
struct Conv2dParams {
    int in_channels = 0;
    int out_channels = 0;
    int kernel = 1;
    int stride = 1;
    int padding = 0;
    int dilation = 1;
    bool bias = false;

    constexpr bool operator==(const Conv2dParams&) const = default;
    // Number of weights (excluding bias).
    constexpr std::size_t weight_count() const {
        return std::size_t(kernel) * std::size_t(kernel) * std::size_t(in_channels) * std::size_t(out_channels);
    }
};

constexpr Shape conv2d_out_shape(Shape in, Conv2dParams p) {
    return Shape{conv_out_extent(in.h, p.kernel, p.stride, p.padding, p.dilation),
                 conv_out_extent(in.w, p.kernel, p.stride, p.padding, p.dilation), p.out_channels};
}

// Whether a convolution's geometry is well formed for an input; used by run-time checks (the
// compile-time checks in nn/ state each rule separately so the message names it).
constexpr bool conv2d_fits(Shape in, Conv2dParams p) {
    return in.valid() && p.kernel > 0 && p.stride > 0 && p.dilation > 0 && p.padding >= 0 &&
           in.c == p.in_channels && p.out_channels > 0 && conv2d_out_shape(in, p).valid();
}

struct Pool2dParams {
    int kernel = 3;
    int stride = 2;
    int padding = 1;
    constexpr bool operator==(const Pool2dParams&) const = default;
};

constexpr Shape pool2d_out_shape(Shape in, Pool2dParams p) {
    return Shape{pool_out_extent(in.h, p.kernel, p.stride, p.padding),
                 pool_out_extent(in.w, p.kernel, p.stride, p.padding), in.c};
}

// Global average pooling keeps the channels and reduces the map to 1x1.
constexpr Shape global_pool_out_shape(Shape in) { return Shape{1, 1, in.c}; }

// Resizing changes height and width only.
constexpr Shape resize_out_shape(Shape in, int h, int w) { return Shape{h, w, in.c}; }

// Channel concatenation: same height and width, channels add up.
constexpr bool concat_compatible(Shape a, Shape b) { return a.h == b.h && a.w == b.w; }
constexpr Shape concat_out_shape(Shape a, Shape b) { return Shape{a.h, a.w, a.c + b.c}; }

// Bytes rounded up to the library's alignment (64: one cache line, one AVX-512 register).
inline constexpr std::size_t kAlignment = 64;
constexpr std::size_t align_up(std::size_t bytes, std::size_t alignment = kAlignment) {
    return (bytes + alignment - 1) / alignment * alignment;
}
template <class T>
constexpr std::size_t aligned_bytes(std::size_t count) {
    return align_up(count * sizeof(T));
}

}  // namespace salt
