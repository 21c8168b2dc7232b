// salt/models/summary.hpp — a printed table of a model: one row per module with torchvision's path,
// its output shape and parameter count, then the totals and the workspace a forward pass and a
// training step take. All of it is known at compile time; this only formats it.
#pragma once

#include <cstdio>
#include <string>

#include "salt/models/deeplabv3.hpp"
#include "salt/nn/context.hpp"

namespace salt::models {

inline std::string human_bytes(std::size_t bytes) {
    char buf[64];
    if (bytes >= (std::size_t(1) << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", double(bytes) / (1 << 30));
    else if (bytes >= (std::size_t(1) << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1 << 20));
    else std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024);
    return buf;
}

inline std::string with_commas(std::size_t n) {
    const std::string digits = std::to_string(n);
    std::string s;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
        s += digits[i];
    }
    return s;
}

// Prints the summary of Model to `out`. `infer_batch` and `train_batch` pick the batches whose
// workspace sizes are reported.
template <class Model>
void print_summary(std::FILE* out, int infer_batch = 1, int train_batch = 8) {
    constexpr auto C = Model::config;
    std::fprintf(out, "DeepLabV3%s (%s: %s blocks %d-%d-%d-%d), input %dx%dx%d, %d class%s, output stride %d, "
                      "ASPP rates %d/%d/%d%s\n",
                 C.decoder == Decoder::deeplabv3plus ? "+" : "", encoder_name(C), C.block == BlockKind::basic ? "basic" : "bottleneck", C.blocks[0], C.blocks[1],
                 C.blocks[2], C.blocks[3], C.height, C.width, C.in_channels, C.classes,
                 C.classes == 1 ? "" : "es", C.output_stride, C.rates[0], C.rates[1], C.rates[2],
                 C.aux ? ", aux head" : "");
    std::fprintf(out, "%-44s %-18s %-16s %12s\n", "module", "kind", "output (HxWxC)", "parameters");
    std::size_t rows = 0;
    Model::describe([&](const std::string& path, const char* kind, Shape s, std::size_t params) {
        char shape[48];
        std::snprintf(shape, sizeof shape, "%dx%dx%d", s.h, s.w, s.c);
        std::fprintf(out, "%-44s %-18s %-16s %12s\n", path.c_str(), kind, shape, with_commas(params).c_str());
        ++rows;
    });
    std::fprintf(out, "%zu modules; parameters: %s (%s as float32)\n", rows, with_commas(Model::parameter_count()).c_str(),
                 human_bytes(Model::parameter_count() * sizeof(float)).c_str());
    std::fprintf(out, "workspace: inference at batch %d: %s; training step at batch %d: %s\n", infer_batch,
                 human_bytes(Model::workspace_bytes(infer_batch, nn::Mode::eval)).c_str(), train_batch,
                 human_bytes(Model::workspace_bytes(train_batch, nn::Mode::train)).c_str());
}

}  // namespace salt::models
