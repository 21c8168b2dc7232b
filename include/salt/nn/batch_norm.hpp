// salt/nn/batch_norm.hpp — BatchNorm2d with PyTorch's semantics: batch statistics and a running
// update (momentum 0.1, unbiased variance) in training, running statistics in inference, eps 1e-5.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/nn/parameter.hpp"
#include "salt/core/backend.hpp"
#include "salt/core/op_params.hpp"

namespace salt::nn {

template <class T, Shape In, class B>
class BatchNorm2d {
public:
    using scalar_type = T;
    using backend_type = B;
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = In;
    static constexpr int C = In.c;
    static constexpr bool is_batch_norm = true;
    // BN -> ReLU as one op each way in training, when the backend has them.
    static constexpr bool fused_relu =
        has_op<B, Op::batch_norm_relu_forward_train> && has_op<B, Op::batch_norm_relu_backward_train>;
    static constexpr OpSet ops_used{Op::batch_norm_forward_train, Op::batch_norm_forward_eval,
                                    Op::batch_norm_backward_train};

    static constexpr std::size_t forward_keep(int batch, Mode m) {
        return aligned_bytes<T>(In.size() * batch) + (m == Mode::train ? 2 * aligned_bytes<T>(C) : 0);
    }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int batch) { return aligned_bytes<T>(In.size() * batch); }
    static constexpr std::size_t parameter_count() { return 2 * std::size_t(C); }
    static constexpr ParamSizes param_sizes() {
        return param_sizes_of<T>(ParamSection::no_decay, C) + param_sizes_of<T>(ParamSection::no_decay, C) +
               param_sizes_of<T>(ParamSection::buffer, C) + param_sizes_of<T>(ParamSection::buffer, C);
    }

    void bind(ParamBinder<T>& b) {
        gamma_ = b.take(ParamSection::no_decay, C);
        beta_ = b.take(ParamSection::no_decay, C);
        running_mean_ = b.take(ParamSection::buffer, C).value;
        running_var_ = b.take(ParamSection::buffer, C).value;
    }

    // torch's reset: weight 1, bias 0, running mean 0, running variance 1, no batches seen.
    void init(Rng&, HostParams<T>& host) {
        std::fill_n(host.at(gamma_.value), C, T(1));
        std::fill_n(host.at(beta_.value), C, T(0));
        std::fill_n(host.at(running_mean_), C, T(0));
        std::fill_n(host.at(running_var_), C, T(1));
        num_batches_tracked_ = 0;
    }

    TensorView<T, In> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, In>(x.batch());
        trained_ = ctx.training();
        if (ctx.training()) {
            saved_mean_ = ctx.workspace.template take<T>(C);
            saved_invstd_ = ctx.workspace.template take<T>(C);
            run<Op::batch_norm_forward_train>(ctx.device(), In, x.batch(), params_, x.data(), gamma(), beta(),
                                              running_mean_, running_var_, y.data(), saved_mean_, saved_invstd_);
            ++num_batches_tracked_;
            saved_x_ = x.data();
        } else {
            run<Op::batch_norm_forward_eval>(ctx.device(), In, x.batch(), params_, x.data(), gamma(), beta(),
                                             running_mean_, running_var_, y.data());
        }
        return y;
    }

    // This layer followed by a ReLU, when fused_relu: the same workspace as forward. In training one
    // fused op; in inference forward, then the ReLU in place.
    TensorView<T, In> forward_relu(TensorView<const T, In> x, Context<B>& ctx) {
        if (!ctx.training()) {
            auto y = forward(x, ctx);
            run<Op::relu_forward>(ctx.device(), y.size(), static_cast<const T*>(y.data()), y.data());
            return y;
        }
        auto y = ctx.template take<T, In>(x.batch());
        saved_mean_ = ctx.workspace.template take<T>(C);
        saved_invstd_ = ctx.workspace.template take<T>(C);
        run<Op::batch_norm_relu_forward_train>(ctx.device(), In, x.batch(), params_, x.data(), gamma(), beta(),
                                               running_mean_, running_var_, y.data(), saved_mean_, saved_invstd_);
        ++num_batches_tracked_;
        saved_x_ = x.data();
        saved_y_ = y.data();
        trained_ = true;
        return y;
    }
    // Backward of forward_relu (training): dy is the gradient of the ReLU's output.
    TensorView<T, In> backward_relu(TensorView<T, In> dy, Context<B>& ctx) {
        if (!trained_) backward_without_training_forward("BatchNorm2d");
        auto dx = ctx.template take<T, In>(dy.batch());
        run<Op::batch_norm_relu_backward_train>(ctx.device(), In, dy.batch(), saved_x_, saved_y_,
                                                static_cast<const T*>(dy.data()), gamma(), saved_mean_, saved_invstd_,
                                                dx.data(), gamma_.grad, beta_.grad);
        return dx;
    }

    TensorView<T, In> backward(TensorView<T, In> dy, Context<B>& ctx) {
        if (!trained_) backward_without_training_forward("BatchNorm2d");
        auto dx = ctx.template take<T, In>(dy.batch());
        run<Op::batch_norm_backward_train>(ctx.device(), In, dy.batch(), saved_x_, static_cast<const T*>(dy.data()),
                                           gamma(), saved_mean_, saved_invstd_, dx.data(), gamma_.grad, beta_.grad);
        return dx;
    }

    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "BatchNorm2d", out_shape, parameter_count());
    }

    void visit(const std::string& prefix, ParamVisitor<T> f) {
        const std::vector<std::int64_t> shape{C};
        f(ParamRef<T>{join_name(prefix, "weight"), ParamKind::bn_weight, shape, gamma_.value, gamma_.grad, std::size_t(C)});
        f(ParamRef<T>{join_name(prefix, "bias"), ParamKind::bn_bias, shape, beta_.value, beta_.grad, std::size_t(C)});
        f(ParamRef<T>{join_name(prefix, "running_mean"), ParamKind::bn_running_mean, shape, running_mean_, nullptr, std::size_t(C)});
        f(ParamRef<T>{join_name(prefix, "running_var"), ParamKind::bn_running_var, shape, running_var_, nullptr, std::size_t(C)});
        ParamRef<T> n{join_name(prefix, "num_batches_tracked"), ParamKind::bn_num_batches_tracked, {}, nullptr, nullptr, 1};
        n.counter = &num_batches_tracked_;
        f(n);
    }

    const BatchNormParams& params() const { return params_; }
    T* gamma() { return gamma_.value; }
    T* beta() { return beta_.value; }
    T* running_mean() { return running_mean_; }
    T* running_var() { return running_var_; }

private:
    BatchNormParams params_{};
    ParamSlice<T> gamma_, beta_;
    T* running_mean_ = nullptr;
    T* running_var_ = nullptr;
    std::int64_t num_batches_tracked_ = 0;
    const T* saved_x_ = nullptr;
    const T* saved_y_ = nullptr;
    T* saved_mean_ = nullptr;
    T* saved_invstd_ = nullptr;
    bool trained_ = false;
};

}  // namespace salt::nn
