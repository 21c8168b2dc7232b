// salt/train/trainer.hpp — training DeepLabV3 on a TGS-layout data set: epochs of shuffled,
// augmented batches, Adam(W), validation each epoch, best-model checkpoint, early stopping,
// ReduceLROnPlateau, a CSV log, curves, a progress line — and checkpoints that survive kill -9.
//
// It runs on the model's backend (Model::backend): parameters, gradients, Adam's moments and the
// workspace stay in the backend's memory for the whole run; each step uploads one batch of images
// and masks and reads back one number, the loss. Validation reads back per-image pixel counts.
//
// Reproducibility: the batch order and augmentation are functions of (seed, epoch, sample), and the
// dropout generator is reseeded from (seed, epoch) at the start of every epoch, so a run resumed
// from its last end-of-epoch checkpoint retraces exactly the epochs an uninterrupted run would
// (with the same thread count: the kernels are deterministic for a given number of threads).
#pragma once

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/data/batch.hpp"
#include "salt/data/split.hpp"
#include "salt/data/tgs.hpp"
#include "salt/io/draw.hpp"
#include "salt/io/file.hpp"
#include "salt/io/png.hpp"
#include "salt/io/safetensors.hpp"
#include "salt/models/weights.hpp"
#include "salt/train/epoch_log.hpp"
#include "salt/train/inference.hpp"
#include "salt/train/loss.hpp"
#include "salt/train/metrics.hpp"
#include "salt/train/optimizer.hpp"
#include "salt/train/postprocess.hpp"
#include "salt/train/schedule.hpp"

namespace salt::train {

struct TrainOptions {
    std::filesystem::path out;       // the run directory
    int epochs = 30;
    int batch = 8;
    double lr = 1e-3;
    double weight_decay = 0.0;
    bool decoupled_weight_decay = false;  // AdamW
    LossKind loss = LossKind::bce_dice;
    double val_fraction = 0.15;
    double test_fraction = 0.0;
    std::uint64_t seed = 1;
    bool augment = true;
    std::string monitor = "val_map";      // val_map | val_iou | val_dice | val_loss
    int early_stop_patience = 8;          // epochs without improvement of `monitor`; 0 = never stop
    int plateau_patience = 3;             // ReduceLROnPlateau on `monitor`
    double plateau_factor = 0.5;
    double min_lr = 1e-6;
    bool resume = false;
    bool resume_with_new_lr = false;      // on resume, use `lr` instead of the checkpoint's learning rate
    long max_steps_per_epoch = 0;         // 0 = the whole training split (for smoke tests)
    double max_minutes = 0;               // 0 = no limit: stop after the epoch that crosses it
    bool epochs_fill_time_limit = false;  // cosine with max_minutes: the plan may grow past `epochs` to
                                          // the epochs that fit (`epochs` only lays out the first one)
    bool progress = true;                 // the progress line on stderr
    bool progress_redraw = true;          // redrawn in place with \r (a terminal); false: a plain line every
                                          // 30 s and at the end of each epoch (a log file)
    bool loss_on_image_only = false;      // score the loss only on the image inside the padding
    std::string schedule = "plateau";     // plateau: ReduceLROnPlateau on `monitor`; cosine: warm-up, then
                                          // cosine annealing to min_lr at the end of the planned epochs
    double warmup_epochs = 1.0;           // cosine: linear warm-up from 0 over this many epochs
    double lovasz_after = 0.0;            // from this fraction of the planned epochs on, train with the
                                          // Lovasz hinge instead of `loss` (0: never)
    bool choose_postprocess = true;       // after training: threshold and minimum area chosen on the
                                          // validation split, saved in best.safetensors' metadata
    bool postprocess_tta = true;          // ... with test-time augmentation
    double cls_weight = 0.1;              // models with an image classifier: the weight of its BCE loss
                                          // (the label: the mask has salt) beside the mask loss
    int host_threads = 0;                 // threads preparing batches on the host; 0 = OpenMP's default
    std::function<void(int epoch)> after_epoch;  // tests use it to interrupt a run
    // Tests: seconds counted as spent in an epoch beyond its wall time (asked after its steps), as if
    // it had been that much slower; makes the time-limit logic testable without sleeping.
    std::function<double(int epoch)> extra_epoch_seconds;
};

struct TrainResult {
    std::vector<EpochRecord> history;
    double best = 0;
    int best_epoch = -1;
    int planned_epochs = 0;  // the epochs the schedule was laid out for
    // Where a time limit last re-planned the cosine schedule (cosine_tail_lr): from this step on the
    // rate falls from plan_anchor_lr to the end of the plan. 0: never re-planned.
    std::int64_t plan_anchor_step = 0;
    double plan_anchor_lr = 0;
    std::string stopped_because;
    bool failed = false;  // a non-finite loss
    bool postprocess_chosen = false;
    PostProcessChoice postprocess;  // when chosen: the threshold, minimum area and validation mAP
};

class TrainError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

inline std::string format_duration(double s) {
    char b[32];
    if (s >= 3600) std::snprintf(b, sizeof b, "%dh%02dm", int(s / 3600), int(std::fmod(s, 3600) / 60));
    else if (s >= 60) std::snprintf(b, sizeof b, "%dm%02ds", int(s / 60), int(std::fmod(s, 60)));
    else std::snprintf(b, sizeof b, "%.0fs", s);
    return b;
}

inline double monitor_value(const EpochRecord& r, const std::string& m) {
    if (m == "val_map") return r.val_map;
    if (m == "val_iou") return r.val_iou;
    if (m == "val_dice") return r.val_dice;
    if (m == "val_loss") return r.val_loss;
    throw std::invalid_argument("unknown monitor '" + m + "' (val_map, val_iou, val_dice or val_loss)");
}

[[gnu::cold]] inline void write_curves(const std::filesystem::path& path, const std::vector<EpochRecord>& h) {
    io::Series train_loss{"train loss", {}, io::kCyan}, val_loss{"val loss", {}, io::kYellow};
    io::Series iou{"val IoU", {}, io::kGreen}, map{"val mAP", {}, io::kRed};
    for (const auto& r : h) {
        train_loss.y.push_back(r.train_loss), val_loss.y.push_back(r.val_loss);
        iou.y.push_back(r.val_iou), map.y.push_back(r.val_map);
    }
    const auto img = io::stack_vertical({io::line_chart({train_loss, val_loss}, "loss per epoch", 480, 240),
                                         io::line_chart({iou, map}, "validation IoU and TGS mAP per epoch", 480, 240)});
    io::write_png(path, img);
}

}  // namespace detail

