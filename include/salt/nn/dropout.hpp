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
#include "salt/core/backend.hpp"
#include "salt/nn/parameter.hpp"

namespace salt::nn {

template <class T, Shape In, class B, double DefaultRate = 0.5>
class Dropout {
public:
    using scalar_type = T;
    using backend_type = B;
    static constexpr OpSet ops_used{Op::dropout_forward, Op::dropout_backward};
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = In;
    static constexpr std::size_t forward_keep(int batch, Mode m) {
        return m == Mode::train ? aligned_bytes<std::uint8_t>(In.size() * batch) : 0;
    }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int) { return 0; }
    static constexpr std::size_t parameter_count() { return 0; }

    explicit Dropout(double p = DefaultRate) : p_(p) {}
    static constexpr ParamSizes param_sizes() { return {}; }
    void bind(ParamBinder<T>&) {}
    void init(Rng&, HostParams<T>&) {}
    void set_rate(double p) { p_ = p; }
    double rate() const { return p_; }

    // In place: the scaled output replaces the input, which no earlier layer needs back. Each
    // training forward draws one seed from the context's generator; the mask is a function of it.
    TensorView<T, In> forward(TensorView<T, In> x, Context<B>& ctx) {
        trained_ = ctx.training();
        if (!ctx.training()) return x;
        if (!ctx.rng) throw std::logic_error("Dropout: training mode needs a random generator in the context");
        mask_ = ctx.workspace.template take<std::uint8_t>(x.size());
        run<Op::dropout_forward>(ctx.device(), x.size(), p_, ctx.rng->next_u64(), static_cast<const T*>(x.data()),
                                 x.data(), mask_);
        return x;
    }
    TensorView<T, In> backward(TensorView<T, In> dy, Context<B>& ctx) {
        if (!trained_) backward_without_training_forward("Dropout");
        run<Op::dropout_backward>(ctx.device(), dy.size(), p_, static_cast<const std::uint8_t*>(mask_),
                                  static_cast<const T*>(dy.data()), dy.data());
        return dy;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "Dropout", out_shape, parameter_count());
    }

    void visit(const std::string&, ParamVisitor<T>) {}

private:
    double p_;
    std::uint8_t* mask_ = nullptr;
    bool trained_ = false;
};

}  // namespace salt::nn
