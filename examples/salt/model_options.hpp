// examples/salt/model_options.hpp — options two or more commands share about the model itself:
// its architecture (train, info, forward: --encoder, --decoder, --rates, --classifier) and how its
// logits become masks (eval, predict: the post-processing saved with the weights, overridable).
#pragma once

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "args.hpp"
#include "compiled_model.hpp"
#include "salt/io/error.hpp"
#include "salt/train/postprocess.hpp"

namespace salt::cli {

inline std::string rates_option_text(const std::array<int, 3>& r) {
    char s[48];
    std::snprintf(s, sizeof s, "%d,%d,%d", r[0], r[1], r[2]);
    return s;
}

inline void add_architecture_options(Args& a, const Architecture& d) {
    a.option("encoder", "NAME", "resnet18, resnet34, resnet50 or resnet101 (a compiled configuration must exist; salt info lists them)", d.encoder);
    a.option("decoder", "NAME", "deeplabv3 (torchvision's head) or deeplabv3plus (ASPP joined with layer1's stride-4 features)", d.decoder);
    a.option("rates", "A,B,C", "the ASPP's three dilation rates", rates_option_text(d.rates));
    a.option("classifier", "on|off", "an image-level salt / no-salt classifier on layer4 whose probability can empty a mask", d.classifier ? "on" : "off");
}

inline bool parse_on_off(const std::string& option, const std::string& v) {
    if (v == "on" || v == "1" || v == "yes") return true;
    if (v == "off" || v == "0" || v == "no") return false;
    throw UsageError("--" + option + " must be on or off, got '" + v + "'");
}

// The architecture named by the options (read through `get`, which returns an option's value).
template <class Get>
Architecture architecture_from(Get&& get) {
    Architecture arch;
    arch.encoder = get("encoder");
    arch.decoder = get("decoder");
    try {
        arch.rates = parse_rates(get("rates"));
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--rates: ") + e.what());
    }
    arch.classifier = parse_on_off("classifier", get("classifier"));
    return arch;
}

// The compiled model for these options; an unknown name or a configuration that is not compiled is
// a usage error listing what is.
inline const CompiledModel& find_model_for(int height, int width, int channels, int output_stride, const Architecture& arch,
                                           DeviceKind device) {
    try {
        return find_compiled_model(make_config(height, width, channels, output_stride, arch), device);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
}

inline void add_postprocess_options(Args& a) {
    a.option("threshold", "T", "probability above which a pixel is salt (default: the one chosen in training and saved with "
                               "the weights, salt.post.threshold; 0.5 for weights without it)");
    a.option("min-area", "N", "a predicted mask with fewer salt pixels becomes empty (default: salt.post.min_area, else 0)");
    a.option("gate", "P", "models with an image classifier: a mask becomes empty when the image's salt probability is "
                          "below P (default: salt.post.gate, else 0 = off)");
    a.flag("tta", "average with the prediction on the mirrored image (default: salt.post.tta, chosen in training)");
    a.flag("no-tta", "no test-time augmentation, whatever the weights say");
    a.flag("no-postprocess", "ignore the saved post-processing: threshold 0.5, no minimum area, no gate, no TTA "
                             "(the options above still apply)");
}

// An error about a weights file's contents ("<file>: <reason>" from the library) as an IoError that
// names the file once.
inline io::IoError weights_error(const io::SafetensorsFile& weights, const std::exception& e) {
    std::string why = e.what();
    if (why.rfind(weights.source() + ": ", 0) == 0) why.erase(0, weights.source().size() + 2);
    return io::IoError(weights.source(), why);
}

// `saved` (what training saved with the weights) as the post-processing options change it.
inline train::PostProcess apply_postprocess_options(const Args& a, const train::PostProcess& saved, bool classifier) {
    train::PostProcess p = a.has("no-postprocess") ? train::PostProcess{} : saved;
    if (a.has("tta") && a.has("no-tta")) throw UsageError("--tta and --no-tta contradict each other");
    if (a.has("tta")) p.tta = true;
    if (a.has("no-tta")) p.tta = false;
    if (a.has("threshold")) p.threshold = a.get_real("threshold", 0, 1);
    if (a.has("min-area")) p.min_area = int(a.get_int("min-area", 0, 1 << 30));
    if (a.has("gate")) {
        if (!classifier)
            throw UsageError("--gate needs a model with an image classifier (trained with --classifier on); these weights have none");
        p.gate = a.get_real("gate", 0, 1);
    }
    if (!classifier) p.gate = 0;
    try {
        p.check("post-processing");
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    return p;
}

// The post-processing for `weights`: what training saved with them, unless the options say otherwise.
inline train::PostProcess postprocess_from(const Args& a, const io::SafetensorsFile& weights, bool classifier) {
    train::PostProcess saved;
    if (!a.has("no-postprocess")) {
        try {
            saved = train::PostProcess::from_metadata(weights.metadata(), weights.source());
        } catch (const std::invalid_argument& e) {
            throw weights_error(weights, e);
        }
    }
    return apply_postprocess_options(a, saved, classifier);
}

// The fp32 blob of the embedded path for --weights, with the post-processing options applied: what
// salt export-embedded writes and salt quantize starts from. Bad weights are an IoError naming them.
struct EmbeddedExport {
    const CompiledModel* model = nullptr;
    train::PostProcess post;
    std::vector<unsigned char> blob;
};
inline EmbeddedExport embedded_export(const Args& a) {
    const auto weights = io::SafetensorsFile::read(a.get("weights"));
    EmbeddedExport e;
    try {
        e.model = &model_for_weights(weights, DeviceKind::cpu);
    } catch (const std::invalid_argument& err) {
        throw io::IoError(a.get("weights"), err.what());
    }
    e.post = postprocess_from(a, weights, e.model->config().classification_head);
    try {
        e.blob = e.model->embedded_blob(weights, e.post);
    } catch (const std::invalid_argument& err) {
        throw weights_error(weights, err);
    }
    return e;
}

inline std::string postprocess_text(const train::PostProcess& p) {
    char s[160], gate[40] = "";
    if (p.gate > 0) std::snprintf(gate, sizeof gate, ", gate %.4g", p.gate);
    std::snprintf(s, sizeof s, "threshold %.4g, minimum area %d px%s%s", p.threshold, p.min_area, p.tta ? ", hflip TTA" : "", gate);
    return s;
}

}  // namespace salt::cli