// Trains a Model (a DeepLabV3 instantiation with one class) on its backend.
template <class Model>
class Trainer {
    using B = typename Model::backend;
    static constexpr Shape In = Model::in_shape, Out = Model::out_shape;
    static_assert(Out.c == 1, "Trainer: binary segmentation needs a model with one class");
    static_assert(In.h == In.w, "Trainer: the model's input must be square");
    static_assert(salt::check::backend_implements<B, OpSet{Op::adam_step, Op::loss_bce_dice, Op::loss_lovasz,
                                                           Op::mask_stats}>());

public:
    // `backend_options` build the model's device (threads, bf16, ...).
    Trainer(const data::TgsDataset& ds, TrainOptions opt, typename B::options backend_options = {})
        : ds_(ds), opt_(std::move(opt)), backend_options_(backend_options) {
        if (opt_.batch < 2)
            throw std::invalid_argument("the batch must be at least 2 (BatchNorm in training mode needs more than one "
                                        "value per channel in ASPP's pooling branch)");
        if (opt_.epochs < 1) throw std::invalid_argument("--epochs must be at least 1");
        if (opt_.schedule != "plateau" && opt_.schedule != "cosine")
            throw std::invalid_argument("unknown schedule '" + opt_.schedule + "' (plateau or cosine)");
        if (!(opt_.warmup_epochs >= 0)) throw std::invalid_argument("--warmup-epochs must be >= 0");
        if (!(opt_.lovasz_after >= 0 && opt_.lovasz_after < 1)) throw std::invalid_argument("--lovasz-after must be in [0, 1)");
        if (!(opt_.lr > 0)) throw std::invalid_argument("--lr must be positive");
        detail::monitor_value({}, opt_.monitor);  // validates the name
        pre_.size = In.h;
        pre_.depth_channel = In.c == 2;
        if (In.c != 1 && In.c != 2) throw std::invalid_argument("Trainer: the model must take 1 channel (image) or 2 (image, depth)");
        if (ds_.size > In.h) pre_.fit = data::Fit::resize;
        pre_.amplitude_clip_percentile = ds_.amplitude_clip_percentile;
    }

    const data::Preprocess& preprocess() const { return pre_; }

