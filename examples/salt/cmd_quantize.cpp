// salt quantize --weights W --data DIR --out FILE [--calibration-images N] [--check] [post-processing]:
// post-training int8 quantisation for the embedded inference path (salt/models/quantize_embedded.hpp).
// The weights are packed as salt export-embedded packs them (BatchNorm folded), the fp32 model runs on
// images of the run's training split to find each quantised convolution's input range, and the int8
// blob is written atomically. --check then segments the validation split with both blobs and prints
// their mAP, IoU and time per image: the cost of int8 in accuracy, measured.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <omp.h>
#include <unistd.h>

#include "commands.hpp"
#include "compiled_model.hpp"
#include "model_options.hpp"
#include "salt/data/split.hpp"
#include "salt/embedded/kernels_int8.hpp"
#include "salt/io/error.hpp"
#include "salt/io/file.hpp"
#include "salt/train/metrics.hpp"

namespace salt::cli {

Args quantize_args() {
    Args a("quantize", "Quantise trained weights to int8 for the embedded inference path (calibrated on training images; "
                       "see examples/embedded and docs/embedded.md).");
    a.required("weights", "FILE", "safetensors weights written by salt train (RUN/best.safetensors)");
    a.required("data", "DIR", "the data set the weights were trained on (TGS layout): calibration and --check images");
    a.required("out", "FILE", "the int8 blob to write");
    a.option("split-file", "FILE", "the run's split (default: split.txt beside the weights); calibration uses its training part");
    a.option("calibration-images", "N", "training images the fp32 model runs on to set each input's scale", "256");
    a.flag("check", "segment the validation split with the fp32 and the int8 blob and print both mAPs");
    a.option("threads", "N", "threads --check segments with (0: OMP_NUM_THREADS, else all cores); masks do not depend on it", "0");
    add_postprocess_options(a);
    a.flag("quiet", "print nothing but errors");
    return a;
}

namespace {

struct Scores {
    double map = 0, iou = 0, seconds = 0;
};

Scores score(const CompiledModel& model, const std::vector<unsigned char>& blob, const std::vector<const io::Image8*>& images,
             const data::TgsDataset& ds, const std::vector<std::size_t>& idx, const char* what, bool tty, int threads) {
    Scores s;
    const auto masks = model.embedded_segment(blob, images, [&](std::size_t done) {
        if (tty) std::fprintf(stderr, "\rsalt quantize: %s %zu/%zu images", what, done, images.size());
    }, &s.seconds, threads);
    if (tty) std::fputc('\n', stderr);
    train::MetricAccumulator acc;
    for (std::size_t k = 0; k < idx.size(); ++k)
        acc.add(std::span<const std::uint8_t>(masks[k]), std::span<const std::uint8_t>(ds.samples[idx[k]].mask), 1);
    const auto r = acc.result();
    s.map = r.tgs, s.iou = r.iou_global;
    return s;
}

}  // namespace

int cmd_quantize(int argc, char** argv) {
    Args a = quantize_args();
    a.parse(argc, argv);
    namespace fs = std::filesystem;
    const long count = parse_integer(a.get("calibration-images"), "option '--calibration-images'", 1, 100000);
    const EmbeddedExport exported = embedded_export(a);
    const CompiledModel* model = exported.model;
    const train::PostProcess& post = exported.post;
    const std::vector<unsigned char>& fp32 = exported.blob;

    data::TgsOptions to;
    to.root = a.get("data");
    const auto ds = data::load_tgs(to);
    const fs::path split_file = a.has("split-file") ? fs::path(a.get("split-file")) : fs::path(a.get("weights")).parent_path() / "split.txt";
    if (!fs::exists(split_file)) throw io::IoError(split_file.string(), "no split file (give --split-file: calibration uses the training split)");
    const auto split = data::read_split(split_file);
    const auto train_idx = data::indices_of(ds, split, data::Part::train);
    if (train_idx.empty()) throw io::IoError(split_file.string(), "the training split is empty (no calibration images)");
    // Spread over the whole training split (its order is the shuffled split's), not its first images.
    const std::size_t n = std::min<std::size_t>(std::size_t(count), train_idx.size());
    std::vector<const io::Image8*> calibration;
    for (std::size_t k = 0; k < n; ++k) calibration.push_back(&ds.samples[train_idx[k * train_idx.size() / n]].image);

    const bool quiet = a.has("quiet");
    if (!quiet) std::fprintf(stderr, "salt quantize: calibrating on %zu training images ...\n", n);
    std::vector<unsigned char> int8;
    try {
        int8 = model->embedded_quantize(fp32, calibration);
    } catch (const std::invalid_argument& e) {
        throw io::IoError(a.get("weights"), e.what());
    }
    io::write_file_atomic(a.get("out"), int8.data(), int8.size());
    if (!quiet) {
        const auto f = model->embedded_footprint(false), q = model->embedded_footprint(true);
        std::printf("salt quantize: %s (%s, int8): %zu bytes (fp32 blob: %zu); arena %zu bytes (weights %zu, activations %zu; "
                    "fp32: %zu); %zu calibration images; %s; int8 kernel of this build: %s\n",
                    a.get("out").c_str(), config_name(model->config()).c_str(), int8.size(), fp32.size(), q.arena_bytes,
                    q.weights_bytes, q.activation_bytes, f.arena_bytes, n, postprocess_text(post).c_str(),
                    embedded::kernels::int8_kernel_name());
    }
    if (a.has("check")) {
        int threads = int(parse_integer(a.get("threads"), "option '--threads'", 0, 1024));
        if (threads == 0) threads = omp_get_max_threads();
        const auto val_idx = data::indices_of(ds, split, data::Part::val);
        if (val_idx.empty()) throw io::IoError(split_file.string(), "the validation split is empty (nothing to --check)");
        std::vector<const io::Image8*> images;
        for (auto i : val_idx) images.push_back(&ds.samples[i].image);
        const bool tty = !quiet && isatty(fileno(stderr)) != 0;
        const Scores f = score(*model, fp32, images, ds, val_idx, "fp32", tty, threads);
        const Scores q = score(*model, int8, images, ds, val_idx, "int8", tty, threads);
        const double per = 1000.0 / double(images.size());
        std::printf("check on %zu validation images (embedded path, %d thread%s, %s):\n", images.size(), threads,
                    threads == 1 ? "" : "s", postprocess_text(post).c_str());
        std::printf("  fp32  mAP %.4f  IoU %.4f  %.1f ms/image\n", f.map, f.iou, f.seconds * per);
        std::printf("  int8  mAP %.4f  IoU %.4f  %.1f ms/image\n", q.map, q.iou, q.seconds * per);
        std::printf("  int8 - fp32: mAP %+.4f, IoU %+.4f; %.2fx the speed\n", q.map - f.map, q.iou - f.iou,
                    q.seconds > 0 ? f.seconds / q.seconds : 0.0);
    }
    return 0;
}

}  // namespace salt::cli
