// salt/nn/spec.hpp — layer specs: what a chain says about a layer before its input shape is known.
//
// A spec is a small type with `bind<T, In, B>`, the layer it becomes for input shape In. Specs read
// like PyTorch's constructors (spec::conv<in, out, kernel, stride, padding, dilation, bias>), which is
// also what makes a channel mismatch visible at compile time: the spec states the channels it expects.
#pragma once

#include "salt/nn/activation.hpp"
#include "salt/nn/batch_norm.hpp"
#include "salt/nn/conv2d.hpp"
#include "salt/nn/dropout.hpp"
#include "salt/nn/pooling.hpp"
#include "salt/nn/sequential.hpp"
#include "salt/nn/upsample.hpp"

namespace salt::nn::spec {

template <int InChannels, int OutChannels, int Kernel, int Stride = 1, int Padding = 0, int Dilation = 1,
          bool Bias = false, ConvInit Init = ConvInit::kaiming_normal_fan_out>
struct conv {
    template <class T, Shape In, class B>
    using bind = Conv2d<T, In, Conv2dParams{InChannels, OutChannels, Kernel, Stride, Padding, Dilation, Bias}, B, Init>;
};

// A dilated 3x3 conv with padding = rate (the map keeps its size), as in DeepLab.
template <int InChannels, int OutChannels, int Rate, ConvInit Init = ConvInit::kaiming_normal_fan_out>
using atrous_conv = conv<InChannels, OutChannels, 3, 1, Rate, Rate, false, Init>;

struct batch_norm {
    template <class T, Shape In, class B>
    using bind = BatchNorm2d<T, In, B>;
};
struct relu {
    template <class T, Shape In, class B>
    using bind = ReLU<T, In, B>;
};
struct sigmoid {
    template <class T, Shape In, class B>
    using bind = Sigmoid<T, In, B>;
};
template <int Kernel = 3, int Stride = 2, int Padding = 1>
struct max_pool {
    template <class T, Shape In, class B>
    using bind = MaxPool2d<T, In, Pool2dParams{Kernel, Stride, Padding}, B>;
};
struct global_avg_pool {
    template <class T, Shape In, class B>
    using bind = GlobalAvgPool<T, In, B>;
};
template <double Rate = 0.5>
struct dropout {
    template <class T, Shape In, class B>
    using bind = Dropout<T, In, B, Rate>;
};
template <int H, int W, bool AlignCorners = false>
struct upsample {
    template <class T, Shape In, class B>
    using bind = Upsample<T, In, H, W, B, AlignCorners>;
};
template <class... Specs>
struct sequential {
    template <class T, Shape In, class B>
    using bind = Sequential<T, In, B, Specs...>;
};

}  // namespace salt::nn::spec