    TrainResult run() {
        namespace fs = std::filesystem;
        fs::create_directories(opt_.out);
        const fs::path split_path = opt_.out / "split.txt", ckpt_path = opt_.out / "last.ckpt";
        const fs::path best_path = opt_.out / "best.safetensors", log_path = opt_.out / "log.csv";
        const fs::path curves_path = opt_.out / "curves.png";
        // What a kill -9 in the middle of a write left behind (resume after a crash).
        for (const auto& p : {split_path, ckpt_path, best_path, log_path, curves_path}) io::remove_stale_temp_files(p);

        // The split: read back when resuming (or when the run directory has one), else made and written.
        data::Split split;
        if (fs::exists(split_path)) split = data::read_split(split_path);
        else {
            if (opt_.resume && fs::exists(ckpt_path))
                throw TrainError(split_path.string() + ": cannot resume, the run has no split file");
            split = data::stratified_split(ds_.ids(), ds_.coverage_classes(),
                                           data::SplitFractions{opt_.val_fraction, opt_.test_fraction},
                                           opt_.seed);
            data::write_split(split_path, split);
        }
        const auto train_idx = data::indices_of(ds_, split, data::Part::train);
        const auto val_idx = data::indices_of(ds_, split, data::Part::val);
        if (train_idx.size() < std::size_t(opt_.batch))
            throw TrainError("the training split has " + std::to_string(train_idx.size()) + " images, fewer than one batch of " +
                             std::to_string(opt_.batch));
        pre_.norm = data::compute_normalisation(ds_, train_idx);

        auto model = std::make_unique<Model>(opt_.seed, backend_options_);
        auto& dev = model->device();
        AdamOptions aopt;
        aopt.lr = opt_.lr;
        aopt.weight_decay = opt_.weight_decay;
        aopt.decoupled = opt_.decoupled_weight_decay;
        Adam<float, B> adam(*model, aopt);
        PlateauOptions popt;
        popt.mode = opt_.monitor == "val_loss" ? PlateauOptions::Mode::min : PlateauOptions::Mode::max;
        popt.factor = opt_.plateau_factor;
        popt.patience = opt_.plateau_patience;
        popt.min_lr = opt_.min_lr;
        ReduceLROnPlateau plateau(opt_.lr, popt);

        TrainResult result;
        result.best = popt.mode == PlateauOptions::Mode::max ? -1e300 : 1e300;
        result.planned_epochs = opt_.epochs;
        int start_epoch = 0, bad_epochs = 0;
        if (opt_.resume && !fs::exists(ckpt_path)) {
            // Stopped before its first checkpoint (killed during epoch 1): nothing was learned that a
            // fresh start with the same options and seed would not redo exactly, so start again.
            say("%s has no checkpoint yet (stopped during its first epoch): starting it again from epoch 1\n",
                opt_.out.c_str());
        } else if (opt_.resume) {
            const auto ck = io::SafetensorsFile::read(ckpt_path);
            load_checkpoint(ck, *model, adam, plateau, result, start_epoch, bad_epochs);
            if (fs::exists(log_path)) result.history = parse_epoch_log(io::read_file_text(log_path), log_path.string(), start_epoch);
            if (opt_.resume_with_new_lr) adam.set_lr(opt_.lr);
            say("resuming %s after epoch %d (best %s %.4f at epoch %d)\n", opt_.out.c_str(), start_epoch, opt_.monitor.c_str(),
                result.best, result.best_epoch);
            // A cosine schedule laid out for a time limit keeps its plan; once it is complete, more
            // --epochs alone cannot extend it (the rate has annealed): say how to go on.
            if (opt_.schedule == "cosine" && opt_.max_minutes > 0 && start_epoch >= result.planned_epochs &&
                opt_.epochs > start_epoch)
                say("  the cosine schedule was laid out over %d epochs for the time limit and is complete; to train on to "
                    "epoch %d, resume with the time limit off (--max-minutes 0): the cosine is then laid out over %d epochs\n",
                    result.planned_epochs, opt_.epochs, opt_.epochs);
        }

        data::BatchOptions bo;
        bo.batch_size = opt_.batch;
        bo.size = In.h;
        bo.fit = pre_.fit;
        bo.shuffle = true;
        bo.drop_last = true;  // every step sees a full batch: BN statistics stay comparable
        bo.depth_channel = pre_.depth_channel;
        bo.augment = opt_.augment;
        bo.seed = opt_.seed;
        bo.norm = pre_.norm;
        bo.threads = opt_.host_threads;
        data::BatchLoader train_loader(ds_, train_idx, bo);
        data::BatchOptions vo = bo;
        vo.shuffle = false, vo.drop_last = false, vo.augment = false;
        data::BatchLoader val_loader(ds_, val_idx, vo);

        Workspace<B> ws(dev, std::max(Model::workspace_bytes(opt_.batch, nn::Mode::train),
                                      Model::workspace_bytes(opt_.batch, nn::Mode::eval)));
        Tensor<float, In, B> batch_images(dev, opt_.batch);
        Tensor<float, Out, B> batch_masks(dev, opt_.batch);
        Tensor<float, Model::cls_shape, B> batch_labels(dev, opt_.batch);  // has salt: the classifier's target
        const auto started = std::chrono::steady_clock::now();
        // --max-minutes is the run's training time, whatever the number of resumes: the epochs kept
        // before this resume (their wall time in log.csv) count, so a run killed or stopped halfway
        // continues with what is left of its budget (a partly done epoch that was lost does not count).
        double seconds_before = 0;
        for (const auto& r : result.history) seconds_before += r.seconds;
        const int epochs_before = int(result.history.size());
        double seconds_extra = 0;  // opt_.extra_epoch_seconds, summed
        auto run_seconds = [&] { return seconds_before + seconds_since(started) + seconds_extra; };
        bool budget_used = false;
        if (opt_.max_minutes > 0 && epochs_before > 0) {
            const double left = opt_.max_minutes * 60.0 - seconds_before;
            say("  the time limit counts the %.1f minutes of the %d epochs before this resume: %.1f minutes left\n",
                seconds_before / 60.0, epochs_before, std::max(left, 0.0) / 60.0);
            if (left <= 0 && start_epoch < result.planned_epochs) {
                char limit[32];
                std::snprintf(limit, sizeof limit, "%g", opt_.max_minutes);
                result.stopped_because = std::string("the time limit of ") + limit +
                                         " minutes was used before this resume (resume with a larger --max-minutes, or 0 for none)";
                budget_used = true;
            }
        }
        const std::size_t steps_per_epoch =
            opt_.max_steps_per_epoch > 0 ? std::min<std::size_t>(train_loader.batches_per_epoch(), std::size_t(opt_.max_steps_per_epoch))
                                         : train_loader.batches_per_epoch();
        say("training %zu images (%zu steps of %d per epoch), validating on %zu; run directory %s\n", train_idx.size(),
            steps_per_epoch, opt_.batch, val_idx.size(), opt_.out.c_str());

        const bool cosine = opt_.schedule == "cosine";
        auto lr_at = [&](int epoch, std::size_t step) {
            const auto total = std::int64_t(result.planned_epochs) * std::int64_t(steps_per_epoch);
            const auto warm = std::min<std::int64_t>(total - 1, std::int64_t(opt_.warmup_epochs * double(steps_per_epoch)));
            const auto k = std::int64_t(epoch - 1) * std::int64_t(steps_per_epoch) + std::int64_t(step);
            if (result.plan_anchor_step > 0 && k >= result.plan_anchor_step)
                return cosine_tail_lr(result.plan_anchor_lr, opt_.min_lr, result.plan_anchor_step, total, k);
            const WarmupCosine c(opt_.lr, total, std::max<std::int64_t>(warm, 0), opt_.min_lr);
            return c.lr_at(k);
        };
        // The loss of an epoch: `loss`, then the Lovasz hinge for the last part of the plan.
        auto loss_of = [&](int epoch) {
            const int switch_after = int(std::floor(opt_.lovasz_after * double(result.planned_epochs)));
            return opt_.lovasz_after > 0 && epoch > switch_after ? LossKind::lovasz : opt_.loss;
        };

        for (int epoch = start_epoch + 1; !budget_used && epoch <= result.planned_epochs; ++epoch) {
            const auto t0 = std::chrono::steady_clock::now();
            const LossKind loss_kind = loss_of(epoch);
            if (opt_.lovasz_after > 0 && epoch > 1 && loss_kind != loss_of(epoch - 1))
                say("  from epoch %d on: the Lovasz hinge loss\n", epoch);
            Rng dropout_rng(opt_.seed * 0x9E3779B97F4A7C15ULL + std::uint64_t(epoch));
            nn::Context<B> ctx{ws, nn::Mode::train, &dropout_rng};
            train_loader.start_epoch(std::uint64_t(epoch));
            data::Batch batch;
            double loss_sum = 0;
            std::size_t step = 0, images = 0;
            while (step < steps_per_epoch && train_loader.next(batch)) {
                ws.reset();
                adam.zero_grad();
                if (cosine) adam.set_lr(lr_at(epoch, step));
                batch_images.upload(batch.images);
                batch_masks.upload(batch.masks);
                const auto out = model->forward(TensorView<const float, In>(batch_images.data(), batch.count), ctx);
                auto logits = out.out;
                auto dy = ctx.template take<float, Out>(batch.count);
                double loss = compute_loss(dev, loss_kind, geometry(batch.count), static_cast<const float*>(logits.data()),
                                           static_cast<const float*>(batch_masks.data()), dy.data());
                TensorView<float, Model::cls_shape> dcls;
                if constexpr (has_cls) {
                    batch_labels.upload(labels_of(batch));
                    dcls = ctx.template take<float, Model::cls_shape>(batch.count);
                    loss += cls_loss(dev, batch.count, out.cls.data(), batch_labels.data(), dcls.data());
                }
                if (!std::isfinite(loss)) {
                    result.failed = true;
                    result.stopped_because = "the loss became " + std::to_string(loss) + " at epoch " + std::to_string(epoch) +
                                             ", step " + std::to_string(step + 1) + "; the last good checkpoint is " +
                                             ckpt_path.string();
                    if (opt_.progress && opt_.progress_redraw) std::fputc('\n', stderr);
                    return result;
                }
                model->backward(dy, ctx, {}, dcls);
                adam.step();
                loss_sum += loss;
                ++step;
                images += std::size_t(batch.count);
                progress(epoch, result.planned_epochs, step, steps_per_epoch, loss_sum / double(step), images, t0);
            }
            if (opt_.progress && opt_.progress_redraw) std::fputc('\n', stderr);
            const double train_seconds = seconds_since(t0);
            const double extra_seconds = opt_.extra_epoch_seconds ? opt_.extra_epoch_seconds(epoch) : 0.0;
            seconds_extra += extra_seconds;

            EpochRecord rec;
            rec.epoch = epoch;
            rec.lr = adam.lr();
            rec.train_loss = loss_sum / double(std::max<std::size_t>(step, 1));
            validate(*model, ws, batch_images, batch_masks, batch_labels, val_loader, rec, loss_kind);
            rec.seconds = seconds_since(t0) + extra_seconds;
            rec.images_per_s = double(images) / std::max(train_seconds, 1e-9);
            result.history.push_back(rec);
            const double metric = detail::monitor_value(rec, opt_.monitor);
            const bool improved = popt.mode == PlateauOptions::Mode::max ? metric > result.best : metric < result.best;
            if (improved) {
                result.best = metric, result.best_epoch = epoch, bad_epochs = 0;
                auto meta = models::config_metadata<Model>();
                for (auto& [k, v] : pre_.metadata()) meta[k] = v;
                meta["salt.epoch"] = std::to_string(epoch);
                meta["salt." + opt_.monitor] = std::to_string(metric);
                models::save_weights(*model, best_path, meta);
            } else {
                ++bad_epochs;
            }
            const double new_lr = cosine ? adam.lr() : plateau.step(metric);
            if (new_lr != adam.lr()) {
                say("  %s did not improve for %d epochs: learning rate %.3g -> %.3g\n", opt_.monitor.c_str(),
                    popt.patience + 1, adam.lr(), new_lr);
                adam.set_lr(new_lr);
            }
            // A time limit with the cosine schedule: after the first epoch, lay the schedule out over the
            // epochs that fit; after every later one, re-plan it to the epochs that fit at the pace of
            // the epoch just finished (wall time, validation included), shorter when epochs have become
            // slower (other work on the machine) and longer when they have become faster again, so the
            // run ends annealed at the limit instead of being cut off or ending early. A re-plan
            // continues the rate from where it is (cosine_tail_lr): it never rises. One slow epoch
            // used to shorten the plan for good (it was never lengthened: laying the whole cosine out
            // again would have raised the rate). The plan and its anchor are saved in the checkpoint,
            // so a resumed run keeps them.
            if (cosine && opt_.max_minutes > 0) {
                const double elapsed = run_seconds();
                const bool first = epoch == 1 && start_epoch == 0;
                const double per_epoch = first ? elapsed : rec.seconds;
                // With epochs_fill_time_limit, `epochs` does not cap the plan: the time limit does.
                const int cap = opt_.epochs_fill_time_limit ? std::numeric_limits<int>::max() / 2 : opt_.epochs;
                const int fit = epochs_that_fit(epoch, elapsed, per_epoch, opt_.max_minutes * 60.0, cap);
                if (first) {
                    result.planned_epochs = fit;
                    say("  %.1f minutes per epoch: the schedule is laid out over %d epochs\n", per_epoch / 60.0,
                        result.planned_epochs);
                } else if (epoch < result.planned_epochs && fit != result.planned_epochs) {
                    const int planned = fit;
                    const auto next = std::int64_t(epoch) * std::int64_t(steps_per_epoch);
                    const auto warm = std::int64_t(opt_.warmup_epochs * double(steps_per_epoch));
                    if (next >= warm) {  // during a warm-up the plan is simply laid out again
                        result.plan_anchor_lr = lr_at(epoch + 1, 0);
                        result.plan_anchor_step = next;
                    }
                    say("  the last epoch took %.1f minutes: the schedule is re-planned to end at epoch %d (was %d)\n",
                        per_epoch / 60.0, planned, result.planned_epochs);
                    result.planned_epochs = planned;
                }
            }
            say("epoch %d/%d  lr %.3g  train loss %.4f  val loss %.4f  IoU %.4f  Dice %.4f  mAP %.4f  %.1f img/s  %s%s\n",
                epoch, result.planned_epochs, rec.lr, rec.train_loss, rec.val_loss, rec.val_iou, rec.val_dice, rec.val_map,
                rec.images_per_s, detail::format_duration(rec.seconds).c_str(), improved ? "  (best so far)" : "");
            // The log, the curves and then the checkpoint: each replaced atomically.
            io::write_file_atomic(log_path, epoch_log_csv(result.history));
            detail::write_curves(curves_path, result.history);
            save_checkpoint(ckpt_path, *model, adam, plateau, result, epoch, bad_epochs);
            if (opt_.after_epoch) opt_.after_epoch(epoch);

            if (opt_.early_stop_patience > 0 && bad_epochs >= opt_.early_stop_patience) {
                result.stopped_because = "early stopping: " + opt_.monitor + " did not improve for " +
                                         std::to_string(bad_epochs) + " epochs";
                break;
            }
            if (opt_.max_minutes > 0 && run_seconds() > opt_.max_minutes * 60 && epoch < result.planned_epochs) {
                char limit[32];
                std::snprintf(limit, sizeof limit, "%g", opt_.max_minutes);
                result.stopped_because = std::string("the time limit of ") + limit + " minutes (the planned " +
                                         std::to_string(result.planned_epochs) + " epochs did not fit)";
                break;
            }
        }
        if (result.stopped_because.empty()) result.stopped_because = "all epochs done";
        if (opt_.choose_postprocess && result.best_epoch >= 1) choose_and_save_postprocess(best_path, val_idx, result);
        return result;
    }

