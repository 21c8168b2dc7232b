// salt train [--data DIR] --out RUN [...] | salt train --resume RUN [--epochs N]
//
// Trains DeepLabV3-ResNet50 from scratch on a TGS-layout data set (without --data: a synthetic set,
// generated into RUN/synthetic-data). Writes RUN/best.safetensors, RUN/last.ckpt, RUN/log.csv,
// RUN/curves.png, RUN/split.txt and RUN/run.txt (the options, so --resume needs nothing else).
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "commands.hpp"
#include "salt/backend/simd/gemm.hpp"
#include "compiled_model.hpp"
#include "model_options.hpp"
#include "run_options.hpp"
#include "salt/data/synth.hpp"
#include "salt/io/error.hpp"
#include "salt/io/file.hpp"
#include "salt/io/key_value.hpp"
#include "salt/io/number.hpp"

namespace salt::cli {

Args train_args() {
    Args a("train", "Train DeepLabV3-ResNet50 on a data set in the TGS layout (default: a synthetic one).");
    a.option("data", "DIR", "data set in the TGS layout (default: generate a synthetic set into RUN/synthetic-data)");
    a.option("out", "RUN", "run directory (required unless --resume)");
    a.option("resume", "RUN", "continue the run in RUN from its last checkpoint (its options come from RUN/run.txt)");
    // "auto": 30, but a time limit decides: `salt train --max-minutes 180` uses its three hours.
    a.option("epochs", "N", "epochs; auto: 30, or with --max-minutes and the cosine schedule as many as fit in the time", "auto");
    a.option("batch", "N", "batch size (at least 2)", "8");
    // The default model is models::kTrainDefault, the one docs/results.md measured best at a fixed
    // time budget (and the one examples/embedded is built for).
    static_assert(models::kTrainDefault.height == 128 && models::kTrainDefault.width == 128 && models::kTrainDefault.in_channels == 1);
    a.option("size", "N", "model input size: 128 (101 padded, reflect-101) or 101", std::to_string(models::kTrainDefault.height));
    a.option("output-stride", "S", "8 or 16", std::to_string(models::kTrainDefault.output_stride));
    Architecture default_architecture;
    default_architecture.classifier = models::kTrainDefault.classification_head;
    add_architecture_options(a, default_architecture);
    a.option("lr", "X", "Adam learning rate (the peak, with --schedule cosine)", "0.001");
    a.option("schedule", "NAME", "plateau (halve the rate when --monitor stalls for --plateau-patience epochs) or cosine "
                                 "(linear warm-up, then cosine annealing to --min-lr at the end of --epochs or --max-minutes; measured better, "
                                 "docs/results.md)", "cosine");
    a.option("warmup-epochs", "E", "cosine: warm-up length in epochs (fractions allowed)", "0.5");
    a.option("plateau-patience", "N", "plateau: epochs without improvement before the rate is halved", "3");
    a.option("min-lr", "X", "the lowest learning rate of either schedule", "1e-06");
    a.option("lovasz-after", "F", "from this fraction of the planned epochs on, train with the Lovasz hinge (0: never)", "0");
    a.option("loss-region", "R", "image (score the loss on the 101x101 image only) or all (the padding too)", "all");
    a.option("cls-weight", "X", "--classifier on: the weight of the classifier's BCE loss", "0.1");
    a.option("postprocess", "on|off", "after training, choose the threshold, minimum area (and classifier gate) on the "
                                      "validation split with TTA and save them with the weights", "on");
    a.option("weight-decay", "X", "weight decay (not on BN parameters and biases)", "0");
    a.flag("adamw", "decoupled weight decay (AdamW) instead of L2");
    a.option("loss", "NAME", "bce, dice, bce_dice or lovasz", "bce_dice");
    a.option("val-fraction", "F", "validation fraction of the data set", "0.15");
    a.option("test-fraction", "F", "held-out test fraction", "0");
    a.option("seed", "S", "seed for the split, initialisation, shuffling and augmentation", "1");
    a.flag("depth-channel", "add the normalised depth as a second input plane");
    a.flag("no-augment", "no flips, brightness/contrast or shift-scale");
    a.option("monitor", "NAME", "metric for the best checkpoint, early stopping and LR plateau: val_map, val_iou, val_dice, val_loss", "val_map");
    // "auto": a cosine run's best epochs come as its rate anneals, so stopping it early at a high rate
    // would cut off the end it was planned for; the plateau schedule keeps early stopping.
    a.option("patience", "N", "early stopping after N epochs without improvement (0: never); auto: never with the cosine "
                              "schedule, 8 with plateau; may change on --resume", "auto");
    a.option("max-minutes", "M", "stop after the epoch that passes M minutes of training, counted over resumes (0: no limit)", "0");
    a.option("max-steps", "N", "at most N steps per epoch (0: the whole training split)", "0");
    a.option("synthetic-count", "N", "images in the synthetic set when there is no --data", "600");
    add_run_options(a);
    a.flag("quiet", "no progress output");
    return a;
}


int cmd_train(int argc, char** argv) {
    Args a = train_args();
    a.parse(argc, argv);
    namespace fs = std::filesystem;
    const bool resume = a.has("resume");
    if (!resume && !a.has("out")) throw UsageError("missing required option '--out RUN' (or --resume RUN)");
    if (resume && a.has("out")) throw UsageError("--resume RUN continues RUN; do not also give --out");

    // Options: the command line, or on --resume the run's recorded options (--epochs may be raised).
    std::map<std::string, std::string> o;
    const char* keys[] = {"data", "epochs", "batch", "size", "output-stride", "lr", "weight-decay", "loss", "val-fraction",
                          "test-fraction", "seed", "monitor", "patience", "max-minutes", "max-steps", "synthetic-count",
                          "encoder", "decoder", "rates", "classifier", "schedule", "warmup-epochs", "plateau-patience",
                          "min-lr", "lovasz-after", "loss-region", "cls-weight", "postprocess"};
    for (const char* k : keys) o[k] = a.get(k);
    // What runs recorded before an option existed did; a resumed run keeps it even if the default changes.
    const std::map<std::string, std::string> before_option = {
        {"encoder", "resnet50"}, {"decoder", "deeplabv3"}, {"rates", "12,24,36"}, {"classifier", "off"},
        {"schedule", "plateau"}, {"warmup-epochs", "1"}, {"plateau-patience", "3"}, {"min-lr", "1e-06"},
        {"lovasz-after", "0"}, {"loss-region", "all"}, {"cls-weight", "0.1"}, {"postprocess", "on"}};
    o["adamw"] = a.has("adamw") ? "1" : "0";
    o["depth-channel"] = a.has("depth-channel") ? "1" : "0";
    o["no-augment"] = a.has("no-augment") ? "1" : "0";
    o["bf16"] = a.has("bf16") ? "1" : "0";
    o["winograd"] = a.has("winograd") ? "1" : "0";
    const fs::path run = resume ? fs::path(a.get("resume")) : fs::path(a.get("out"));
    const fs::path run_file = run / "run.txt";
    if (resume) {
        if (!fs::exists(run_file)) throw io::IoError(run_file.string(), "cannot resume: no such file (is RUN a salt train run directory?)");
        auto recorded = io::parse_key_value_lines(io::read_file_text(run_file), run_file.string());
        for (auto& [k, v] : before_option)
            if (!recorded.count(k)) recorded[k] = v;
        // A resumed run keeps its recipe: an option given again must say what the run already does.
        std::string conflicts;
        auto same = [](const std::string& x, const std::string& y) {
            const auto p = io::to_real(x), q = io::to_real(y);
            return x == y || (p && q && *p == *q);
        };
        for (const char* k : keys) {
            const std::string key = k;
            if (!a.has(key) || key == "epochs" || key == "max-minutes" || key == "patience") continue;
            const auto it = recorded.find(key);
            const std::string was = it == recorded.end() ? "" : it->second;
            if (!same(a.get(key), was)) conflicts += "\n  --" + key + " " + a.get(key) + " (the run: " + (was.empty() ? "none" : was) + ")";
        }
        for (const char* f : {"adamw", "depth-channel", "no-augment", "bf16", "winograd"})
            if (a.has(f) && recorded[f] != "1") conflicts += std::string("\n  --") + f + " (the run: without it)";
        if (!conflicts.empty())
            throw UsageError("--resume continues the run with the options in " + run_file.string() +
                             "; only --epochs, --max-minutes, --patience, --threads, --device, --tf32 and --quiet may change. "
                             "These differ:" +
                             conflicts);
        for (auto& [k, v] : recorded)
            if (!((k == "epochs" || k == "max-minutes" || k == "patience") && a.has(k))) o[k] = v;
    } else if (fs::exists(run)) {
        if (!fs::is_directory(run)) throw io::IoError(run.string(), "exists and is not a directory");
        if (fs::exists(run / "last.ckpt"))
            throw io::IoError(run.string(), "already holds a training run; use --resume " + run.string() + " or another --out");
        if (fs::exists(run_file))
            throw io::IoError(run.string(), "holds the start of a run that never finished an epoch (run.txt, no last.ckpt); "
                                            "resume it (--resume " + run.string() + "), remove it, or choose another --out");
        if (!fs::is_empty(run)) throw io::IoError(run.string(), "is not empty; a new run needs a new or empty directory");
    }

    // Numbers from the command line, or on --resume from run.txt: a bad recorded value is a bad file
    // (exit 1, naming run.txt and the key), a bad command-line value a usage error (exit 2).
    auto from_run_file = [&](const std::string& k) {
        return resume && !(a.has(k) && (k == "epochs" || k == "max-minutes" || k == "patience"));
    };
    auto source = [&](const std::string& k) { return from_run_file(k) ? k : "option '--" + k + "'"; };
    auto checked = [&](const std::string& k, auto parse) {
        try {
            return parse();
        } catch (const UsageError& e) {
            if (from_run_file(k)) throw io::IoError(run_file.string(), e.what());
            throw;
        }
    };
    auto integer = [&](const std::string& k, long long lo, long long hi) {
        return checked(k, [&] { return parse_integer(o[k], source(k), lo, hi); });
    };
    auto real = [&](const std::string& k, double lo, double hi) {
        return checked(k, [&] { return parse_real(o[k], source(k), lo, hi); });
    };
    train::TrainOptions t;
    t.out = run;
    if (o["epochs"] == "auto") {
        t.epochs = 30;  // lays out the first epoch's schedule; after it the time limit re-plans
        t.epochs_fill_time_limit = true;
    } else {
        t.epochs = int(integer("epochs", 1, 100000));
    }
    t.batch = int(integer("batch", 2, 4096));
    t.lr = real("lr", 0, 10);
    if (!(t.lr > 0)) throw UsageError(source("lr") + " must be > 0");
    t.weight_decay = real("weight-decay", 0, 10);
    t.decoupled_weight_decay = o["adamw"] == "1";
    try {
        t.loss = train::parse_loss_kind(o["loss"]);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    t.val_fraction = real("val-fraction", 0, 1);
    t.test_fraction = real("test-fraction", 0, 1);
    t.seed = std::uint64_t(integer("seed", 0, std::numeric_limits<long long>::max()));
    t.augment = o["no-augment"] != "1";
    t.monitor = o["monitor"];
    t.early_stop_patience = o["patience"] == "auto" ? (o["schedule"] == "cosine" ? 0 : 8) : int(integer("patience", 0, 100000));
    t.max_minutes = real("max-minutes", 0, 1e7);
    t.max_steps_per_epoch = long(integer("max-steps", 0, 1000000000));
    t.resume = resume;
    t.progress = !a.has("quiet");
    t.progress_redraw = isatty(fileno(stderr)) != 0;  // \r redraws on a terminal, plain lines in a log
    t.schedule = o["schedule"];
    if (t.schedule != "plateau" && t.schedule != "cosine") throw UsageError("--schedule must be plateau or cosine, got '" + t.schedule + "'");
    t.warmup_epochs = real("warmup-epochs", 0, 100000);
    t.plateau_patience = int(integer("plateau-patience", 1, 100000));
    t.min_lr = real("min-lr", 0, 10);
    t.lovasz_after = real("lovasz-after", 0, 1);
    if (o["loss-region"] != "image" && o["loss-region"] != "all") throw UsageError("--loss-region must be image or all, got '" + o["loss-region"] + "'");
    t.loss_on_image_only = o["loss-region"] == "image";
    t.cls_weight = real("cls-weight", 0, 1000);
    t.choose_postprocess = parse_on_off("postprocess", o["postprocess"]);
    if (!(t.min_lr <= t.lr)) throw UsageError("--min-lr (" + o["min-lr"] + ") must not exceed --lr (" + o["lr"] + ")");
    if (!(t.lovasz_after < 1)) throw UsageError("--lovasz-after must be in [0, 1) (0: never)");
    if (!(t.val_fraction > 0 && t.val_fraction + t.test_fraction < 1)) throw UsageError("--val-fraction must be in (0, 1) with --test-fraction below 1 - it");
    if (t.monitor != "val_map" && t.monitor != "val_iou" && t.monitor != "val_dice" && t.monitor != "val_loss")
        throw UsageError("--monitor must be val_map, val_iou, val_dice or val_loss");
    RunOptions ro = run_options(a);
    ro.bf16 = o["bf16"] == "1";  // a run recorded with --bf16 resumes in bf16
    ro.winograd = o["winograd"] == "1";  // and one with --winograd with it (it rounds differently)
    if (ro.winograd && ro.device == DeviceKind::cuda)
        throw UsageError("the run was recorded with --winograd (CPU Winograd convolutions); resume it with --device cpu");
    if (ro.bf16 && ro.device == DeviceKind::cuda)
        throw UsageError("the run was recorded with --bf16 (CPU bf16 GEMMs), which the CUDA backend does not have; "
                         "resume it with --device cpu");
    if (ro.bf16 && !backend::simd::Device::bf16_available())
        throw UsageError("--bf16: this salt was built for a CPU without AVX512_BF16 (the run was recorded with --bf16)");

    const int size = int(integer("size", 1, 4096)), os = int(integer("output-stride", 1, 64)), channels = o["depth-channel"] == "1" ? 2 : 1;
    const Architecture arch = architecture_from([&](const char* k) { return o[k]; });
    const CompiledModel* model = nullptr;
    try {
        model = &find_model_for(size, size, channels, os, arch, ro.device);
    } catch (const UsageError& e) {
        // The default model exists at 128x128 with one channel only; say how to get the others.
        if (resume || a.has("output-stride") || a.has("classifier")) throw;
        throw UsageError(std::string(e.what()) + "\n(the default model is output stride 16 with the image classifier; with --size 101 "
                         "or --depth-channel add --output-stride 8 --classifier off)");
    }
    t.host_threads = ro.threads;
    check_device(ro);  // before anything is written: a run that cannot start leaves nothing behind

    // A given data set is read before anything is written: a bad --data leaves no run directory.
    data::TgsOptions to;
    to.require_depth = channels == 2;
    data::TgsDataset ds;
    fs::path data_dir = o["data"];
    if (!data_dir.empty()) {
        to.root = data_dir;
        ds = data::load_tgs(to);
    }
    fs::create_directories(run);
    if (data_dir.empty()) {
        data_dir = run / "synthetic-data";
        o["data"] = data_dir.string();
        if (!fs::exists(data_dir / "train.csv")) {
            data::SynthOptions so;
            so.count = int(integer("synthetic-count", 1, 1000000));
            so.seed = t.seed;
            if (t.progress) std::fprintf(stderr, "no --data: generating %d synthetic images into %s\n", so.count, data_dir.c_str());
            data::write_synth_dataset(data_dir, so);
        }
        to.root = data_dir;
        ds = data::load_tgs(to);
    }
    if (!resume) {
        std::string text;
        for (auto& [k, v] : o) {
            // One option per line: a value with a line break could not be read back on --resume.
            if (v.find_first_of("\r\n") != std::string::npos)
                throw UsageError("option '--" + k + "' contains a line break; run.txt could not record it");
            text += k + "=" + v + "\n";
        }
        io::write_file_atomic(run_file, text);
    }

    if (t.progress)
        std::fprintf(stderr, "salt train: %s, %zu images from %s, %s\n", config_name(model->config()).c_str(),
                     ds.samples.size(), data_dir.c_str(), device_summary(ro).c_str());
    const auto r = model->train(ds, t, ro);
    if (r.failed) {
        std::fprintf(stderr, "salt train: stopped: %s\n", r.stopped_because.c_str());
        return 1;
    }
    std::printf("salt train: %s. Best %s %.4f at epoch %d.\n  weights:    %s\n  log:        %s\n  curves:     %s\n"
                "  checkpoint: %s (salt train --resume %s)\n",
                r.stopped_because.c_str(), t.monitor.c_str(), r.best, r.best_epoch, (run / "best.safetensors").c_str(),
                (run / "log.csv").c_str(), (run / "curves.png").c_str(), (run / "last.ckpt").c_str(), run.c_str());
    if (r.postprocess_chosen)
        std::printf("  post-processing (saved with the weights; salt eval and salt predict apply it): %s; validation mAP "
                    "%.4f (%.4f at threshold 0.5 without it)\n",
                    postprocess_text(r.postprocess.post).c_str(), r.postprocess.map, r.postprocess.map_default);
    return 0;
}

}  // namespace salt::cli
