// salt/nn/conv2d.hpp — Conv2d (and AtrousConv, its dilated alias) as a layer with a compile-time
// input shape. The geometry rules are checked where the layer is bound to its input, and each rule
// has its own message, so a wrong composition reads as one plain sentence.
#pragma once

#include <cmath>
#include <string>

#include "salt/core/rng.hpp"
#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/nn/parameter.hpp"
#include "salt/ops/batch_norm.hpp"
#include "salt/ops/conv2d.hpp"

namespace salt::nn {

// How a conv's weights start: torchvision's ResNet uses Kaiming normal (fan_out, ReLU gain); the
// DeepLab head keeps PyTorch's default (Kaiming uniform with a = sqrt(5), i.e. U(+-1/sqrt(fan_in)),
// and the same bound for the bias).
enum class ConvInit { kaiming_normal_fan_out, torch_default };

namespace check {
// Each rule is a function template whose parameters name the quantities, so the compiler's
// "required from ... [with int input_channels = 3; int layer_in_channels = 64]" line shows both.
template <int input_channels, int layer_in_channels>
constexpr bool conv2d_channels() {
    static_assert(input_channels == layer_in_channels,
                  "Conv2d: the input's channel count differs from the in_channels this layer expects");
    return input_channels == layer_in_channels;
}
template <int stride, int dilation>
constexpr bool conv2d_stride_dilation() {
    static_assert(stride >= 1, "Conv2d: zero or negative stride (the stride must be at least 1)");
    static_assert(dilation >= 1, "Conv2d: zero or negative dilation (the dilation must be at least 1)");
    return stride >= 1 && dilation >= 1;
}
template <int padded_height, int padded_width, int dilated_kernel>
constexpr bool conv2d_kernel_fits() {
    static_assert(dilated_kernel <= padded_height && dilated_kernel <= padded_width,
                  "Conv2d: the (dilated) kernel is larger than the padded input");
    return dilated_kernel <= padded_height && dilated_kernel <= padded_width;
}
}  // namespace check

// Whether backend B has the fused inference op Conv -> BatchNorm (running statistics) [-> + residual]
// [-> ReLU] for scalar T (the simd backend does, in fp32; the reference backend does not, so it keeps
// the separate, exact layer-by-layer path). Found by argument-dependent lookup, like every op.
template <class B, class T>
concept has_conv_bn_eval = requires(Shape s, Conv2dParams p, ops::BatchNormParams bp, const T* c, T* m) {
    conv2d_bn_forward_eval(B{}, s, 1, p, c, c, c, bp, c, c, c, c, c, true, m);
};

template <class T, Shape In, Conv2dParams P, class B, ConvInit Init = ConvInit::kaiming_normal_fan_out>
class Conv2d {
    static constexpr bool ok_ = check::conv2d_stride_dilation<P.stride, P.dilation>() &&
                                check::conv2d_channels<In.c, P.in_channels>() &&
                                check::conv2d_kernel_fits<In.h + 2 * P.padding, In.w + 2 * P.padding,
                                                          dilated_extent(P.kernel, P.dilation)>();

public:
    using memory = typename B::memory;
    static constexpr Shape in_shape = In;
    // A shape that is always valid, so a failed rule above is the only error the user sees.
    static constexpr Shape out_shape = ok_ ? conv2d_out_shape(In, P) : Shape{1, 1, 1};
    static constexpr Conv2dParams params = P;
    static constexpr bool is_conv2d = true;

    static constexpr std::size_t forward_keep(int batch, Mode) { return aligned_bytes<T>(out_shape.size() * batch); }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int batch) { return aligned_bytes<T>(In.size() * batch); }
    static constexpr std::size_t parameter_count() { return P.weight_count() + (P.bias ? P.out_channels : 0); }

    Conv2d() : weight_(P.weight_count()), weight_grad_(P.weight_count()) {
        if constexpr (P.bias) {
            bias_ = Buffer<T, memory>(P.out_channels);
            bias_grad_ = Buffer<T, memory>(P.out_channels);
        }
    }

