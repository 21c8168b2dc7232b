// salt/nn/activation.hpp — ReLU and Sigmoid layers.
//
// ReLU runs in place, forward and backward: its backward needs only its own output, and no layer in
// DeepLabV3 needs the tensor ReLU overwrites (BN, add and conv backward read their inputs, never
// their outputs). That halves the memory a Conv-BN-ReLU triple keeps for backward.
#pragma once

#include <string>

#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/core/backend.hpp"
#include "salt/nn/parameter.hpp"

namespace salt::nn {

template <class T, Shape In, class B>
class ReLU {
public:
    using scalar_type = T;
    using backend_type = B;
    static constexpr bool is_relu = true;
    static constexpr OpSet ops_used{Op::relu_forward, Op::relu_backward};
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = In;
    static constexpr std::size_t forward_keep(int, Mode) { return 0; }
    static constexpr std::size_t forward_peak(int, Mode) { return 0; }
    static constexpr std::size_t backward_peak(int) { return 0; }
    static constexpr std::size_t parameter_count() { return 0; }

    static constexpr ParamSizes param_sizes() { return {}; }
    void bind(ParamBinder<T>&) {}
    void init(Rng&, HostParams<T>&) {}
    TensorView<T, In> forward(TensorView<T, In> x, Context<B>& ctx) {
        run<Op::relu_forward>(ctx.device(), x.size(), static_cast<const T*>(x.data()), x.data());
        saved_y_ = x.data();
        trained_ = ctx.training();
        return x;
    }
    TensorView<T, In> backward(TensorView<T, In> dy, Context<B>& ctx) {
        if (!trained_) backward_without_training_forward("ReLU");
        run<Op::relu_backward>(ctx.device(), dy.size(), saved_y_, static_cast<const T*>(dy.data()), dy.data());
        return dy;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "ReLU", out_shape, parameter_count());
    }

    void visit(const std::string&, ParamVisitor<T>) {}

private:
    const T* saved_y_ = nullptr;
    bool trained_ = false;
};

template <class T, Shape In, class B>
class Sigmoid {
public:
    using scalar_type = T;
    using backend_type = B;
    static constexpr OpSet ops_used{Op::sigmoid_forward, Op::sigmoid_backward};
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = In;
    static constexpr std::size_t forward_keep(int batch, Mode) { return aligned_bytes<T>(In.size() * batch); }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int) { return 0; }
    static constexpr std::size_t parameter_count() { return 0; }

    static constexpr ParamSizes param_sizes() { return {}; }
    void bind(ParamBinder<T>&) {}
    void init(Rng&, HostParams<T>&) {}
    TensorView<T, In> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, In>(x.batch());
        run<Op::sigmoid_forward>(ctx.device(), x.size(), x.data(), y.data());
        saved_y_ = y.data();
        trained_ = ctx.training();
        return y;
    }
    TensorView<T, In> backward(TensorView<T, In> dy, Context<B>& ctx) {
        if (!trained_) backward_without_training_forward("Sigmoid");
        run<Op::sigmoid_backward>(ctx.device(), dy.size(), saved_y_, static_cast<const T*>(dy.data()), dy.data());
        return dy;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "Sigmoid", out_shape, parameter_count());
    }

    void visit(const std::string&, ParamVisitor<T>) {}

private:
    const T* saved_y_ = nullptr;
    bool trained_ = false;
};

}  // namespace salt::nn
