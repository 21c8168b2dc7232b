// The list of configurations compiled into the salt command (see compiled_model.hpp).
#include "compiled_model.hpp"

#include <stdexcept>

namespace salt::cli {

std::unique_ptr<CompiledModel> make_model_1ch_128_os8();
std::unique_ptr<CompiledModel> make_model_3ch_128_os8();
std::unique_ptr<CompiledModel> make_model_1ch_101_os8();
std::unique_ptr<CompiledModel> make_model_3ch_101_os8();
std::unique_ptr<CompiledModel> make_model_1ch_128_os16();
std::unique_ptr<CompiledModel> make_model_2ch_128_os8();

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
        v.push_back(make_model_2ch_128_os8());
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

const CompiledModel& model_for_weights(const io::SafetensorsFile& weights) {
    const auto& m = weights.metadata();
    auto get = [&](const char* k) {
        const auto it = m.find(k);
        if (it == m.end())
            throw std::invalid_argument(weights.source() + ": no '" + k + "' metadata; the file was not written by salt train");
        return std::stoi(it->second);
    };
    const int h = get("salt.height"), w = get("salt.width"), c = get("salt.in_channels"), os = get("salt.output_stride");
    try {
        return find_compiled_model(h, w, c, os);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(weights.source() + ": " + e.what());
    }
}

}  // namespace salt::cli
