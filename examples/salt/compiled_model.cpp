// The list of configurations compiled into the salt command (see compiled_model.hpp).
#include "compiled_model.hpp"

#include <stdexcept>

namespace salt::cli {

std::unique_ptr<CompiledModel> make_model_1ch_128_os8();
std::unique_ptr<CompiledModel> make_model_3ch_128_os8();
std::unique_ptr<CompiledModel> make_model_1ch_101_os8();
std::unique_ptr<CompiledModel> make_model_3ch_101_os8();
std::unique_ptr<CompiledModel> make_model_1ch_128_os16();

std::string config_name(const models::DeepLabV3Config& c) {
    return std::to_string(c.in_channels) + " channel" + (c.in_channels == 1 ? "" : "s") + ", " + std::to_string(c.height) +
           "x" + std::to_string(c.width) + ", output stride " + std::to_string(c.output_stride);
}

const std::vector<std::unique_ptr<CompiledModel>>& compiled_models() {
    static const auto list = [] {
        std::vector<std::unique_ptr<CompiledModel>> v;
        v.push_back(make_model_1ch_128_os8());
        v.push_back(make_model_3ch_128_os8());
        v.push_back(make_model_1ch_101_os8());
        v.push_back(make_model_3ch_101_os8());
        v.push_back(make_model_1ch_128_os16());
        return v;
    }();
    return list;
}

const CompiledModel& find_compiled_model(int height, int width, int channels, int output_stride) {
    std::string have;
    for (const auto& m : compiled_models()) {
        const auto c = m->config();
        if (c.height == height && c.width == width && c.in_channels == channels && c.output_stride == output_stride)
            return *m;
        have += "\n  " + config_name(c);
    }
    throw std::invalid_argument("no compiled DeepLabV3-ResNet50 for " + std::to_string(channels) + " channel(s), " +
                                std::to_string(height) + "x" + std::to_string(width) + ", output stride " +
                                std::to_string(output_stride) + "; this salt is built with:" + have);
}

}  // namespace salt::cli
