// salt/nn/batch_norm.hpp — BatchNorm2d with PyTorch's semantics: batch statistics and a running
// update (momentum 0.1, unbiased variance) in training, running statistics in inference, eps 1e-5.
#pragma once

#include <algorithm>
#include <string>

#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/nn/parameter.hpp"
#include "salt/ops/batch_norm.hpp"
#include "salt/ops/relu.hpp"

namespace salt::nn {

// Whether backend B has the fused training ops BatchNorm -> ReLU (forward and backward) for scalar
// T (the simd backend does, in fp32; the reference backend does not and keeps the separate layers).
template <class B, class T>
concept has_bn_relu_train = requires(Shape s, ops::BatchNormParams bp, const T* c, T* m) {
    batch_norm_relu_forward_train(B{}, s, 1, bp, c, c, c, m, m, m, m, m);
    batch_norm_relu_backward_train(B{}, s, 1, c, c, c, c, c, c, m, m, m);
};

template <class T, Shape In, class B>
class BatchNorm2d {
public:
    using memory = typename B::memory;
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = In;
    static constexpr int C = In.c;
    static constexpr bool is_batch_norm = true;

    static constexpr std::size_t forward_keep(int batch, Mode m) {
        return aligned_bytes<T>(In.size() * batch) + (m == Mode::train ? 2 * aligned_bytes<T>(C) : 0);
    }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int batch) { return aligned_bytes<T>(In.size() * batch); }
    static constexpr std::size_t parameter_count() { return 2 * std::size_t(C); }

    BatchNorm2d() : gamma_(C), beta_(C), dgamma_(C), dbeta_(C), running_mean_(C), running_var_(C) { reset(); }

    void init(Rng&) { reset(); }
    void reset() {
        std::fill_n(gamma_.data(), C, T(1));
        std::fill_n(beta_.data(), C, T(0));
        std::fill_n(running_mean_.data(), C, T(0));
        std::fill_n(running_var_.data(), C, T(1));
        num_batches_tracked_ = 0;
    }

    TensorView<T, In> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, In>(x.batch());
        if (ctx.training()) {
            saved_mean_ = ctx.workspace.template take<T>(C);
            saved_invstd_ = ctx.workspace.template take<T>(C);
            batch_norm_forward_train(B{}, In, x.batch(), params_, x.data(), gamma_.data(), beta_.data(),
                                     running_mean_.data(), running_var_.data(), y.data(), saved_mean_, saved_invstd_);
            ++num_batches_tracked_;
            saved_x_ = x.data();
        } else {
            batch_norm_forward_eval(B{}, In, x.batch(), params_, x.data(), gamma_.data(), beta_.data(),
                                    running_mean_.data(), running_var_.data(), y.data());
        }
        return y;
    }

    // This layer followed by a ReLU, for backends with has_bn_relu_train<B, T>: the same workspace as
    // forward. In training one fused op; in inference forward, then the ReLU in place.
    TensorView<T, In> forward_relu(TensorView<const T, In> x, Context<B>& ctx) {
        if (!ctx.training()) {
            auto y = forward(x, ctx);
            relu_forward(B{}, y.size(), y.data(), y.data());
            return y;
        }
        auto y = ctx.template take<T, In>(x.batch());
        saved_mean_ = ctx.workspace.template take<T>(C);
        saved_invstd_ = ctx.workspace.template take<T>(C);
        batch_norm_relu_forward_train(B{}, In, x.batch(), params_, x.data(), gamma_.data(), beta_.data(),
                                      running_mean_.data(), running_var_.data(), y.data(), saved_mean_, saved_invstd_);
        ++num_batches_tracked_;
        saved_x_ = x.data();
        saved_y_ = y.data();
        return y;
    }
    // Backward of forward_relu (training): dy is the gradient of the ReLU's output.
    TensorView<T, In> backward_relu(TensorView<T, In> dy, Context<B>& ctx) {
        auto dx = ctx.template take<T, In>(dy.batch());
        batch_norm_relu_backward_train(B{}, In, dy.batch(), saved_x_, saved_y_, dy.data(), gamma_.data(), saved_mean_,
                                       saved_invstd_, dx.data(), dgamma_.data(), dbeta_.data());
        return dx;
    }

    TensorView<T, In> backward(TensorView<T, In> dy, Context<B>& ctx) {
        auto dx = ctx.template take<T, In>(dy.batch());
        batch_norm_backward_train(B{}, In, dy.batch(), saved_x_, dy.data(), gamma_.data(), saved_mean_, saved_invstd_,
                                  dx.data(), dgamma_.data(), dbeta_.data());
        return dx;
    }

    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "BatchNorm2d", out_shape, parameter_count());
    }

    template <class F>
    void visit(const std::string& prefix, F&& f) {
        const std::vector<std::int64_t> shape{C};
        f(ParamRef<T>{join_name(prefix, "weight"), ParamKind::bn_weight, shape, gamma_.data(), dgamma_.data(), std::size_t(C)});
        f(ParamRef<T>{join_name(prefix, "bias"), ParamKind::bn_bias, shape, beta_.data(), dbeta_.data(), std::size_t(C)});
        f(ParamRef<T>{join_name(prefix, "running_mean"), ParamKind::bn_running_mean, shape, running_mean_.data(), nullptr, std::size_t(C)});
        f(ParamRef<T>{join_name(prefix, "running_var"), ParamKind::bn_running_var, shape, running_var_.data(), nullptr, std::size_t(C)});
        ParamRef<T> n{join_name(prefix, "num_batches_tracked"), ParamKind::bn_num_batches_tracked, {}, nullptr, nullptr, 1};
        n.counter = &num_batches_tracked_;
        f(n);
    }

    const ops::BatchNormParams& params() const { return params_; }
    T* gamma() { return gamma_.data(); }
    T* beta() { return beta_.data(); }
    T* running_mean() { return running_mean_.data(); }
    T* running_var() { return running_var_.data(); }

private:
    ops::BatchNormParams params_{};
    Buffer<T, memory> gamma_, beta_, dgamma_, dbeta_, running_mean_, running_var_;
    std::int64_t num_batches_tracked_ = 0;
    const T* saved_x_ = nullptr;
    const T* saved_y_ = nullptr;
    T* saved_mean_ = nullptr;
    T* saved_invstd_ = nullptr;
};

}  // namespace salt::nn
