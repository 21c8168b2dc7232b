// salt eval --weights W --data DIR [--split val|test|all] [--split-file F] [--tta] [--json]:
// IoU, Dice, precision, recall and the TGS competition mAP of trained weights on a data set split,
// with predictions mapped back to the original image size exactly as in training.
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "commands.hpp"
#include "compiled_model.hpp"
#include "run_options.hpp"
#include "salt/data/batch.hpp"
#include "salt/data/split.hpp"
#include "salt/io/error.hpp"
#include "salt/train/metrics.hpp"

namespace salt::cli {

Args eval_args() {
    Args a("eval", "Evaluate trained weights on a data set in the TGS layout.");
    a.required("weights", "FILE", "weights written by salt train (RUN/best.safetensors)");
    a.required("data", "DIR", "data set in the TGS layout");
    a.option("split", "PART", "val, test or all", "val");
    a.option("split-file", "FILE", "the run's split (default: split.txt beside the weights)");
    a.flag("tta", "average with the horizontally flipped prediction");
    a.flag("json", "print the results as one JSON object");
    add_run_options(a);
    return a;
}

int cmd_eval(int argc, char** argv) {
    Args a = eval_args();
    a.parse(argc, argv);
    namespace fs = std::filesystem;
    const std::string part = a.get("split");
    if (part != "val" && part != "test" && part != "all") throw UsageError("--split must be val, test or all");
    const RunOptions ro = run_options(a);
    const auto weights = io::SafetensorsFile::read(a.get("weights"));
    const CompiledModel* model = nullptr;
    try {
        model = &model_for_weights(weights, ro.device);
    } catch (const std::invalid_argument& e) {
        throw io::IoError(a.get("weights"), e.what());
    }
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
    const bool tty = !a.has("json");
    auto logits = model->predict(weights, images, depths, a.has("tta"), [&](std::size_t done) {
        if (tty) std::fprintf(stderr, "\rsalt eval: %zu/%zu images", done, images.size());
    }, ro);
    if (tty) std::fputc('\n', stderr);
    train::MetricAccumulator acc;
    for (std::size_t k = 0; k < idx.size(); ++k)
        acc.add(std::span<const float>(logits[k]), train::MaskEncoding::logit, std::span<const std::uint8_t>(ds.samples[idx[k]].mask), 1);
    const auto r = acc.result();
    if (a.has("json")) {
        std::printf("{\"images\": %lld, \"split\": \"%s\", \"tta\": %s, \"iou\": %.6f, \"dice\": %.6f, \"precision\": %.6f, "
                    "\"recall\": %.6f, \"map\": %.6f, \"iou_mean\": %.6f, \"dice_mean\": %.6f}\n",
                    static_cast<long long>(r.images), part.c_str(), a.has("tta") ? "true" : "false", r.iou_global, r.dice_global,
                    r.precision, r.recall, r.tgs, r.iou_mean, r.dice_mean);
    } else {
        std::printf("images     %lld (%s split%s)\n", static_cast<long long>(r.images), part.c_str(), a.has("tta") ? ", hflip TTA" : "");
        std::printf("IoU        %.4f (pixels pooled over images; mean per image %.4f)\n", r.iou_global, r.iou_mean);
        std::printf("Dice       %.4f (mean per image %.4f)\n", r.dice_global, r.dice_mean);
        std::printf("precision  %.4f\nrecall     %.4f\n", r.precision, r.recall);
        std::printf("mAP (TGS)  %.4f\n", r.tgs);
    }
    return 0;
}

}  // namespace salt::cli
