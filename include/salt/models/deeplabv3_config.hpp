// salt/models/deeplabv3_config.hpp — DeepLabV3's compile-time configuration (input, backbone,
// output stride, decoder, heads), apart from the layers so that code which must not allocate or
// throw (the embedded inference path, salt/embedded/) can take the same configuration value.
#pragma once

#include <array>

#include "salt/nn/resnet_plan.hpp"

namespace salt::models {

inline constexpr std::array<int, 4> resnet18_blocks{2, 2, 2, 2};
inline constexpr std::array<int, 4> resnet34_blocks{3, 4, 6, 3};
inline constexpr std::array<int, 4> resnet50_blocks{3, 4, 6, 3};
inline constexpr std::array<int, 4> resnet101_blocks{3, 4, 23, 3};

using nn::BlockKind;

// The decoder on the encoder: torchvision's DeepLabHead (ASPP, 3x3 conv, 1x1 conv; the logits at the
// output stride, upsampled to the input), or the DeepLabV3+ decoder (the ASPP output upsampled to
// layer1's stride-4 features and combined with them: nn/deeplabv3plus.hpp).
enum class Decoder { deeplabv3, deeplabv3plus };

struct DeepLabV3Config {
    int height = 128;
    int width = 128;
    int in_channels = 1;
    int classes = 1;
    std::array<int, 4> blocks = resnet50_blocks;
    BlockKind block = BlockKind::bottleneck;  // basic: ResNet-18/34 (BasicBlock), bottleneck: ResNet-50/101
    int output_stride = 8;
    std::array<int, 3> rates = {12, 24, 36};
    bool aux = false;
    Decoder decoder = Decoder::deeplabv3;
    // An image-level salt / no-salt classifier on layer4 (global average pool, linear: one logit per
    // image), trained with a small weight beside the mask loss; at inference its probability gates
    // the mask (train/postprocess.hpp).
    bool classification_head = false;

    constexpr bool operator==(const DeepLabV3Config&) const = default;
};

// The model `salt train` trains when no option says otherwise (docs/results.md measured it best at a
// fixed time budget): DeepLabV3-ResNet50, 1 channel, 128x128, output stride 16 (2.9x the images per
// second of 8), with the image classifier. DeepLabV3Config{} stays torchvision's own architecture
// (output stride 8, no classifier), the one the parity tests compare with.
inline constexpr DeepLabV3Config kTrainDefault{.output_stride = 16, .classification_head = true};

// The backbone's name as torchvision (and segmentation_models_pytorch) call it.
constexpr const char* encoder_name(const DeepLabV3Config& c) {
    if (c.block == BlockKind::basic) return c.blocks == resnet18_blocks ? "resnet18" : c.blocks == resnet34_blocks ? "resnet34" : "resnet(basic)";
    return c.blocks == resnet50_blocks ? "resnet50" : c.blocks == resnet101_blocks ? "resnet101" : "resnet(bottleneck)";
}

}  // namespace salt::models