    // After training: the probability threshold and minimum area with the best validation mAP for the
    // best weights (with test-time augmentation when asked), written into best.safetensors' metadata.
    [[gnu::cold]] void choose_and_save_postprocess(const std::filesystem::path& best_path, const std::vector<std::size_t>& val_idx,
                                     TrainResult& result) {
        if (val_idx.empty()) return;
        const auto file = io::SafetensorsFile::read(best_path);
        auto model = std::make_unique<Model>(backend_options_);
        models::load_weights(*model, file);
        const int w = ds_.size, h = ds_.size;
        const Region region = pre_.image_region(w, h);
        const bool padded = pre_.pads(w, h);  // else the logits are resized back onto the image on the host
        const bool tta = opt_.postprocess_tta;
        std::vector<double> probs, logits;
        for (int k = 0; k <= 10; ++k) probs.push_back(0.25 + 0.05 * k);  // 0.25 .. 0.75
        for (double p : probs) logits.push_back(std::log(p / (1.0 - p)));
        const std::vector<int> areas = {0, 5, 10, 20, 30, 40, 60, 80, 100, 150, 200, 300};
        Predictor<Model> predictor(*model, opt_.batch);
        std::vector<float> inputs(In.size() * std::size_t(opt_.batch)), mirrored(tta ? inputs.size() : 0);
        std::vector<float> truth(padded ? std::size_t(region.pixels()) * std::size_t(opt_.batch) : 0);
        std::vector<MaskCounts> counts;
        std::vector<double> image_probs;
        say("choosing the threshold and minimum area on %zu validation images%s ...\n", val_idx.size(),
            tta ? " (with test-time augmentation)" : "");
        for (std::size_t start = 0; start < val_idx.size(); start += std::size_t(opt_.batch)) {
            const int n = int(std::min<std::size_t>(std::size_t(opt_.batch), val_idx.size() - start));
            for (int b = 0; b < n; ++b) {
                const auto& s = ds_.samples[val_idx[start + std::size_t(b)]];
                data::prepare_input(s.image, s.depth, pre_, std::span<float>(inputs.data() + In.size() * std::size_t(b), In.size()));
                if (tta)
                    data::prepare_input(s.image, s.depth, pre_,
                                        std::span<float>(mirrored.data() + In.size() * std::size_t(b), In.size()), true);
                if (padded)
                    for (std::size_t i = 0; i < std::size_t(region.pixels()); ++i)
                        truth[std::size_t(b) * std::size_t(region.pixels()) + i] = s.mask[i] ? 1.f : 0.f;
            }
            predictor.predict(std::span<const float>(inputs.data(), In.size() * std::size_t(n)),
                              tta ? std::span<const float>(mirrored.data(), In.size() * std::size_t(n)) : std::span<const float>(),
                              n, region);
            const auto& ip = predictor.image_probabilities();
            image_probs.insert(image_probs.end(), ip.begin(), ip.end());
            if (padded) {
                const auto c = predictor.stats(
                    std::span<const float>(truth.data(), std::size_t(region.pixels()) * std::size_t(n)), logits);
                counts.insert(counts.end(), c.begin(), c.end());
                continue;
            }
            const auto l = predictor.logits();
            const std::size_t per = std::size_t(region.pixels());
            for (int b = 0; b < n; ++b) {
                const auto back = data::map_back_region(std::span<const float>(l.data() + per * std::size_t(b), per), pre_, w, h);
                const auto& mask = ds_.samples[val_idx[start + std::size_t(b)]].mask;
                for (double t : logits) {
                    MaskCounts c;
                    for (std::size_t i = 0; i < back.size(); ++i) {
                        const bool p = double(back[i]) > t, q = mask[i] != 0;
                        c.tp += p && q, c.fp += p && !q, c.fn += !p && q, c.tn += !p && !q;
                    }
                    counts.push_back(c);
                }
            }
        }
        const std::vector<double> gates = {0.0, 0.2, 0.3, 0.4, 0.5, 0.6};
        result.postprocess = choose_postprocess(counts, probs, areas, tta, image_probs, gates);
        result.postprocess_chosen = true;
        // Rewrite the weights file with the choice in its metadata (atomically, the tensors unchanged).
        io::SafetensorsWriter wr;
        for (auto r : file.tensors()) wr.add(std::move(r));
        for (const auto& [k, v] : file.metadata()) wr.set_metadata(k, v);
        for (const auto& [k, v] : result.postprocess.post.metadata()) wr.set_metadata(k, v);
        char m[32];
        std::snprintf(m, sizeof m, "%.6f", result.postprocess.map);
        wr.set_metadata("salt.post.val_map", m);
        wr.write(best_path);
        say("post-processing: threshold %.2f, minimum area %d, gate %.2f%s: validation mAP %.4f (threshold 0.5, no "
            "minimum area, no gate: %.4f)\n",
            result.postprocess.post.threshold, result.postprocess.post.min_area, result.postprocess.post.gate,
            tta ? ", TTA" : "", result.postprocess.map, result.postprocess.map_default);
    }

private:
    static double seconds_since(std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }

