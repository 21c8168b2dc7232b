// salt/nn/pooling.hpp — MaxPool2d (ResNet's stem: 3x3, stride 2, padding 1) and global average
// pooling (ASPP's image-pooling branch).
#pragma once

#include <cstdint>
#include <string>

#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/core/backend.hpp"
#include "salt/nn/parameter.hpp"

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
    using scalar_type = T;
    using backend_type = B;
    static constexpr OpSet ops_used{Op::max_pool2d_forward, Op::max_pool2d_backward};
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

    static constexpr ParamSizes param_sizes() { return {}; }
    void bind(ParamBinder<T>&) {}
    void init(Rng&, HostParams<T>&) {}
    TensorView<T, out_shape> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, out_shape>(x.batch());
        const std::size_t mark = ctx.workspace.mark();
        argmax_ = ctx.workspace.template take<std::int32_t>(out_shape.size() * x.batch());
        run<Op::max_pool2d_forward>(ctx.device(), In, x.batch(), P, x.data(), y.data(), argmax_);
        // In inference the indices are scratch; in training backward needs them.
        trained_ = ctx.training();
        if (!ctx.training()) ctx.workspace.release(mark);
        return y;
    }
    TensorView<T, In> backward(TensorView<T, out_shape> dy, Context<B>& ctx) {
        if (!trained_) backward_without_training_forward("MaxPool2d");
        auto dx = ctx.template take<T, In>(dy.batch());
        run<Op::max_pool2d_backward>(ctx.device(), In, dy.batch(), P, static_cast<const T*>(dy.data()),
                                     static_cast<const std::int32_t*>(argmax_), dx.data());
        return dx;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "MaxPool2d", out_shape, parameter_count());
    }

    void visit(const std::string&, ParamVisitor<T>) {}

private:
    std::int32_t* argmax_ = nullptr;
    bool trained_ = false;
};

template <class T, Shape In, class B>
class GlobalAvgPool {
public:
    using scalar_type = T;
    using backend_type = B;
    static constexpr OpSet ops_used{Op::global_avg_pool_forward, Op::global_avg_pool_backward};
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = global_pool_out_shape(In);
    static constexpr std::size_t forward_keep(int batch, Mode) { return aligned_bytes<T>(out_shape.size() * batch); }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int batch) { return aligned_bytes<T>(In.size() * batch); }
    static constexpr std::size_t parameter_count() { return 0; }

    static constexpr ParamSizes param_sizes() { return {}; }
    void bind(ParamBinder<T>&) {}
    void init(Rng&, HostParams<T>&) {}
    TensorView<T, out_shape> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, out_shape>(x.batch());
        run<Op::global_avg_pool_forward>(ctx.device(), In, x.batch(), x.data(), y.data());
        return y;
    }
    TensorView<T, In> backward(TensorView<T, out_shape> dy, Context<B>& ctx) {
        auto dx = ctx.template take<T, In>(dy.batch());
        run<Op::global_avg_pool_backward>(ctx.device(), In, dy.batch(), static_cast<const T*>(dy.data()), dx.data());
        return dx;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "AdaptiveAvgPool2d", out_shape, parameter_count());
    }

    void visit(const std::string&, ParamVisitor<T>) {}
};

}  // namespace salt::nn
