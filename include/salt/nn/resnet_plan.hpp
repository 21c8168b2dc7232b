// salt/nn/resnet_plan.hpp — the ResNet backbone's stage plan as constexpr values: the block kinds,
// and each stage's stride and dilations for an output stride, with torchvision's
// replace_stride_with_dilation semantics (see nn/resnet.hpp).
//
// Kept apart from the layers, with no allocation and no exceptions, because the embedded inference
// path (salt/embedded/), which compiles with -fno-exceptions -fno-rtti, walks the same plan.
#pragma once

namespace salt::nn {

// The two block kinds: Bottleneck (1x1, 3x3, 1x1; 4x expansion) and BasicBlock (two 3x3).
enum class BlockKind { bottleneck, basic };

// Stride and dilations of the four stages for a given choice of dilated stages.
struct StagePlan {
    int stride[4];
    int first_dilation[4];
    int dilation[4];
};
constexpr StagePlan plan_stages(bool dilate2, bool dilate3, bool dilate4) {
    StagePlan p{};
    const bool dilate[4] = {false, dilate2, dilate3, dilate4};
    const int base_stride[4] = {1, 2, 2, 2};
    int dilation = 1;
    for (int i = 0; i < 4; ++i) {
        int stride = base_stride[i];
        const int previous = dilation;
        if (dilate[i]) {
            dilation *= stride;
            stride = 1;
        }
        p.stride[i] = stride;
        p.first_dilation[i] = previous;
        p.dilation[i] = dilation;
    }
    return p;
}

// DeepLabV3's output strides map to which stages are dilated.
constexpr StagePlan plan_for_output_stride(int output_stride) {
    return output_stride == 8 ? plan_stages(false, true, true) : plan_stages(false, false, true);
}

}  // namespace salt::nn
