// salt/nn/sequential.hpp — a chain of layers, each bound to the shape the previous one produces.
//
// A chain is written as a list of layer *specs* (small types from salt/nn/spec.hpp, e.g.
// spec::conv<64, 128, 3, 1, 1>), and Sequential binds each to its input shape in turn. So the user
// never spells an intermediate shape, and the first spec that does not fit its input stops the
// build with that layer's own message. Children are named "0", "1", ... as in torch.nn.Sequential.
#pragma once

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "salt/core/tensor.hpp"
#include "salt/nn/context.hpp"
#include "salt/nn/batch_norm.hpp"
#include "salt/nn/conv2d.hpp"
#include "salt/core/backend.hpp"
#include "salt/nn/parameter.hpp"

namespace salt::nn {

namespace detail {
// The bound layers as a plain type list, built by prepending. (std::tuple_cat here instantiated a
// tuple of every suffix of the chain, each with its recursive base classes: quadratic in the chain's
// length, and a measurable share of the compiler's memory for the whole model.)
template <class... Layers>
struct layer_list {};
template <class Head, class List>
struct prepend;
template <class Head, class... Layers>
struct prepend<Head, layer_list<Layers...>> {
    using type = layer_list<Head, Layers...>;
};

template <class T, Shape In, class B, class... Specs>
struct bind_chain {
    using type = layer_list<>;
    static constexpr Shape out = In;
};
template <class T, Shape In, class B, class First, class... Rest>
struct bind_chain<T, In, B, First, Rest...> {
    using head = typename First::template bind<T, In, B>;
    using tail = bind_chain<T, head::out_shape, B, Rest...>;
    using type = typename prepend<head, typename tail::type>::type;
    static constexpr Shape out = tail::out;
};

// Flat storage: one base class per child, told apart by its index (no recursion, unlike std::tuple).
template <std::size_t I, class Layer>
struct slot {
    Layer layer;
};
template <class Indices, class List>
struct slots;
template <std::size_t... I, class... Layers>
struct slots<std::index_sequence<I...>, layer_list<Layers...>> : slot<I, Layers>... {};

// Child I, found by deducing the base class slot<I, Layer>.
template <std::size_t I, class Layer>
Layer& child(slot<I, Layer>& s) {
    return s.layer;
}
template <std::size_t I, class Layer>
std::type_identity<Layer> child_type(const slot<I, Layer>&);  // only named in decltype
}  // namespace detail

template <class T, Shape In, class B, class... Specs>
class Sequential {
    static_assert(sizeof...(Specs) > 0, "Sequential: a chain needs at least one layer");
    using binding = detail::bind_chain<T, In, B, Specs...>;
    static constexpr std::size_t N = sizeof...(Specs);
    using Layers = detail::slots<std::make_index_sequence<N>, typename binding::type>;
    template <std::size_t I>
    using layer_t = typename decltype(detail::child_type<I>(std::declval<const Layers&>()))::type;

public:
    using scalar_type = T;
    using backend_type = B;
    template <std::size_t I>
    using layer_type = layer_t<I>;
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = binding::out;

    // Training keeps every child's saved tensors; inference compacts after each child, so only one
    // input and one output (plus the child's scratch) are live at a time.
    static constexpr std::size_t forward_keep(int batch, Mode m) {
        if (m == Mode::eval) return aligned_bytes<T>(out_shape.size() * batch);
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return (std::size_t(0) + ... + layer_t<I>::forward_keep(batch, m));
        }(std::make_index_sequence<N>{});
    }
    // Mirrors forward_from: in training every child's keep stays; in inference each child's output is
    // compacted to the mark, and a Conv -> BN [-> ReLU] run the backend fuses takes only its output.
    static constexpr std::size_t forward_peak(int batch, Mode m) {
        std::size_t peak = 0, below = 0;
        int skip = 0;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (
                [&] {
                    if (skip > 0) {
                        --skip;
                        return;
                    }
                    if constexpr (conv_bn_at<I>()) {
                        if (m == Mode::eval) {
                            const std::size_t out = aligned_bytes<T>(layer_t<I>::out_shape.size() * batch);
                            peak = std::max(peak, below + out);
                            below = out;
                            skip = relu_at<I + 2>() ? 2 : 1;
                            return;
                        }
                    }
                    peak = std::max(peak, below + layer_t<I>::forward_peak(batch, m));
                    below = (m == Mode::train) ? below + layer_t<I>::forward_keep(batch, m)
                                               : aligned_bytes<T>(layer_t<I>::out_shape.size() * batch);
                }(),
                ...);
        }(std::make_index_sequence<N>{});
        return peak;
    }
    static constexpr std::size_t backward_peak(int batch) {
        std::size_t peak = 0;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            // Child I runs with the gradient of its output (child I+1's input) compacted below it;
            // the last child's gradient is the caller's.
            ((peak = std::max(peak, (I + 1 < N ? aligned_bytes<T>(layer_t<I>::out_shape.size() * batch) : 0) +
                                        layer_t<I>::backward_peak(batch))),
             ...);
        }(std::make_index_sequence<N>{});
        return std::max(peak, aligned_bytes<T>(In.size() * batch));
    }
    static constexpr std::size_t parameter_count() {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return (std::size_t(0) + ... + layer_t<I>::parameter_count());
        }(std::make_index_sequence<N>{});
    }
    static constexpr ParamSizes param_sizes() {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return (ParamSizes{} + ... + layer_t<I>::param_sizes());
        }(std::make_index_sequence<N>{});
    }
    static constexpr OpSet ops_used = [] {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return (OpSet{} | ... | layer_t<I>::ops_used);
        }(std::make_index_sequence<N>{});
    }();

    void bind(ParamBinder<T>& b) {
        [&]<std::size_t... I>(std::index_sequence<I...>) { (get<I>().bind(b), ...); }(std::make_index_sequence<N>{});
    }
    void init(Rng& rng, HostParams<T>& host) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (get<I>().init(rng, host), ...);
        }(std::make_index_sequence<N>{});
    }

    // U is T or const T: a chain whose first layer only reads its input (a conv) accepts a const view.
    template <class U>
        requires std::is_same_v<std::remove_const_t<U>, T>
    TensorView<T, out_shape> forward(TensorView<U, In> x, Context<B>& ctx) {
        const std::size_t mark = ctx.workspace.mark();
        return forward_from<0>(x, ctx, mark);
    }

    TensorView<T, In> backward(TensorView<T, out_shape> dy, Context<B>& ctx) {
        const std::size_t mark = ctx.workspace.mark();
        return backward_from<N - 1>(dy, ctx, mark);
    }

    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (layer_t<I>::describe(join_name(prefix, std::to_string(I).c_str()), f), ...);
        }(std::make_index_sequence<N>{});
    }

    void visit(const std::string& prefix, ParamVisitor<T> f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (get<I>().visit(join_name(prefix, std::to_string(I).c_str()), f), ...);
        }(std::make_index_sequence<N>{});
    }

    template <std::size_t I>
    layer_t<I>& get() { return detail::child<I>(layers_); }