    template <class... A>
    void say(const char* fmt, A... a) const {
        if (!opt_.progress) return;
        std::fprintf(stderr, fmt, a...);
    }

    // `planned`: the epochs of the schedule (fewer than --epochs when a time limit laid it out).
    void progress(int epoch, int planned, std::size_t step, std::size_t steps, double loss, std::size_t images,
                  std::chrono::steady_clock::time_point t0) const {
        if (!opt_.progress) return;
        const double s = seconds_since(t0);
        const double eta = s / double(step) * double(steps - step);
        const int width = 24, filled = int(double(width) * double(step) / double(steps));
        std::string bar(std::size_t(filled), '#');
        bar.resize(std::size_t(width), '.');
        if (!opt_.progress_redraw) {
            if (step == 1) last_plain_line_s_ = 0;
            if (step != steps && s - last_plain_line_s_ < 30) return;
            last_plain_line_s_ = s;
        }
        std::fprintf(stderr, "%sepoch %d/%d [%s] %zu/%zu  loss %.4f  %.1f img/s  ETA %s%s", opt_.progress_redraw ? "\r" : "",
                     epoch, planned, bar.c_str(), step, steps, loss, double(images) / std::max(s, 1e-9),
                     detail::format_duration(eta).c_str(), opt_.progress_redraw ? "   " : "\n");
        std::fflush(stderr);
    }
    mutable double last_plain_line_s_ = 0;  // progress_redraw off: when the last plain line was printed

