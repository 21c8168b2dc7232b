// One configuration of the salt command on the CUDA backend: 1 input channel, 128x128, output stride 16,
// image classifier on layer4 — what `salt train` builds by default (docs/results.md).
#include "../compiled_model_cuda.hpp"

namespace salt::cli {
std::unique_ptr<CompiledModel> make_cuda_model_1ch_128_os16_classifier() {
    return std::make_unique<CompiledModelImpl<models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 1, .output_stride = 16, .classification_head = true}, backend::Cuda>>();
}
}  // namespace salt::cli
