// One compiled configuration of the salt command: 1 input channel, 128x128, output stride 16, ResNet-34
// encoder with the image classifier on layer4 (a combination measured in docs/results.md).
#include "../compiled_model_impl.hpp"

namespace salt::cli {
std::unique_ptr<CompiledModel> make_model_1ch_128_os16_resnet34_classifier() {
    return std::make_unique<CompiledModelImpl<models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 1, .blocks = models::resnet34_blocks, .block = models::BlockKind::basic, .output_stride = 16, .classification_head = true}, backend::Simd>>();
}
}  // namespace salt::cli