    static constexpr bool has_cls = Model::config.classification_head;

    // The image classifier's targets: 1 where the batch's mask has salt.
    static std::vector<float> labels_of(const data::Batch& batch) {
        std::vector<float> l(std::size_t(batch.count), 0.f);
        const std::size_t per = batch.masks.size() / std::size_t(std::max(batch.count, 1));
        for (int b = 0; b < batch.count; ++b)
            for (std::size_t i = 0; i < per; ++i)
                if (batch.masks[std::size_t(b) * per + i] > 0.5f) {
                    l[std::size_t(b)] = 1.f;
                    break;
                }
        return l;
    }
    // cls_weight x BCE of the image logits against the labels (the backend's loss op on n 1x1 maps).
    double cls_loss(typename B::device& dev, int n, const float* logits, const float* labels, float* grad) const {
        BceDiceWeights w;
        w.bce = opt_.cls_weight, w.dice = 0;
        return salt::run<Op::loss_bce_dice>(dev, MapGeometry{n, 1, 1, Region{0, 0, 1, 1}}, w, logits, labels, grad);
    }

    // The loss's maps: the whole output, or only the image inside the padding.
    MapGeometry geometry(int batch) const {
        const Region whole{0, 0, Out.h, Out.w};
        return MapGeometry{batch, Out.h, Out.w,
                           opt_.loss_on_image_only ? pre_.image_region(ds_.size, ds_.size) : whole};
    }

