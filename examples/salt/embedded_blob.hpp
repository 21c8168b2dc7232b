// examples/salt/embedded_blob.hpp — a blob of the embedded inference path (salt export-embedded: fp32,
// salt quantize: int8) as the commands that run one (salt eval, salt predict) read it: its bytes, the
// model configuration its header names, and the post-processing its header records, which the
// commands' options may edit before it runs.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <functional>
#include <optional>

#include "compiled_model.hpp"
#include "model_options.hpp"
#include "salt/embedded/deeplabv3.hpp"
#include "salt/io/error.hpp"
#include "salt/io/file.hpp"
#include "salt/train/postprocess.hpp"

namespace salt::cli {

// A blob of the embedded path: its bytes, the model it was made for and what its header records.
struct EmbeddedBlob {
    std::vector<unsigned char> bytes;
    models::DeepLabV3Config config;
    train::PostProcess post;
};

inline bool is_embedded_blob(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    char magic[sizeof embedded::format::kMagic] = {};
    return f.read(magic, sizeof magic) && std::memcmp(magic, embedded::format::kMagic, sizeof magic) == 0;
}

inline EmbeddedBlob read_embedded_blob(const std::string& path) {
    namespace f = embedded::format;
    EmbeddedBlob b;
    b.bytes = io::read_file_bytes(path);
    if (b.bytes.size() < f::kHeaderBytes) throw io::IoError(path, "shorter than an embedded blob's 128-byte header");
    std::uint32_t w[f::kHeaderBytes / 4];
    std::memcpy(w, b.bytes.data(), sizeof w);
    if (w[f::byte_order] != f::kByteOrder) throw io::IoError(path, embedded::message(embedded::Status::weights_byte_order));
    if (w[f::version] != f::kVersion) throw io::IoError(path, embedded::message(embedded::Status::weights_version));
    auto& c = b.config;
    c.height = int(w[f::height]), c.width = int(w[f::width]), c.in_channels = int(w[f::in_channels]), c.classes = int(w[f::classes]);
    c.blocks = {int(w[f::blocks0]), int(w[f::blocks1]), int(w[f::blocks2]), int(w[f::blocks3])};
    c.block = w[f::block_kind] ? nn::BlockKind::basic : nn::BlockKind::bottleneck;
    c.output_stride = int(w[f::output_stride]);
    c.rates = {int(w[f::rate0]), int(w[f::rate1]), int(w[f::rate2])};
    c.classification_head = w[f::classification_head] != 0;
    c.decoder = w[f::decoder] ? models::Decoder::deeplabv3plus : models::Decoder::deeplabv3;
    std::memcpy(&b.post.threshold, &w[f::threshold], 8);
    std::memcpy(&b.post.gate, &w[f::gate], 8);
    b.post.min_area = int(w[f::min_area]);
    b.post.tta = w[f::tta] != 0;
    return b;
}

// The post-processing written into the blob's header (what its segment() applies).
inline void set_embedded_post(EmbeddedBlob& b, const train::PostProcess& p) {
    namespace f = embedded::format;
    std::memcpy(b.bytes.data() + 4 * f::threshold, &p.threshold, 8);
    std::memcpy(b.bytes.data() + 4 * f::gate, &p.gate, 8);
    const std::uint32_t area = std::uint32_t(p.min_area), tta = p.tta ? 1u : 0u;
    std::memcpy(b.bytes.data() + 4 * f::min_area, &area, 4);
    std::memcpy(b.bytes.data() + 4 * f::tta, &tta, 4);
}

// What --weights named for a command that runs a model (salt eval, salt predict): trained weights, or
// an embedded blob (then run on the CPU by the embedded path), the compiled model for either, and the
// post-processing (the saved one, edited by the command's options; for a blob, written into its header).
struct WeightsOrBlob {
    std::optional<io::SafetensorsFile> weights;
    std::optional<EmbeddedBlob> blob;
    const CompiledModel* model = nullptr;
    train::PostProcess post;
    std::string path;  // --weights, for messages

    // The blob's masks of `images` by the embedded path on `threads` threads; its errors name the file.
    std::vector<std::vector<std::uint8_t>> blob_masks(const std::vector<const io::Image8*>& images,
                                                      const std::function<void(std::size_t)>& progress, int threads) const {
        try {
            return model->embedded_segment(blob->bytes, images, progress, nullptr, threads);
        } catch (const std::invalid_argument& e) {
            throw io::IoError(path, e.what());
        }
    }
};

inline WeightsOrBlob read_weights_or_blob(const Args& a, const RunOptions& ro) {
    WeightsOrBlob w;
    const std::string path = a.get("weights");
    w.path = path;
    try {
        if (is_embedded_blob(path)) {
            if (ro.device != DeviceKind::cpu) throw UsageError("an embedded blob runs on the CPU (its own path); omit --device");
            w.blob = read_embedded_blob(path);
            w.model = &find_compiled_model(w.blob->config, DeviceKind::cpu);
        } else {
            w.weights = io::SafetensorsFile::read(path);
            w.model = &model_for_weights(*w.weights, ro.device);
        }
    } catch (const std::invalid_argument& e) {
        throw io::IoError(path, e.what());
    }
    const bool classifier = w.model->config().classification_head;
    if (w.blob) {
        w.post = apply_postprocess_options(a, w.blob->post, classifier);
        set_embedded_post(*w.blob, w.post);
    } else {
        w.post = postprocess_from(a, *w.weights, classifier);
    }
    return w;
}

}  // namespace salt::cli
