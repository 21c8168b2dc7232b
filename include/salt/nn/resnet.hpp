// salt/nn/resnet.hpp — the ResNet backbone (Bottleneck blocks: ResNet-50/101; BasicBlocks:
// ResNet-18/34) with torchvision's replace_stride_with_dilation semantics, as DeepLabV3 uses it.
//
// torchvision's _make_layer: when a stage is dilated, previous = dilation; dilation *= stride;
// stride = 1; block 0 uses `previous`, blocks 1.. the new dilation. So with output stride 8,
// layer3 = [d1, d2 x5] and layer4 = [d2, d4 x2]. All of it is computed here at compile time.
#pragma once

#include <array>
#include <string>
#include <utility>

#include "salt/nn/basic_block.hpp"
#include "salt/nn/bottleneck.hpp"
#include "salt/nn/resnet_plan.hpp"
#include "salt/nn/spec.hpp"

namespace salt::nn {

namespace detail {
// A list of specs: the first block's, then Count copies of the others'.
template <class... Specs>
struct spec_list {};
template <class List, class Spec, int Count>
struct append_copies {
    using type = typename append_copies<typename append_copies<List, Spec, 1>::type, Spec, Count - 1>::type;
};
template <class List, class Spec>
struct append_copies<List, Spec, 0> {
    using type = List;
};
template <class... Specs, class Spec>
struct append_copies<spec_list<Specs...>, Spec, 1> {
    using type = spec_list<Specs..., Spec>;
};
template <class T, Shape In, class B, class List>
struct sequential_of;
template <class T, Shape In, class B, class... Specs>
struct sequential_of<T, In, B, spec_list<Specs...>> {
    using type = Sequential<T, In, B, Specs...>;
};
}  // namespace detail

template <BlockKind K, int Planes, int Stride, int Dilation>
struct block_spec {
    using type = spec::bottleneck<Planes, Stride, Dilation>;
};
template <int Planes, int Stride, int Dilation>
struct block_spec<BlockKind::basic, Planes, Stride, Dilation> {
    using type = spec::basic_block<Planes, Stride, Dilation>;
};

// One ResNet stage ("layer1" .. "layer4"): Blocks blocks, the first carrying the stride.
// (A struct rather than an alias template: g++ 12 crashes substituting class-type template
// arguments such as Shape through an alias template used in a dependent context.)
template <class T, Shape In, class B, int Planes, int Blocks, int Stride, int FirstDilation, int Dilation,
          BlockKind K = BlockKind::bottleneck>
struct resnet_stage {
    using type = typename detail::sequential_of<
        T, In, B,
        typename detail::append_copies<detail::spec_list<typename block_spec<K, Planes, Stride, FirstDilation>::type>,
                                       typename block_spec<K, Planes, 1, Dilation>::type, Blocks - 1>::type>::type;
};

// The stem (conv1 7x7/2, bn1, relu, maxpool 3x3/2) and four stages, with torchvision's names.
template <class T, Shape In, class B, int Blocks1, int Blocks2, int Blocks3, int Blocks4, int OutputStride,
          BlockKind K = BlockKind::bottleneck>
class ResNetBackbone {
    static_assert(OutputStride == 8 || OutputStride == 16, "ResNetBackbone: the output stride must be 8 or 16");
    static constexpr StagePlan P = plan_for_output_stride(OutputStride);

public:
    using scalar_type = T;
    using backend_type = B;
    using Stem = Sequential<T, In, B, spec::conv<In.c, 64, 7, 2, 3>, spec::batch_norm, spec::relu, spec::max_pool<3, 2, 1>>;
    using Layer1 = typename resnet_stage<T, Stem::out_shape, B, 64, Blocks1, P.stride[0], P.first_dilation[0], P.dilation[0], K>::type;
    using Layer2 = typename resnet_stage<T, Layer1::out_shape, B, 128, Blocks2, P.stride[1], P.first_dilation[1], P.dilation[1], K>::type;
    using Layer3 = typename resnet_stage<T, Layer2::out_shape, B, 256, Blocks3, P.stride[2], P.first_dilation[2], P.dilation[2], K>::type;
    using Layer4 = typename resnet_stage<T, Layer3::out_shape, B, 512, Blocks4, P.stride[3], P.first_dilation[3], P.dilation[3], K>::type;

    static constexpr Shape in_shape = In;
    static constexpr Shape layer3_shape = Layer3::out_shape;
    static constexpr Shape out_shape = Layer4::out_shape;

    static constexpr std::size_t parameter_count() {
        return Stem::parameter_count() + Layer1::parameter_count() + Layer2::parameter_count() +
               Layer3::parameter_count() + Layer4::parameter_count();
    }
    static constexpr ParamSizes param_sizes() {
        return Stem::param_sizes() + Layer1::param_sizes() + Layer2::param_sizes() + Layer3::param_sizes() +
               Layer4::param_sizes();
    }
    static constexpr OpSet ops_used =
        Stem::ops_used | Layer1::ops_used | Layer2::ops_used | Layer3::ops_used | Layer4::ops_used;

    void bind(ParamBinder<T>& b) { stem_.bind(b), layer1_.bind(b), layer2_.bind(b), layer3_.bind(b), layer4_.bind(b); }
    void init(Rng& rng, HostParams<T>& h) {
        stem_.init(rng, h), layer1_.init(rng, h), layer2_.init(rng, h), layer3_.init(rng, h), layer4_.init(rng, h);
    }

    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        Stem::template layer_type<0>::describe(join_name(prefix, "conv1"), f);
        Stem::template layer_type<1>::describe(join_name(prefix, "bn1"), f);
        Stem::template layer_type<2>::describe(join_name(prefix, "relu"), f);
        Stem::template layer_type<3>::describe(join_name(prefix, "maxpool"), f);
        Layer1::describe(join_name(prefix, "layer1"), f);
        Layer2::describe(join_name(prefix, "layer2"), f);
        Layer3::describe(join_name(prefix, "layer3"), f);
        Layer4::describe(join_name(prefix, "layer4"), f);
    }

    void visit(const std::string& prefix, ParamVisitor<T> f) {
        // The stem's children have names in torchvision, not indices.
        stem_.template get<0>().visit(join_name(prefix, "conv1"), f);
        stem_.template get<1>().visit(join_name(prefix, "bn1"), f);
        layer1_.visit(join_name(prefix, "layer1"), f);
        layer2_.visit(join_name(prefix, "layer2"), f);
        layer3_.visit(join_name(prefix, "layer3"), f);
        layer4_.visit(join_name(prefix, "layer4"), f);
    }

    Stem& stem() { return stem_; }
    Layer1& layer1() { return layer1_; }
    Layer2& layer2() { return layer2_; }
    Layer3& layer3() { return layer3_; }
    Layer4& layer4() { return layer4_; }

private:
    Stem stem_;
    Layer1 layer1_;
    Layer2 layer2_;
    Layer3 layer3_;
    Layer4 layer4_;
};

}  // namespace salt::nn
