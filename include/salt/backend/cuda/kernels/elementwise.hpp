// salt/backend/cuda/kernels/elementwise.hpp — the element-wise ops of the CUDA backend: ReLU, add,
// accumulate, sigmoid, axpby, threshold. Each is one SALT_HD functor of the element index i (the
// work of one iteration of a grid-stride loop, kernels::ForEach in launch.hpp), written beside the
// reference loop body it mirrors, and a driver that checks the arguments as the reference does and
// launches it. Arithmetic is in float, in the reference's order.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "salt/backend/cuda/launch.hpp"
#include "salt/core/hd.hpp"
#include "salt/ops/detail.hpp"

namespace salt::backend::cuda {
namespace kernels {

// ops/relu.hpp relu_forward:   y[i] = (v < T(0)) ? T(0) : v   (NaN propagates; y may alias x)
struct ReluForward {
    const float* x;
    float* y;
    SALT_HD void operator()(std::size_t i) const {
        const float v = x[i];
        y[i] = v < 0.f ? 0.f : v;
    }
};
// ops/relu.hpp relu_backward:  dx[i] = (y[i] > T(0)) ? dy[i] : T(0)
struct ReluBackward {
    const float* y;
    const float* dy;
    float* dx;
    SALT_HD void operator()(std::size_t i) const { dx[i] = y[i] > 0.f ? dy[i] : 0.f; }
};
// ops/add.hpp add_forward:     y[i] = a[i] + b[i]
struct AddForward {
    const float* a;
    const float* b;
    float* y;
    SALT_HD void operator()(std::size_t i) const { y[i] = a[i] + b[i]; }
};
// ops/add.hpp accumulate:      dst[i] += src[i]
struct Accumulate {
    const float* src;
    float* dst;
    SALT_HD void operator()(std::size_t i) const { dst[i] += src[i]; }
};
// ops/sigmoid.hpp sigmoid_forward: 1 / (1 + exp(-v)) for v >= 0, else exp(v) / (1 + exp(v))
struct SigmoidForward {
    const float* x;
    float* y;
    SALT_HD void operator()(std::size_t i) const {
        const float v = x[i];
        if (v >= 0.f) {
            y[i] = 1.f / (1.f + expf(-v));
        } else {
            const float e = expf(v);
            y[i] = e / (1.f + e);
        }
    }
};
// ops/sigmoid.hpp sigmoid_backward: dx[i] = dy[i] * y[i] * (T(1) - y[i])
struct SigmoidBackward {
    const float* y;
    const float* dy;
    float* dx;
    SALT_HD void operator()(std::size_t i) const { dx[i] = dy[i] * y[i] * (1.f - y[i]); }
};
// ops/axpby.hpp axpby:         y[i] = a * x[i] + b * y[i]
struct Axpby {
    float a;
    const float* x;
    float b;
    float* y;
    SALT_HD void operator()(std::size_t i) const { y[i] = a * x[i] + b * y[i]; }
};
// ops/threshold.hpp threshold: mask[i] = x[i] > t ? 1 : 0
struct Threshold {
    const float* x;
    float t;
    std::uint8_t* mask;
    SALT_HD void operator()(std::size_t i) const { mask[i] = x[i] > t ? 1 : 0; }
};

// Backend::fill<T>: p[i] = value (T a trivially copyable scalar of 1, 2, 4 or 8 bytes)
template <class T>
struct FillValue {
    T* p;
    T value;
    SALT_HD void operator()(std::size_t i) const { p[i] = value; }
};

}  // namespace kernels

template <class Ex, class F>
void launch_each(Ex& ex, const char* name, std::size_t n, const F& f) {
    if (n == 0) return;
    ex.launch(name, grid_stride_shape(n, ex.tuning()), for_each(n, f));
}

template <class Ex, class T>
void fill(Ex& ex, T* p, std::size_t n, T value) {
    launch_each(ex, "fill", n, kernels::FillValue<T>{p, value});
}

template <class Ex>
void relu_forward(Ex& ex, std::size_t n, const float* x, float* y) {
    if (n == 0) return;
    ops::detail::check_ptr("relu_forward", x, "x");
    ops::detail::check_ptr("relu_forward", y, "y");
    launch_each(ex, "relu_forward", n, kernels::ReluForward{x, y});
}
template <class Ex>
void relu_backward(Ex& ex, std::size_t n, const float* y, const float* dy, float* dx) {
    if (n == 0) return;
    ops::detail::check_ptr("relu_backward", y, "y");
    ops::detail::check_ptr("relu_backward", dy, "dy");
    ops::detail::check_ptr("relu_backward", dx, "dx");
    launch_each(ex, "relu_backward", n, kernels::ReluBackward{y, dy, dx});
}
template <class Ex>
void add_forward(Ex& ex, std::size_t n, const float* a, const float* b, float* y) {
    if (n == 0) return;
    ops::detail::check_ptr("add_forward", a, "a");
    ops::detail::check_ptr("add_forward", b, "b");
    ops::detail::check_ptr("add_forward", y, "y");
    launch_each(ex, "add_forward", n, kernels::AddForward{a, b, y});
}
template <class Ex>
void accumulate(Ex& ex, std::size_t n, const float* src, float* dst) {
    if (n == 0) return;
    ops::detail::check_ptr("accumulate", src, "src");
    ops::detail::check_ptr("accumulate", dst, "dst");
    launch_each(ex, "accumulate", n, kernels::Accumulate{src, dst});
}
template <class Ex>
void sigmoid_forward(Ex& ex, std::size_t n, const float* x, float* y) {
    if (n == 0) return;
    ops::detail::check_ptr("sigmoid_forward", x, "x");
    ops::detail::check_ptr("sigmoid_forward", y, "y");
    launch_each(ex, "sigmoid_forward", n, kernels::SigmoidForward{x, y});
}
template <class Ex>
void sigmoid_backward(Ex& ex, std::size_t n, const float* y, const float* dy, float* dx) {
    if (n == 0) return;
    ops::detail::check_ptr("sigmoid_backward", y, "y");
    ops::detail::check_ptr("sigmoid_backward", dy, "dy");
    ops::detail::check_ptr("sigmoid_backward", dx, "dx");
    launch_each(ex, "sigmoid_backward", n, kernels::SigmoidBackward{y, dy, dx});
}
template <class Ex>
void axpby(Ex& ex, std::size_t n, float a, const float* x, float b, float* y) {
    if (n == 0) return;
    ops::detail::check_ptr("axpby", x, "x");
    ops::detail::check_ptr("axpby", y, "y");
    launch_each(ex, "axpby", n, kernels::Axpby{a, x, b, y});
}
template <class Ex>
void threshold(Ex& ex, std::size_t n, const float* x, float t, std::uint8_t* mask) {
    if (n == 0) return;
    ops::detail::check_ptr("threshold", x, "x");
    ops::detail::check_ptr("threshold", mask, "mask");
    launch_each(ex, "threshold", n, kernels::Threshold{x, t, mask});
}

}  // namespace salt::backend::cuda
