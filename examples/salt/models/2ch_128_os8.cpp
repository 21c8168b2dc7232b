// One compiled configuration of the salt command: image + depth channel, 128x128, output stride 8
// (salt train --depth-channel).
#include "../compiled_model_impl.hpp"

namespace salt::cli {
std::unique_ptr<CompiledModel> make_model_2ch_128_os8() {
    return std::make_unique<CompiledModelImpl<models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 2, .output_stride = 8}, backend::Simd>>();
}
}  // namespace salt::cli
