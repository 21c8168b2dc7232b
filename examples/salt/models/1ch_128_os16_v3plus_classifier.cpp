// One compiled configuration of the salt command: 1 input channel, 128x128, output stride 16, DeepLabV3+
// decoder with the image classifier on layer4 (a combination measured in docs/results.md: the decoder finds
// small bodies, the classifier's gate answers its false masks on empty images).
#include "../compiled_model_impl.hpp"

namespace salt::cli {
std::unique_ptr<CompiledModel> make_model_1ch_128_os16_v3plus_classifier() {
    return std::make_unique<CompiledModelImpl<models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 1, .output_stride = 16, .decoder = models::Decoder::deeplabv3plus, .classification_head = true}, backend::Simd>>();
}
}  // namespace salt::cli
