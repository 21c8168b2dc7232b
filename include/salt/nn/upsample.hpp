// salt/nn/upsample.hpp — bilinear resize to a compile-time size (F.interpolate's semantics).
// DeepLabV3 uses it twice, both with align_corners=false: the ASPP pooling branch (1x1 back to the
// feature map) and the final logits back to the input size.
#pragma once

#include <string>

#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/core/backend.hpp"
#include "salt/nn/parameter.hpp"

namespace salt::nn {

template <class T, Shape In, int OutH, int OutW, class B, bool AlignCorners = false>
class Upsample {
    static_assert(OutH > 0 && OutW > 0, "Upsample: the target height and width must be positive");

public:
    using scalar_type = T;
    using backend_type = B;
    static constexpr OpSet ops_used{Op::resize_bilinear_forward, Op::resize_bilinear_backward};
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = resize_out_shape(In, OutH, OutW);
    static constexpr std::size_t forward_keep(int batch, Mode) { return aligned_bytes<T>(out_shape.size() * batch); }
    static constexpr std::size_t forward_peak(int batch, Mode m) { return forward_keep(batch, m); }
    static constexpr std::size_t backward_peak(int batch) { return aligned_bytes<T>(In.size() * batch); }
    static constexpr std::size_t parameter_count() { return 0; }

    static constexpr ParamSizes param_sizes() { return {}; }
    void bind(ParamBinder<T>&) {}
    void init(Rng&, HostParams<T>&) {}
    TensorView<T, out_shape> forward(TensorView<const T, In> x, Context<B>& ctx) {
        auto y = ctx.template take<T, out_shape>(x.batch());
        run<Op::resize_bilinear_forward>(ctx.device(), In, x.batch(), OutH, OutW, AlignCorners, x.data(), y.data());
        return y;
    }
    TensorView<T, In> backward(TensorView<T, out_shape> dy, Context<B>& ctx) {
        auto dx = ctx.template take<T, In>(dy.batch());
        run<Op::resize_bilinear_backward>(ctx.device(), In, dy.batch(), OutH, OutW, AlignCorners,
                                          static_cast<const T*>(dy.data()), dx.data());
        return dx;
    }
    // One summary row: torchvision's module path, the layer's kind, its output shape, its parameters.
    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "Upsample", out_shape, parameter_count());
    }

    void visit(const std::string&, ParamVisitor<T>) {}
};

}  // namespace salt::nn
