// salt predict --weights W --images DIR --out DIR [--submission FILE] [post-processing]:
// a mask PNG (8-bit, 0/255, the input's own size, the input's name) for every PNG in DIR, and
// optionally a Kaggle submission CSV (id,rle_mask). The masks are post-processed as training chose
// and saved with the weights (threshold, minimum area, classifier gate, TTA) unless told otherwise.
// --weights may also be a blob of the embedded path (salt export-embedded, salt quantize: the int8
// model): it is then run by that path, one image at a time, its convolutions over --threads threads,
// exactly as salt-embedded-demo runs it, with the settings in its header (the options edit them).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#include "commands.hpp"
#include "compiled_model.hpp"
#include "embedded_blob.hpp"
#include "model_options.hpp"
#include "run_options.hpp"
#include "salt/data/tgs.hpp"
#include "salt/io/error.hpp"
#include "salt/io/file.hpp"
#include "salt/io/png.hpp"
#include "salt/io/rle.hpp"

namespace salt::cli {

Args predict_args() {
    Args a("predict", "Predict salt masks for a directory of PNG images.");
    a.required("weights", "FILE", "weights written by salt train (RUN/best.safetensors), or a blob of the embedded path "
                                  "(salt export-embedded, salt quantize), then run by that path (see --threads)");
    a.required("images", "DIR", "directory of PNG images (any size; gray or RGB; with a blob, at most the model's input size)");
    a.required("out", "DIR", "where to write the mask PNGs (created if missing)");
    a.option("submission", "FILE", "also write a Kaggle submission CSV (id,rle_mask)");
    a.option("depths", "FILE", "depths.csv (needed when the model takes a depth channel)");
    add_postprocess_options(a);
    add_run_options(a);
    a.flag("quiet", "no progress output (errors and the final summary only)");
    return a;
}

int cmd_predict(int argc, char** argv) {
    Args a = predict_args();
    a.parse(argc, argv);
    namespace fs = std::filesystem;
    const RunOptions ro = run_options(a);

    WeightsOrBlob w = read_weights_or_blob(a, ro);
    const bool blob = w.blob.has_value();
    const CompiledModel* model = w.model;
    const train::PostProcess post = w.post;
    check_device(ro);
    const fs::path in_dir = a.get("images"), out_dir = a.get("out");
    data::detail::check_readable_dir(in_dir);
    std::error_code same_ec;
    if (fs::exists(out_dir) && fs::equivalent(in_dir, out_dir, same_ec))
        throw UsageError("--out " + out_dir.string() + " is the --images directory: the masks would overwrite the images");
    // .png in any letter case (Windows tools write .PNG).
    auto is_png = [](const fs::path& f) {
        std::string e = f.extension().string();
        for (auto& ch : e) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        return e == ".png";
    };
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(in_dir))
        if (e.is_regular_file() && is_png(e.path())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw io::IoError(in_dir.string(), "no .png images");

    std::unordered_map<std::string, float> z;
    if (model->config().in_channels == 2) {
        if (!a.has("depths")) throw UsageError("this model takes a depth channel: give --depths depths.csv");
        z = data::read_depths(a.get("depths"));
        for (const auto& f : files)
            if (!z.count(f.stem().string())) throw io::IoError(a.get("depths"), "no depth for id '" + f.stem().string() + "'");
    }
    const bool quiet = a.has("quiet");
    if (!quiet) std::fprintf(stderr, "salt predict: %s\n", postprocess_text(post).c_str());
    fs::create_directories(out_dir);
    // Streams in chunks: memory holds one chunk of images and logits whatever the directory's size
    // (the 18,000 images of TGS's test set), at the cost of building the model once per chunk.
    constexpr std::size_t kChunk = 512;
    const bool tty = !quiet && isatty(fileno(stderr)) != 0;  // a counter redrawn with \r is noise in a log file
    std::string csv = "id,rle_mask\n";
    std::size_t with_salt = 0;
    for (std::size_t first = 0; first < files.size(); first += kChunk) {
        const std::size_t count = std::min(kChunk, files.size() - first);
        std::vector<io::Image8> images;
        images.reserve(count);
        std::vector<float> depths;
        for (std::size_t k = first; k < first + count; ++k) {
            images.push_back(io::read_png_gray8(files[k]));
            if (!z.empty()) depths.push_back(z.at(files[k].stem().string()));
            const auto& c = model->config();
            if (blob && (images.back().width > c.width || images.back().height > c.height))
                throw io::IoError(files[k].string(), std::to_string(images.back().width) + "x" + std::to_string(images.back().height) +
                                                         " is larger than the embedded model's " + std::to_string(c.width) + "x" +
                                                         std::to_string(c.height) + " input (the embedded path pads, it does not resize)");
        }
        std::vector<const io::Image8*> ptrs;
        for (const auto& im : images) ptrs.push_back(&im);
        auto progress = [&](std::size_t done) {
            if (tty) std::fprintf(stderr, "\rsalt predict: %zu/%zu images", first + done, files.size());
        };
        Predictions pred;
        std::vector<std::vector<std::uint8_t>> embedded_masks;
        if (blob) {
            embedded_masks = w.blob_masks(ptrs, progress, ro.threads);
        } else {
            pred = model->predict(*w.weights, ptrs, depths, post.tta, progress, ro);
        }
        for (std::size_t k = 0; k < count; ++k) {
            const auto& img = images[k];
            io::Image8 mask(img.width, img.height, 1);
            const auto bits = blob ? embedded_masks[k]
                                   : train::postprocessed_mask(pred.logits[k], post,
                                                               pred.image_probability.empty() ? 1.0 : pred.image_probability[k]);
            for (std::size_t i = 0; i < mask.size(); ++i) mask.pixels[i] = bits[i] ? 255 : 0;
            with_salt += std::any_of(bits.begin(), bits.end(), [](auto v) { return v != 0; });
            io::write_png(out_dir / files[first + k].filename(), mask);
            csv += files[first + k].stem().string() + "," + io::rle_encode(bits, img.width, img.height) + "\n";
        }
        if (!quiet && !tty && files.size() > kChunk)  // plain periodic lines in logs
            std::fprintf(stderr, "salt predict: %zu/%zu images\n", first + count, files.size());
    }
    if (tty) std::fputc('\n', stderr);
    if (a.has("submission")) io::write_file_atomic(a.get("submission"), csv);
    std::printf("salt predict: %zu masks in %s (%zu with salt)%s%s\n", files.size(), out_dir.c_str(), with_salt,
                a.has("submission") ? "; submission " : "", a.has("submission") ? a.get("submission").c_str() : "");
    return 0;
}

}  // namespace salt::cli