    void validate(Model& model, Workspace<B>& ws, Tensor<float, In, B>& images, Tensor<float, Out, B>& masks,
                  Tensor<float, Model::cls_shape, B>& labels, data::BatchLoader& loader, EpochRecord& rec,
                  LossKind loss_kind) {
        auto& dev = model.device();
        loader.start_epoch(0);
        data::Batch batch;
        MetricAccumulator acc;
        double loss_sum = 0;
        std::size_t batches = 0;
        const int w = ds_.size, h = ds_.size;
        const double at_zero[1] = {0.0};
        std::vector<MaskCounts> counts(std::size_t(opt_.batch));
        while (loader.next(batch)) {
            ws.reset();
            images.upload(batch.images);
            masks.upload(batch.masks);
            nn::Context<B> ctx{ws, nn::Mode::eval, nullptr};
            const auto out = model.forward(TensorView<const float, In>(images.data(), batch.count), ctx);
            auto logits = out.out;
            loss_sum += compute_loss(dev, loss_kind, geometry(batch.count), static_cast<const float*>(logits.data()),
                                     static_cast<const float*>(masks.data()), static_cast<float*>(nullptr));
            // With an image classifier: its loss is part of the validation loss, and its probability
            // gates the masks (at 0.5) in the metrics.
            std::vector<float> image_logits;
            if constexpr (has_cls) {
                labels.upload(labels_of(batch));
                loss_sum += cls_loss(dev, batch.count, out.cls.data(), labels.data(), nullptr);
                image_logits = download<B>(dev, out.cls.data(), std::size_t(batch.count));
            }
            auto gate = [&](const MaskCounts& c, int b) {
                return image_logits.empty() ? c : apply_gate(c, ops::stable_sigmoid(double(image_logits[std::size_t(b)])), 0.5);
            };
            ++batches;
            // Metrics on the original 101x101 masks. Padded: the image's region of the prediction
            // against the padded mask's same region (the original mask), counted on the device.
            if (pre_.pads(w, h)) {
                const MapGeometry g{batch.count, Out.h, Out.w, pre_.image_region(w, h)};
                salt::run<Op::mask_stats>(dev, g, static_cast<const float*>(logits.data()),
                                          static_cast<const float*>(masks.data()), std::span<const double>(at_zero),
                                          counts.data());
                for (int b = 0; b < batch.count; ++b) acc.add(gate(counts[std::size_t(b)], b));
                continue;
            }
            // Resized: the logits come back to the host and are resized back onto the image.
            const auto host = download<B>(dev, logits.data(), logits.size());
            for (int b = 0; b < batch.count; ++b) {
                const auto back = data::map_back(std::span<const float>(host.data() + Out.size() * std::size_t(b), Out.size()), pre_, w, h);
                const auto& truth = ds_.samples[batch.indices[std::size_t(b)]].mask;
                acc.add(gate(count_mask(std::span<const float>(back), std::span<const std::uint8_t>(truth), MaskEncoding::logit,
                                        MaskEncoding::binary),
                             b));
            }
        }
        const auto r = acc.result();
        rec.val_loss = batches ? loss_sum / double(batches) : 0;
        rec.val_iou = r.iou_global;
        rec.val_dice = r.dice_global;
        rec.val_map = r.tgs;
    }

