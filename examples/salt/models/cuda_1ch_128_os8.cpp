// One configuration of the salt command on the CUDA backend: 1 input channel(s), 128x128, output stride 8.
#include "../compiled_model_cuda.hpp"

namespace salt::cli {
std::unique_ptr<CompiledModel> make_cuda_model_1ch_128_os8() {
    return std::make_unique<CompiledModelImpl<models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 1, .output_stride = 8}, backend::Cuda>>();
}
}  // namespace salt::cli