    void init(Rng& rng) {
        const std::size_t n = P.weight_count();
        if constexpr (Init == ConvInit::kaiming_normal_fan_out) {
            const double std = std::sqrt(2.0 / double(P.out_channels * P.kernel * P.kernel));
            for (std::size_t i = 0; i < n; ++i) weight_[i] = T(rng.normal() * std);
            if constexpr (P.bias) std::fill_n(bias_.data(), P.out_channels, T(0));
        } else {
            const double bound = 1.0 / std::sqrt(double(P.in_channels * P.kernel * P.kernel));
            for (std::size_t i = 0; i < n; ++i) weight_[i] = T((2.0 * rng.uniform() - 1.0) * bound);
            if constexpr (P.bias)
                for (int i = 0; i < P.out_channels; ++i) bias_[i] = T((2.0 * rng.uniform() - 1.0) * bound);
        }
    }

    TensorView<T, out_shape> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, out_shape>(x.batch());
        conv2d_forward(B{}, In, x.batch(), P, x.data(), weight_.data(), P.bias ? bias_.data() : nullptr, y.data());
        saved_x_ = x.data();
        return y;
    }

    // Inference only, when has_conv_bn_eval<B, T>: this conv, then `bn` with its running statistics,
    // then + residual (nullable, the output's shape), then ReLU when `relu`, as one op. Takes only the
    // output from the workspace (what forward takes).
    template <class BN>
    TensorView<T, out_shape> forward_bn_eval(TensorView<const T, In> x, Context<B>& ctx, BN& bn, const T* residual,
                                             bool relu) {
        auto y = ctx.template take<T, out_shape>(x.batch());
        conv2d_bn_forward_eval(B{}, In, x.batch(), P, x.data(), weight_.data(), P.bias ? bias_.data() : nullptr,
                               bn.params(), bn.gamma(), bn.beta(), bn.running_mean(), bn.running_var(), residual, relu,
                               y.data());
        saved_x_ = x.data();
        return y;
    }

    TensorView<T, In> backward(TensorView<T, out_shape> dy, Context<B>& ctx) {
        auto dx = ctx.template take<T, In>(dy.batch());
        conv2d_backward_params(B{}, In, dy.batch(), P, saved_x_, dy.data(), weight_grad_.data(),
                               P.bias ? bias_grad_.data() : nullptr);
        conv2d_backward_data(B{}, In, dy.batch(), P, dy.data(), weight_.data(), dx.data());
        return dx;
    }

    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "Conv2d", out_shape, parameter_count());
    }

    template <class F>
    void visit(const std::string& prefix, F&& f) {
        ParamRef<T> w{join_name(prefix, "weight"), ParamKind::conv_weight,
                      {P.out_channels, P.in_channels, P.kernel, P.kernel}, weight_.data(), weight_grad_.data(),
                      P.weight_count(), P};
        f(w);
        if constexpr (P.bias) {
            ParamRef<T> b{join_name(prefix, "bias"), ParamKind::conv_bias, {P.out_channels}, bias_.data(),
                          bias_grad_.data(), std::size_t(P.out_channels), P};
            f(b);
        }
    }

    T* weight() { return weight_.data(); }
    T* bias() { return P.bias ? bias_.data() : nullptr; }

private:
    Buffer<T, memory> weight_, weight_grad_, bias_, bias_grad_;
    const T* saved_x_ = nullptr;
};

// A dilated ("atrous") 3x3 convolution whose padding equals its rate, so the map keeps its size:
// the form DeepLab's backbone stages and ASPP branches use.
template <class T, Shape In, int OutChannels, int Rate, class B, ConvInit Init = ConvInit::kaiming_normal_fan_out>
using AtrousConv = Conv2d<T, In, Conv2dParams{In.c, OutChannels, 3, 1, Rate, Rate, false}, B, Init>;

}  // namespace salt::nn