    // The checkpoint: the model's tensors under "model.", Adam's state, the plateau schedule, and the
    // trainer's own state (epoch, best, bad epochs, best epoch), written atomically.
    [[gnu::cold]] void save_checkpoint(const std::filesystem::path& path, Model& model, const Adam<float, B>& adam,
                         const ReduceLROnPlateau& plateau, const TrainResult& result, int epoch, int bad_epochs) const {
        io::SafetensorsWriter w;
        // torchvision's names and layouts, as a weights file: a checkpoint resumes on any backend.
        models::add_weights(w, model, "model.");
        adam.save(w, "adam");
        plateau.save(w, "plateau");
        const std::int64_t state[4] = {epoch, bad_epochs, result.best_epoch, std::int64_t(opt_.seed)};
        w.add_i64("trainer.state", {4}, state);
        w.add_f64("trainer.best", {1}, &result.best);
        const std::int64_t plan = result.planned_epochs;
        w.add_i64("trainer.plan", {1}, &plan);
        const double anchor[2] = {double(result.plan_anchor_step), result.plan_anchor_lr};
        w.add_f64("trainer.plan_anchor", {2}, anchor);
        auto meta = models::config_metadata<Model>();
        for (auto& [k, v] : pre_.metadata()) meta[k] = v;
        for (auto& [k, v] : meta) w.set_metadata(k, v);
        w.write(path);
    }

    [[gnu::cold]] void load_checkpoint(const io::SafetensorsFile& ck, Model& model, Adam<float, B>& adam, ReduceLROnPlateau& plateau,
                         TrainResult& result, int& epoch, int& bad_epochs) const {
        const auto expect = models::config_metadata<Model>();
        for (const auto& [k, v] : expect) {
            const auto it = ck.metadata().find(k);
            if (it == ck.metadata().end() || it->second != v)
                throw TrainError(ck.source() + ": the checkpoint was made with " + k + "=" +
                                 (it == ck.metadata().end() ? "?" : it->second) + ", this run has " + v);
        }
        models::LoadOptions lo;
        lo.prefix = "model.";
        try {
            models::load_weights(model, ck, lo);
        } catch (const models::WeightsError& e) {
            throw TrainError(std::string(e.what()) + " (a checkpoint written by an older salt cannot be resumed)");
        }
        adam.load(ck, "adam");
        plateau.load(ck, "plateau");
        const auto st = ck.to_int64("trainer.state");
        if (st.size() != 4) throw TrainError(ck.source() + ": malformed trainer.state");
        if (std::uint64_t(st[3]) != opt_.seed)
            throw TrainError(ck.source() + ": the checkpoint was made with --seed " + std::to_string(st[3]) +
                             "; resume with the same seed");
        epoch = int(st[0]), bad_epochs = int(st[1]), result.best_epoch = int(st[2]);
        result.best = ck.to_double("trainer.best").at(0);
        if (ck.find("trainer.plan")) result.planned_epochs = int(ck.to_int64("trainer.plan").at(0));
        if (ck.find("trainer.plan_anchor")) {  // absent in checkpoints from before re-planning: never re-planned
            const auto a = ck.to_double("trainer.plan_anchor");
            if (a.size() != 2 || !(a[0] >= 0 && a[0] <= 9007199254740992.0 && a[0] == std::floor(a[0])) ||
                !(a[1] >= 0 && a[1] <= 10))
                throw TrainError(ck.source() + ": malformed trainer.plan_anchor (expected a step and a learning rate)");
            result.plan_anchor_step = std::int64_t(a[0]);
            result.plan_anchor_lr = a[1];
        }
        // A resumed run may be given more epochs: a plan made from a time limit stays, else it grows.
        if (opt_.max_minutes <= 0 || opt_.schedule != "cosine") result.planned_epochs = opt_.epochs;
    }

    const data::TgsDataset& ds_;
    TrainOptions opt_;
    typename B::options backend_options_;
    data::Preprocess pre_;
};

}  // namespace salt::train
