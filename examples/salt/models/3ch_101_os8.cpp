// One compiled configuration of the salt command: 3 input channel(s), 101x101, output stride 8.
#include "../compiled_model_impl.hpp"

namespace salt::cli {
std::unique_ptr<CompiledModel> make_model_3ch_101_os8() {
    return std::make_unique<CompiledModelImpl<models::DeepLabV3Config{.height = 101, .width = 101, .in_channels = 3, .output_stride = 8}, backend::Simd>>();
}
}  // namespace salt::cli
