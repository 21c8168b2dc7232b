// salt eval --weights W --data DIR [--split val|test|all] [--split-file F] [post-processing] [--json]:
// IoU, Dice, precision, recall and the TGS competition mAP of trained weights on a data set split,
// with predictions mapped back to the original image size exactly as in training and post-processed
// as training chose (threshold, minimum area, gate, TTA; overridable), and where the points go: mAP
// on the images whose truth is empty and on those with salt, by salt coverage, and the false-positive
// and false-negative image counts. --weights may also be a blob of the embedded path (salt
// export-embedded: fp32, salt quantize: int8): it is then run by that path, one image at a time (its
// convolutions over --threads threads), exactly as salt-embedded-demo runs it, with the settings in
// its header (the post-processing options edit them), so the int8 model gets the same breakdown as
// the trained one.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "commands.hpp"
#include "compiled_model.hpp"
#include "embedded_blob.hpp"
#include "model_options.hpp"
#include "run_options.hpp"
#include "salt/data/batch.hpp"
#include "salt/data/split.hpp"
#include "salt/embedded/deeplabv3.hpp"
#include "salt/io/file.hpp"
#include "salt/io/error.hpp"
#include "salt/train/metrics.hpp"

namespace salt::cli {

namespace {
// A group without images has no mAP: null in JSON, "-" in the table (never a 0 that reads as a score).
std::string json_map(const train::Breakdown::Part& p) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6f", p.map());
    return p.images ? b : "null";
}
std::string text_map(const train::Breakdown::Part& p) {
    char b[32];
    std::snprintf(b, sizeof b, "%.4f", p.map());
    return p.images ? b : "  -   ";
}
}  // namespace

Args eval_args() {
    Args a("eval", "Evaluate trained weights on a data set in the TGS layout.");
    a.required("weights", "FILE", "weights written by salt train (RUN/best.safetensors), or a blob of the embedded path "
                                  "(salt export-embedded, salt quantize), then run by that path (see --threads)");
    a.required("data", "DIR", "data set in the TGS layout");
    a.option("split", "PART", "val, test or all", "val");
    a.option("split-file", "FILE", "the run's split (default: split.txt beside the weights)");
    add_postprocess_options(a);
    a.flag("json", "print the results as one JSON object");
    add_run_options(a);
    a.flag("quiet", "no progress output");
    return a;
}

