// salt/nn/dropout.hpp — Dropout with inverted scaling; identity in inference.
//
// The rate is a run-time member (default from the template) so parity tests can switch dropout off
// on both sides, as the torchvision fixtures do.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/ops/dropout.hpp"

namespace salt::nn {

template <class T, Shape In, class B, double DefaultRate = 0.5>
class Dropout {
public:
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = In;
    static constexpr std::size_t forward_keep(int batch, Mode m) {
        return m == Mode::train ? aligned_bytes<std::uint8_t>(In.size() * batch) : 0;
    }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int) { return 0; }
    static constexpr std::size_t parameter_count() { return 0; }

    explicit Dropout(double p = DefaultRate) : p_(p) {}
    void init(Rng&) {}
    void set_rate(double p) { p_ = p; }
    double rate() const { return p_; }

    // In place: the scaled output replaces the input, which no earlier layer needs back.
    TensorView<T, In> forward(TensorView<T, In> x, Context<B>& ctx) {
        if (!ctx.training()) return x;
        if (!ctx.rng) throw std::logic_error("Dropout: training mode needs a random generator in the context");
        mask_ = ctx.workspace.template take<std::uint8_t>(x.size());
        dropout_forward(B{}, x.size(), p_, *ctx.rng, x.data(), x.data(), mask_);
        return x;
    }
    TensorView<T, In> backward(TensorView<T, In> dy, Context<B>&) {
        dropout_backward(B{}, dy.size(), p_, mask_, dy.data(), dy.data());
        return dy;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "Dropout", out_shape, parameter_count());
    }

    template <class F>
    void visit(const std::string&, F&&) {}

private:
    double p_;
    std::uint8_t* mask_ = nullptr;
};

}  // namespace salt::nn
