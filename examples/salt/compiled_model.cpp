// The list of configurations compiled into the salt command (see compiled_model.hpp).
#include "compiled_model.hpp"

#include <stdexcept>

#include "args.hpp"

namespace salt::cli {

// On the CPU backend: every configuration.
std::unique_ptr<CompiledModel> make_model_1ch_128_os8();
std::unique_ptr<CompiledModel> make_model_3ch_128_os8();
std::unique_ptr<CompiledModel> make_model_1ch_101_os8();
std::unique_ptr<CompiledModel> make_model_3ch_101_os8();
std::unique_ptr<CompiledModel> make_model_1ch_128_os16();
std::unique_ptr<CompiledModel> make_model_2ch_128_os8();
#if SALT_CLI_CUDA
// On the CUDA backend: what `salt train` runs at its default size — 1 channel (image) or 2 (image +
// depth) at output stride 8, and output stride 16 — and therefore what eval, predict and forward need
// for the weights it writes. The 101x101 and 3-channel configurations (torchvision parity, unpadded
// input) stay CPU-only: each CUDA configuration is one more model translation unit to compile.
std::unique_ptr<CompiledModel> make_cuda_model_1ch_128_os8();
std::unique_ptr<CompiledModel> make_cuda_model_2ch_128_os8();
std::unique_ptr<CompiledModel> make_cuda_model_1ch_128_os16();
#endif

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
#if SALT_CLI_CUDA
        v.push_back(make_cuda_model_1ch_128_os8());
        v.push_back(make_cuda_model_2ch_128_os8());
        v.push_back(make_cuda_model_1ch_128_os16());
#endif
        return v;
    }();
    return list;
}

std::string cuda_configurations() {
    std::string list;
    for (const auto& m : compiled_models())
        if (m->device() == DeviceKind::cuda) list += (list.empty() ? "" : "; ") + config_name(m->config());
    return list;
}

const CompiledModel& find_compiled_model(int height, int width, int channels, int output_stride, DeviceKind device) {
    std::string have;
    bool on_cpu = false;
    for (const auto& m : compiled_models()) {
        const auto c = m->config();
        const bool match = c.height == height && c.width == width && c.in_channels == channels && c.output_stride == output_stride;
        if (match && m->device() == device) return *m;
        on_cpu = on_cpu || match;
        if (m->device() == DeviceKind::cpu) have += "\n  " + config_name(c);
    }
    const std::string wanted = std::to_string(channels) + " channel(s), " + std::to_string(height) + "x" +
                               std::to_string(width) + ", output stride " + std::to_string(output_stride);
    if (on_cpu) {
        const std::string cuda = cuda_configurations();
        throw UsageError("--device cuda: DeepLabV3-ResNet50 for " + wanted + " is compiled for the CPU only; " +
                         (cuda.empty() ? std::string("this salt has no CUDA configurations")
                                       : "the CUDA configurations are: " + cuda) +
                         " (or use --device cpu)");
    }
    throw std::invalid_argument("no compiled DeepLabV3-ResNet50 for " + wanted + "; this salt is built with:" + have);
}

const CompiledModel& model_for_weights(const io::SafetensorsFile& weights, DeviceKind device) {
    const auto& m = weights.metadata();
    auto get = [&](const char* k) {
        const auto it = m.find(k);
        if (it == m.end())
            throw std::invalid_argument(weights.source() + ": no '" + k + "' metadata; the file was not written by salt train");
        return std::stoi(it->second);
    };
    const int h = get("salt.height"), w = get("salt.width"), c = get("salt.in_channels"), os = get("salt.output_stride");
    try {
        return find_compiled_model(h, w, c, os, device);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(weights.source() + ": " + e.what());
    }
}

}  // namespace salt::cli
