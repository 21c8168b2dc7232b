// salt/nn/conv2d.hpp — Conv2d (and AtrousConv, its dilated alias) as a layer with a compile-time
// input shape. The geometry rules are checked where the layer is bound to its input, and each rule
// has its own message, so a wrong composition reads as one plain sentence.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "salt/core/rng.hpp"
#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/nn/parameter.hpp"
#include "salt/core/backend.hpp"
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

template <class T, Shape In, Conv2dParams P, class B, ConvInit Init = ConvInit::kaiming_normal_fan_out>
class Conv2d {
    static constexpr bool ok_ = check::conv2d_stride_dilation<P.stride, P.dilation>() &&
                                check::conv2d_channels<In.c, P.in_channels>() &&
                                check::conv2d_kernel_fits<In.h + 2 * P.padding, In.w + 2 * P.padding,
                                                          dilated_extent(P.kernel, P.dilation)>();

public:
    using scalar_type = T;
    using backend_type = B;
    static constexpr Shape in_shape = In;
    // A shape that is always valid, so a failed rule above is the only error the user sees.
    static constexpr Shape out_shape = ok_ ? conv2d_out_shape(In, P) : Shape{1, 1, 1};
    static constexpr Conv2dParams params = P;
    static constexpr bool is_conv2d = true;
    static constexpr OpSet ops_used{Op::conv2d_forward, Op::conv2d_backward_data, Op::conv2d_backward_params};

    static constexpr std::size_t forward_keep(int batch, Mode) { return aligned_bytes<T>(out_shape.size() * batch); }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int batch) { return aligned_bytes<T>(In.size() * batch); }
    static constexpr std::size_t parameter_count() { return P.weight_count() + (P.bias ? P.out_channels : 0); }
    static constexpr ParamSizes param_sizes() {
        return param_sizes_of<T>(ParamSection::decay, P.weight_count()) +
               (P.bias ? param_sizes_of<T>(ParamSection::no_decay, std::size_t(P.out_channels)) : ParamSizes{});
    }

    void bind(ParamBinder<T>& b) {
        weight_ = b.take(ParamSection::decay, P.weight_count());
        if constexpr (P.bias) bias_ = b.take(ParamSection::no_decay, std::size_t(P.out_channels));
    }

    // Draws into the host image of the parameters; the owner uploads it. The draws are the same
    // whatever the backend's weight layout (element i of the drawn sequence is weight i of the
    // HWIO layout), so a seed means the same network on every backend.
    void init(Rng& rng, HostParams<T>& host) {
        const std::size_t n = P.weight_count();
        std::vector<T> w(n);
        if constexpr (Init == ConvInit::kaiming_normal_fan_out) {
            const double std = std::sqrt(2.0 / double(P.out_channels * P.kernel * P.kernel));
            for (std::size_t i = 0; i < n; ++i) w[i] = T(rng.normal() * std);
            if constexpr (P.bias) std::fill_n(host.at(bias_.value), P.out_channels, T(0));
        } else {
            const double bound = 1.0 / std::sqrt(double(P.in_channels * P.kernel * P.kernel));
            for (std::size_t i = 0; i < n; ++i) w[i] = T((2.0 * rng.uniform() - 1.0) * bound);
            if constexpr (P.bias) {
                T* b = host.at(bias_.value);
                for (int i = 0; i < P.out_channels; ++i) b[i] = T((2.0 * rng.uniform() - 1.0) * bound);
            }
        }
        ops::conv2d_weight_from_hwio(B::conv_weight_layout, P, w.data(), host.at(weight_.value));
    }

    TensorView<T, out_shape> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, out_shape>(x.batch());
        run<Op::conv2d_forward>(ctx.device(), In, x.batch(), P, x.data(), weight(), bias(), y.data());
        saved_x_ = x.data();
        trained_ = ctx.training();
        return y;
    }

    // Inference only, when the backend has Op::conv2d_bn_forward_eval: this conv, then `bn` with its
    // running statistics, then + residual (nullable, the output's shape), then ReLU when `relu`, as
    // one op. Takes only the output from the workspace (what forward takes).
    template <class BN>
    TensorView<T, out_shape> forward_bn_eval(TensorView<const T, In> x, Context<B>& ctx, BN& bn, const T* residual,
                                             bool relu) {
        auto y = ctx.template take<T, out_shape>(x.batch());
        run<Op::conv2d_bn_forward_eval>(ctx.device(), In, x.batch(), P, x.data(), weight(), bias(), bn.params(),
                                        bn.gamma(), bn.beta(), bn.running_mean(), bn.running_var(), residual, relu,
                                        y.data());
        trained_ = false;
        return y;
    }

    TensorView<T, In> backward(TensorView<T, out_shape> dy, Context<B>& ctx) {
        if (!trained_) backward_without_training_forward("Conv2d");
        auto dx = ctx.template take<T, In>(dy.batch());
        run<Op::conv2d_backward_params>(ctx.device(), In, dy.batch(), P, saved_x_, dy.data(), weight_.grad, bias_.grad);
        run<Op::conv2d_backward_data>(ctx.device(), In, dy.batch(), P, dy.data(), weight(), dx.data());
        return dx;
    }

    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "Conv2d", out_shape, parameter_count());
    }

    void visit(const std::string& prefix, ParamVisitor<T> f) {
        ParamRef<T> w{join_name(prefix, "weight"), ParamKind::conv_weight,
                      {P.out_channels, P.in_channels, P.kernel, P.kernel}, weight_.value, weight_.grad,
                      P.weight_count(), P};
        f(w);
        if constexpr (P.bias) {
            ParamRef<T> b{join_name(prefix, "bias"), ParamKind::conv_bias, {P.out_channels}, bias_.value,
                          bias_.grad, std::size_t(P.out_channels), P};
            f(b);
        }
    }

    T* weight() { return weight_.value; }
    T* bias() { return P.bias ? bias_.value : nullptr; }

private:
    ParamSlice<T> weight_, bias_;
    const T* saved_x_ = nullptr;
    bool trained_ = false;
};

// A dilated ("atrous") 3x3 convolution whose padding equals its rate, so the map keeps its size:
// the form DeepLab's backbone stages and ASPP branches use.
template <class T, Shape In, int OutChannels, int Rate, class B, ConvInit Init = ConvInit::kaiming_normal_fan_out>
using AtrousConv = Conv2d<T, In, Conv2dParams{In.c, OutChannels, 3, 1, Rate, Rate, false}, B, Init>;

}  // namespace salt::nn