int cmd_eval(int argc, char** argv) {
    Args a = eval_args();
    a.parse(argc, argv);
    namespace fs = std::filesystem;
    const std::string part = a.get("split");
    if (part != "val" && part != "test" && part != "all") throw UsageError("--split must be val, test or all");
    const RunOptions ro = run_options(a);
    WeightsOrBlob w = read_weights_or_blob(a, ro);
    const bool blob = w.blob.has_value();
    const CompiledModel* model = w.model;
    check_device(ro);
    data::TgsOptions to;
    to.root = a.get("data");
    const bool depth = model->config().in_channels == 2;
    to.require_depth = depth;
    const auto ds = data::load_tgs(to);

    std::vector<std::size_t> idx;
    if (part == "all") {
        for (std::size_t i = 0; i < ds.samples.size(); ++i) idx.push_back(i);
    } else {
        const fs::path split_file = a.has("split-file") ? fs::path(a.get("split-file")) : fs::path(a.get("weights")).parent_path() / "split.txt";
        if (!fs::exists(split_file))
            throw io::IoError(split_file.string(), "no split file (give --split-file, or --split all)");
        idx = data::indices_of(ds, data::read_split(split_file), part == "val" ? data::Part::val : data::Part::test);
    }
    if (idx.empty()) throw io::IoError(to.root.string(), "the " + part + " split is empty");

    std::vector<const io::Image8*> images;
    std::vector<float> depths;
    for (auto i : idx) {
        images.push_back(&ds.samples[i].image);
        if (depth) depths.push_back(ds.samples[i].depth);
    }
    const train::PostProcess& post = w.post;
    const bool tty = !a.has("json") && !a.has("quiet") && isatty(fileno(stderr)) != 0;  // no \r counter in JSON runs or log files
    auto progress = [&](std::size_t done) {
        if (tty) std::fprintf(stderr, "\rsalt eval: %zu/%zu images", done, images.size());
    };
    std::vector<std::vector<std::uint8_t>> masks;
    if (blob) {
        masks = w.blob_masks(images, progress, ro.threads);
    } else {
        const auto pred = model->predict(*w.weights, images, depths, post.tta, progress, ro);
        for (std::size_t k = 0; k < idx.size(); ++k)
            masks.push_back(train::postprocessed_mask(pred.logits[k], post,
                                                      pred.image_probability.empty() ? 1.0 : pred.image_probability[k]));
    }
    if (tty) std::fputc('\n', stderr);
    train::MetricAccumulator acc;
    train::Breakdown parts;
    for (std::size_t k = 0; k < idx.size(); ++k) {
        const std::span<const std::uint8_t> truth(ds.samples[idx[k]].mask);
        acc.add(std::span<const std::uint8_t>(masks[k]), truth, 1);
        parts.add(train::count_mask(std::span<const std::uint8_t>(masks[k]), truth));
    }
    const auto r = acc.result();
    if (a.has("json")) {
        std::printf("{\"images\": %lld, \"split\": \"%s\", \"tta\": %s, \"threshold\": %.6g, \"min_area\": %d, "
                    "\"gate\": %.6g, \"iou\": %.6f, \"dice\": %.6f, \"precision\": %.6f, \"recall\": %.6f, \"map\": %.6f, "
                    "\"iou_mean\": %.6f, \"dice_mean\": %.6f, \"map_empty\": %s, \"images_empty\": %lld, "
                    "\"map_salt\": %s, \"images_salt\": %lld, \"false_positive_images\": %lld, "
                    "\"false_negative_images\": %lld, \"coverage\": [",
                    static_cast<long long>(r.images), part.c_str(), post.tta ? "true" : "false", post.threshold, post.min_area,
                    post.gate, r.iou_global, r.dice_global, r.precision, r.recall, r.tgs, r.iou_mean, r.dice_mean,
                    json_map(parts.empty).c_str(), static_cast<long long>(parts.empty.images), json_map(parts.salt).c_str(),
                    static_cast<long long>(parts.salt.images), static_cast<long long>(parts.false_positive_images),
                    static_cast<long long>(parts.false_negative_images));
        for (std::size_t b = 0; b < parts.coverage.size(); ++b)
            std::printf("%s{\"upper\": %g, \"images\": %lld, \"map\": %s}", b ? ", " : "",
                        train::Breakdown::kCoverageUpper[b], static_cast<long long>(parts.coverage[b].images),
                        json_map(parts.coverage[b]).c_str());
        std::printf("]}\n");
    } else {
        std::printf("images     %lld (%s split; %s)\n", static_cast<long long>(r.images), part.c_str(), postprocess_text(post).c_str());
        std::printf("IoU        %.4f (pixels pooled over images; mean per image %.4f)\n", r.iou_global, r.iou_mean);
        std::printf("Dice       %.4f (mean per image %.4f)\n", r.dice_global, r.dice_mean);
        std::printf("precision  %.4f\nrecall     %.4f\n", r.precision, r.recall);
        std::printf("mAP (TGS)  %.4f\n", r.tgs);
        std::printf("\nwhere the points go (mAP over the images of each group):\n");
        std::printf("  truth empty      %s  (%lld images; %lld with a false-positive mask)\n", text_map(parts.empty).c_str(),
                    static_cast<long long>(parts.empty.images), static_cast<long long>(parts.false_positive_images));
        std::printf("  truth with salt  %s  (%lld images; %lld predicted empty)\n", text_map(parts.salt).c_str(),
                    static_cast<long long>(parts.salt.images), static_cast<long long>(parts.false_negative_images));
        for (std::size_t b = 0; b < parts.coverage.size(); ++b) {
            std::printf("    coverage %-12s %s  (%lld images)\n", train::Breakdown::coverage_label(b).c_str(),
                        text_map(parts.coverage[b]).c_str(), static_cast<long long>(parts.coverage[b].images));
        }
    }
    return 0;
}

}  // namespace salt::cli
