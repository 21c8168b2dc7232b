// One compiled configuration of the salt command: 1 input channel(s), 128x128, output stride 8.
#include "../compiled_model_impl.hpp"

namespace salt::cli {
std::unique_ptr<CompiledModel> make_model_1ch_128_os8() {
    return std::make_unique<CompiledModelImpl<models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 1, .output_stride = 8}, backend::Simd>>();
}
}  // namespace salt::cli
