// The list of configurations compiled into the salt command (see compiled_model.hpp).
#include "compiled_model.hpp"

#include <stdexcept>

#include "args.hpp"
#include "salt/io/number.hpp"

namespace salt::cli {

// On the CPU backend: every configuration.
std::unique_ptr<CompiledModel> make_model_1ch_128_os8();
std::unique_ptr<CompiledModel> make_model_3ch_128_os8();
std::unique_ptr<CompiledModel> make_model_1ch_101_os8();
std::unique_ptr<CompiledModel> make_model_3ch_101_os8();
std::unique_ptr<CompiledModel> make_model_1ch_128_os16();
std::unique_ptr<CompiledModel> make_model_2ch_128_os8();
// The architecture options at the size and stride the training recipe uses, one change each (the
// ablations of docs/results.md).
std::unique_ptr<CompiledModel> make_model_1ch_128_os16_rates_2_4_6();
std::unique_ptr<CompiledModel> make_model_1ch_128_os16_v3plus();
std::unique_ptr<CompiledModel> make_model_1ch_128_os16_classifier();
std::unique_ptr<CompiledModel> make_model_1ch_128_os16_resnet34();
// Combinations of those options that the ablation measured together.
std::unique_ptr<CompiledModel> make_model_1ch_128_os16_v3plus_classifier();
std::unique_ptr<CompiledModel> make_model_1ch_128_os16_resnet34_classifier();
#if SALT_CLI_CUDA
// On the CUDA backend: what `salt train` runs at its default size — its default model (output stride 16
// with the image classifier), output stride 16 without it, and 1 channel (image) or 2 (image + depth) at
// output stride 8 — and therefore what eval, predict and forward need
// for the weights it writes. The 101x101 and 3-channel configurations (torchvision parity, unpadded
// input) stay CPU-only: each CUDA configuration is one more model translation unit to compile.
std::unique_ptr<CompiledModel> make_cuda_model_1ch_128_os8();
std::unique_ptr<CompiledModel> make_cuda_model_2ch_128_os8();
std::unique_ptr<CompiledModel> make_cuda_model_1ch_128_os16();
std::unique_ptr<CompiledModel> make_cuda_model_1ch_128_os16_classifier();
#endif

models::DeepLabV3Config make_config(int height, int width, int channels, int output_stride, const Architecture& arch) {
    models::DeepLabV3Config c;
    c.height = height, c.width = width, c.in_channels = channels, c.output_stride = output_stride;
    if (arch.encoder == "resnet18") c.blocks = models::resnet18_blocks, c.block = models::BlockKind::basic;
    else if (arch.encoder == "resnet34") c.blocks = models::resnet34_blocks, c.block = models::BlockKind::basic;
    else if (arch.encoder == "resnet50") c.blocks = models::resnet50_blocks, c.block = models::BlockKind::bottleneck;
    else if (arch.encoder == "resnet101") c.blocks = models::resnet101_blocks, c.block = models::BlockKind::bottleneck;
    else throw std::invalid_argument("unknown encoder '" + arch.encoder + "' (resnet18, resnet34, resnet50 or resnet101)");
    if (arch.decoder == "deeplabv3") c.decoder = models::Decoder::deeplabv3;
    else if (arch.decoder == "deeplabv3plus") c.decoder = models::Decoder::deeplabv3plus;
    else throw std::invalid_argument("unknown decoder '" + arch.decoder + "' (deeplabv3 or deeplabv3plus)");
    for (int r : arch.rates)
        if (r < 1 || r > 64) throw std::invalid_argument("ASPP rates must be in 1..64, got " + std::to_string(r));
    c.rates = arch.rates;
    c.classification_head = arch.classifier;
    return c;
}

std::array<int, 3> parse_rates(const std::string& text) {
    std::array<int, 3> r{};
    std::size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
        const auto end = text.find(',', pos);
        const std::string part = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string::npos ||
            (i < 2 && end == std::string::npos) || (i == 2 && end != std::string::npos))
            throw std::invalid_argument("ASPP rates must be three positive integers separated by commas (like 12,24,36), got '" +
                                        text + "'");
        r[std::size_t(i)] = std::stoi(part);
        pos = end + 1;
    }
    return r;
}

