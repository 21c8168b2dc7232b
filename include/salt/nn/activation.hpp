// salt/nn/activation.hpp — ReLU and Sigmoid layers.
//
// ReLU runs in place, forward and backward: its backward needs only its own output, and no layer in
// DeepLabV3 needs the tensor ReLU overwrites (BN, add and conv backward read their inputs, never
// their outputs). That halves the memory a Conv-BN-ReLU triple keeps for backward.
#pragma once

#include <string>

#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/ops/relu.hpp"
#include "salt/ops/sigmoid.hpp"

namespace salt::nn {

template <class T, Shape In, class B>
class ReLU {
public:
    static constexpr bool is_relu = true;
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = In;
    static constexpr std::size_t forward_keep(int, Mode) { return 0; }
    static constexpr std::size_t forward_peak(int, Mode) { return 0; }
    static constexpr std::size_t backward_peak(int) { return 0; }
    static constexpr std::size_t parameter_count() { return 0; }

    void init(Rng&) {}
    TensorView<T, In> forward(TensorView<T, In> x, Context<B>&) {
        relu_forward(B{}, x.size(), x.data(), x.data());
        saved_y_ = x.data();
        return x;
    }
    TensorView<T, In> backward(TensorView<T, In> dy, Context<B>&) {
        relu_backward(B{}, dy.size(), saved_y_, dy.data(), dy.data());
        return dy;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "ReLU", out_shape, parameter_count());
    }

    template <class F>
    void visit(const std::string&, F&&) {}

private:
    const T* saved_y_ = nullptr;
};

template <class T, Shape In, class B>
class Sigmoid {
public:
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = In;
    static constexpr std::size_t forward_keep(int batch, Mode) { return aligned_bytes<T>(In.size() * batch); }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int) { return 0; }
    static constexpr std::size_t parameter_count() { return 0; }

    void init(Rng&) {}
    TensorView<T, In> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, In>(x.batch());
        sigmoid_forward(B{}, x.size(), x.data(), y.data());
        saved_y_ = y.data();
        return y;
    }
    TensorView<T, In> backward(TensorView<T, In> dy, Context<B>&) {
        sigmoid_backward(B{}, dy.size(), saved_y_, dy.data(), dy.data());
        return dy;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "Sigmoid", out_shape, parameter_count());
    }

    template <class F>
    void visit(const std::string&, F&&) {}

private:
    const T* saved_y_ = nullptr;
};

}  // namespace salt::nn