private:
    // Children I, I+1 are Conv2d -> BatchNorm2d and the backend has the fused inference op: in
    // inference they run as one op (with child I+2 too when it is a ReLU).
    template <std::size_t I>
    static constexpr bool conv_bn_at() {
        if constexpr (I + 1 < N && has_op<B, Op::conv2d_bn_forward_eval>) {
            return requires { layer_t<I>::is_conv2d; } && requires { layer_t<I + 1>::is_batch_norm; };
        } else {
            return false;
        }
    }
    template <std::size_t I>
    static constexpr bool relu_at() {
        if constexpr (I < N) return requires { layer_t<I>::is_relu; };
        else return false;
    }

    // Children I, I+1 are BatchNorm2d -> ReLU and the backend has the fused training ops: in training
    // they run as one op, forward and backward.
    template <std::size_t I>
    static constexpr bool bn_relu_at() {
        if constexpr (I + 1 < N && requires { layer_t<I>::is_batch_norm; }) {
            return layer_t<I>::fused_relu && requires { layer_t<I + 1>::is_relu; };
        } else {
            return false;
        }
    }

    template <std::size_t I, class U, Shape S>
    auto forward_from(TensorView<U, S> x, Context<B>& ctx, std::size_t mark) {
        if constexpr (bn_relu_at<I>()) {
            if (ctx.training()) {
                auto y = get<I>().forward_relu(TensorView<const T, S>(x), ctx);
                if constexpr (I + 2 < N) return forward_from<I + 2>(y, ctx, mark);
                else return y;
            }
        }
        if constexpr (conv_bn_at<I>()) {
            if (!ctx.training()) {
                constexpr bool relu = relu_at<I + 2>();
                auto y = get<I>().forward_bn_eval(TensorView<const T, S>(x), ctx, get<I + 1>(),
                                                              nullptr, relu);
                y = compact_to(ctx, mark, y);
                constexpr std::size_t next = I + (relu ? 3 : 2);
                if constexpr (next < N) return forward_from<next>(y, ctx, mark);
                else return y;
            }
        }
        auto y = get<I>().forward(x, ctx);
        if (!ctx.training()) y = compact_to(ctx, mark, y);
        if constexpr (I + 1 < N) return forward_from<I + 1>(y, ctx, mark);
        else return y;
    }
    template <std::size_t I, Shape S>
    auto backward_from(TensorView<T, S> dy, Context<B>& ctx, std::size_t mark) {
        if constexpr (I >= 1) {
            if constexpr (bn_relu_at<I - 1>()) {  // forward ran them fused (training)
                auto dx = compact_to(ctx, mark, get<I - 1>().backward_relu(dy, ctx));
                if constexpr (I > 1) return backward_from<I - 2>(dx, ctx, mark);
                else return dx;
            } else {
                return backward_plain<I>(dy, ctx, mark);
            }
        } else {
            return backward_plain<I>(dy, ctx, mark);
        }
    }
    template <std::size_t I, Shape S>
    auto backward_plain(TensorView<T, S> dy, Context<B>& ctx, std::size_t mark) {
        auto dx = compact_to(ctx, mark, get<I>().backward(dy, ctx));
        if constexpr (I > 0) return backward_from<I - 1>(dx, ctx, mark);
        else return dx;
    }

    Layers layers_;
};

}  // namespace salt::nn
