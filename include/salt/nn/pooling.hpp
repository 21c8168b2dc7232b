// salt/nn/pooling.hpp — MaxPool2d (ResNet's stem: 3x3, stride 2, padding 1) and global average
// pooling (ASPP's image-pooling branch).
#pragma once

#include <cstdint>
#include <string>

#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/ops/global_avg_pool.hpp"
#include "salt/ops/max_pool.hpp"

namespace salt::nn {

namespace check {
template <int padded_height, int padded_width, int kernel>
constexpr bool pool_window_fits() {
    static_assert(kernel <= padded_height && kernel <= padded_width,
                  "MaxPool2d: the window is larger than the padded input");
    return kernel <= padded_height && kernel <= padded_width;
}
template <int stride, int padding, int kernel>
constexpr bool pool_params() {
    static_assert(stride >= 1, "MaxPool2d: zero or negative stride (the stride must be at least 1)");
    static_assert(2 * padding <= kernel, "MaxPool2d: padding must be at most half the window (PyTorch's rule)");
    return stride >= 1 && 2 * padding <= kernel;
}
}  // namespace check

template <class T, Shape In, Pool2dParams P, class B>
class MaxPool2d {
    static constexpr bool ok_ = check::pool_params<P.stride, P.padding, P.kernel>() &&
                                check::pool_window_fits<In.h + 2 * P.padding, In.w + 2 * P.padding, P.kernel>();

public:
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = ok_ ? pool2d_out_shape(In, P) : Shape{1, 1, 1};
    static constexpr std::size_t forward_keep(int batch, Mode m) {
        return aligned_bytes<T>(out_shape.size() * batch) +
               (m == Mode::train ? aligned_bytes<std::int32_t>(out_shape.size() * batch) : 0);
    }
    static constexpr std::size_t forward_peak(int batch, Mode) {
        return aligned_bytes<T>(out_shape.size() * batch) + aligned_bytes<std::int32_t>(out_shape.size() * batch);
    }
    static constexpr std::size_t backward_peak(int batch) { return aligned_bytes<T>(In.size() * batch); }
    static constexpr std::size_t parameter_count() { return 0; }

    void init(Rng&) {}
    TensorView<T, out_shape> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, out_shape>(x.batch());
        const std::size_t mark = ctx.workspace.mark();
        argmax_ = ctx.workspace.template take<std::int32_t>(out_shape.size() * x.batch());
        max_pool2d_forward(B{}, In, x.batch(), P, x.data(), y.data(), argmax_);
        // In inference the indices are scratch; in training backward needs them.
        if (!ctx.training()) ctx.workspace.release(mark);
        return y;
    }
    TensorView<T, In> backward(TensorView<T, out_shape> dy, Context<B>& ctx) {
        auto dx = ctx.template take<T, In>(dy.batch());
        max_pool2d_backward(B{}, In, dy.batch(), P, dy.data(), argmax_, dx.data());
        return dx;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "MaxPool2d", out_shape, parameter_count());
    }

    template <class F>
    void visit(const std::string&, F&&) {}

private:
    std::int32_t* argmax_ = nullptr;
};

template <class T, Shape In, class B>
class GlobalAvgPool {
public:
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = global_pool_out_shape(In);
    static constexpr std::size_t forward_keep(int batch, Mode) { return aligned_bytes<T>(out_shape.size() * batch); }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int batch) { return aligned_bytes<T>(In.size() * batch); }
    static constexpr std::size_t parameter_count() { return 0; }

    void init(Rng&) {}
    TensorView<T, out_shape> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, out_shape>(x.batch());
        global_avg_pool_forward(B{}, In, x.batch(), x.data(), y.data());
        return y;
    }
    TensorView<T, In> backward(TensorView<T, out_shape> dy, Context<B>& ctx) {
        auto dx = ctx.template take<T, In>(dy.batch());
        global_avg_pool_backward(B{}, In, dy.batch(), dy.data(), dx.data());
        return dx;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "AdaptiveAvgPool2d", out_shape, parameter_count());
    }

    template <class F>
    void visit(const std::string&, F&&) {}
};

}  // namespace salt::nn