namespace {
std::string rates_text(const std::array<int, 3>& r) {
    return std::to_string(r[0]) + "," + std::to_string(r[1]) + "," + std::to_string(r[2]);
}
}  // namespace

std::string config_name(const models::DeepLabV3Config& c) {
    std::string s = std::to_string(c.in_channels) + " channel" + (c.in_channels == 1 ? "" : "s") + ", " +
                    std::to_string(c.height) + "x" + std::to_string(c.width) + ", output stride " +
                    std::to_string(c.output_stride);
    // torchvision's architecture is the unmarked one; anything else is named.
    const models::DeepLabV3Config tv{};
    if (c.blocks != tv.blocks || c.block != tv.block) s += ", " + std::string(models::encoder_name(c));
    if (c.decoder == models::Decoder::deeplabv3plus) s += ", DeepLabV3+ decoder";
    if (c.rates != tv.rates) s += ", rates " + rates_text(c.rates);
    if (c.classification_head) s += ", image classifier";
    if (c.aux) s += ", aux head";
    return s;
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
        v.push_back(make_model_1ch_128_os16_rates_2_4_6());
        v.push_back(make_model_1ch_128_os16_v3plus());
        v.push_back(make_model_1ch_128_os16_classifier());
        v.push_back(make_model_1ch_128_os16_resnet34());
        v.push_back(make_model_1ch_128_os16_v3plus_classifier());
        v.push_back(make_model_1ch_128_os16_resnet34_classifier());
#if SALT_CLI_CUDA
        v.push_back(make_cuda_model_1ch_128_os8());
        v.push_back(make_cuda_model_2ch_128_os8());
        v.push_back(make_cuda_model_1ch_128_os16());
        v.push_back(make_cuda_model_1ch_128_os16_classifier());
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
    models::DeepLabV3Config c;
    c.height = height, c.width = width, c.in_channels = channels, c.output_stride = output_stride;
    return find_compiled_model(c, device);
}

const CompiledModel& find_compiled_model(const models::DeepLabV3Config& want, DeviceKind device) {
    std::string have;
    bool on_cpu = false;
    for (const auto& m : compiled_models()) {
        const auto c = m->config();
        const bool match = c == want;
        if (match && m->device() == device) return *m;
        on_cpu = on_cpu || match;
        if (m->device() == DeviceKind::cpu) have += "\n  " + config_name(c);
    }
    const std::string wanted = config_name(want);
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
            throw std::invalid_argument(std::string("no '") + k + "' metadata; the file was not written by salt train");
        const auto v = io::to_integer(it->second);
        if (!v || *v < 1 || *v > 4096)
            throw std::invalid_argument(std::string("metadata '") + k + "' must be a positive integer, got '" + it->second + "'");
        return int(*v);
    };
    const int h = get("salt.height"), w = get("salt.width"), c = get("salt.in_channels"), os = get("salt.output_stride");
    // Keys added with the architecture options; older files are torchvision's architecture.
    auto text = [&](const char* k, const char* legacy) {
        const auto it = m.find(k);
        return it == m.end() ? std::string(legacy) : it->second;
    };
    Architecture arch;
    arch.encoder = text("salt.encoder", "resnet50");
    arch.decoder = text("salt.decoder", "deeplabv3");
    arch.classifier = text("salt.classification_head", "0") == "1";
    arch.rates = parse_rates(text("salt.rates", "12,24,36"));
    auto want = make_config(h, w, c, os, arch);
    want.aux = text("salt.aux", "0") == "1";
    const auto classes = io::to_integer(text("salt.classes", "1"));
    if (!classes || *classes < 1 || *classes > 4096)
        throw std::invalid_argument("metadata 'salt.classes' must be a positive integer, got '" + text("salt.classes", "1") + "'");
    want.classes = int(*classes);
    return find_compiled_model(want, device);
}

}  // namespace salt::cli
