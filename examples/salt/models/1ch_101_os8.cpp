// One compiled configuration of the salt command: 1 input channel(s), 101x101, output stride 8.
#include "../compiled_model_impl.hpp"

namespace salt::cli {
std::unique_ptr<CompiledModel> make_model_1ch_101_os8() {
    return std::make_unique<CompiledModelImpl<models::DeepLabV3Config{.height = 101, .width = 101, .in_channels = 1, .output_stride = 8}, backend::Simd>>();
}
}  // namespace salt::cli
