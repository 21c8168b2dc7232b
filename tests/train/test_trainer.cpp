// The trainer on a tiny configuration (DeepLabV3-ResNet50 at 32x32 on a small synthetic set):
// it learns (the loss falls), it writes the run directory, an interrupted run resumed from its
// checkpoint ends with exactly the weights of an uninterrupted one, and a non-finite loss stops the
// run with a message while keeping the last good checkpoint loadable.
#include <cmath>
#include <filesystem>
#include <memory>

#include <catch2/catch.hpp>

#include "data/tgs_fixture.hpp"
#include "support/test_env.hpp"
#include "salt/backend/simd/simd.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/train/trainer.hpp"

using namespace salt;
using B = backend::Simd;
using Model = models::DeepLabV3<float, models::DeepLabV3Config{.height = 32, .width = 32, .in_channels = 1}, B>;

namespace {

std::filesystem::path fresh_dir(const std::string& name) {
    auto d = std::filesystem::temp_directory_path() / ("salt_trainer_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    return d;
}

train::TrainOptions tiny(const std::filesystem::path& out) {
    train::TrainOptions o;
    o.out = out;
    o.epochs = 3;
    o.batch = 4;
    o.lr = 1e-3;
    o.val_fraction = 0.25;
    o.max_steps_per_epoch = 3;
    o.seed = 11;
    o.progress = false;
    return o;
}

std::vector<float> weights_of(const std::filesystem::path& ckpt) {
    const auto f = io::SafetensorsFile::read(ckpt);
    std::vector<float> all;
    for (const auto& name : f.names())
        if (name.rfind("model.", 0) == 0 && f.at(name).dtype == io::DType::F32) {
            const auto v = f.to_float(name);
            all.insert(all.end(), v.begin(), v.end());
        }
    return all;
}

// One epoch of tiny() into `out`: the start of the runs the resume tests continue.
train::TrainResult train_first_epoch(const data::TgsDataset& ds, const std::filesystem::path& out) {
    auto opt = tiny(out);
    opt.epochs = 1;
    train::Trainer<Model> t(ds, opt);
    return t.run();
}

}  // namespace

TEST_CASE("trainer: writes the run directory and the loss falls", "[unit][train]") {
    test::TempTgs tgs(40, 3, "trainer");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);
    const auto out = fresh_dir("basic");
    auto opt = tiny(out);
    opt.epochs = 4;
    opt.max_steps_per_epoch = 6;
    train::Trainer<Model> t(ds, opt);
    const auto r = t.run();
    REQUIRE(r.history.size() == 4);
    CHECK_FALSE(r.failed);
    for (const char* f : {"best.safetensors", "last.ckpt", "log.csv", "curves.png", "split.txt"})
        CHECK(std::filesystem::exists(out / f));
    CHECK(r.history.back().train_loss < r.history.front().train_loss);
    // best.safetensors is a weights file with the configuration and the preprocessing.
    const auto best = io::SafetensorsFile::read(out / "best.safetensors");
    CHECK(best.metadata().at("salt.height") == "32");
    const auto pre = train::Preprocess::from_metadata(best.metadata(), "best");
    CHECK(pre.size == 32);
    CHECK(pre.fit == data::Fit::resize);
    auto m = std::make_unique<Model>();
    CHECK_NOTHROW(models::load_weights(*m, best));
    std::filesystem::remove_all(out);
}

TEST_CASE("trainer: an interrupted and resumed run ends with the same weights", "[unit][train]") {
    test::TempTgs tgs(32, 4, "resume");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);

    const auto a = fresh_dir("uninterrupted");
    {
        train::Trainer<Model> t(ds, tiny(a));
        t.run();
    }
    const auto b = fresh_dir("interrupted");
    {
        auto opt = tiny(b);
        opt.after_epoch = [](int epoch) {
            if (epoch == 1) throw std::runtime_error("simulated kill after epoch 1");
        };
        train::Trainer<Model> t(ds, opt);
        CHECK_THROWS_WITH(t.run(), Catch::Contains("simulated kill"));
    }
    {
        auto opt = tiny(b);
        opt.resume = true;
        train::Trainer<Model> t(ds, opt);
        const auto r = t.run();
        CHECK(r.history.size() == 3);
    }
    const auto wa = weights_of(a / "last.ckpt"), wb = weights_of(b / "last.ckpt");
    REQUIRE(wa.size() == wb.size());
    REQUIRE(wa.size() > 1000000);
    CHECK(wa == wb);
    std::filesystem::remove_all(a);
    std::filesystem::remove_all(b);
}

TEST_CASE("trainer: --max-minutes counts the epochs kept before a resume", "[unit][train]") {
    test::TempTgs tgs(32, 6, "budget");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);
    const auto out = fresh_dir("budget");
    REQUIRE(train_first_epoch(ds, out).history.size() == 1);
    // The resume reads the time already trained from log.csv: say epoch 1 took two hours.
    auto h = train::parse_epoch_log(io::read_file_text(out / "log.csv"), "log.csv", 1);
    REQUIRE(h.size() == 1);
    h[0].seconds = 7200;
    io::write_file_atomic(out / "log.csv", train::epoch_log_csv(h));
    auto opt = tiny(out);
    opt.resume = true;
    opt.max_minutes = 60;
    {
        train::Trainer<Model> t(ds, opt);
        const auto r = t.run();
        CHECK(r.history.size() == 1);  // no epoch started
        CHECK_THAT(r.stopped_because, Catch::Contains("time limit of 60 minutes was used before this resume"));
    }
    opt.max_minutes = 600;  // 480 minutes left: the run goes on to --epochs
    {
        train::Trainer<Model> t(ds, opt);
        const auto r = t.run();
        CHECK(r.history.size() == 3);
        CHECK(r.stopped_because == "all epochs done");
    }
    std::filesystem::remove_all(out);
}

TEST_CASE("trainer: a time-limited cosine run re-plans shorter after a slow epoch and longer again after a fast one",
          "[unit][train]") {
    test::TempTgs tgs(32, 6, "replan");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);
    const auto out = fresh_dir("replan");
    auto opt = tiny(out);
    opt.schedule = "cosine";
    opt.warmup_epochs = 0;
    opt.epochs = 8;         // the most any plan may hold
    opt.max_minutes = 60;   // the real epochs take seconds: the first one plans all 8
    opt.early_stop_patience = 0;
    opt.choose_postprocess = false;
    // Epoch 2 counts 1000 s more: after it, only 4 epochs fit (2 + the ~2600 s left at ~1000 s an
    // epoch); epoch 3 takes its real seconds again, so after it the plan grows back to 8.
    opt.extra_epoch_seconds = [](int epoch) { return epoch == 2 ? 1000.0 : 0.0; };
    train::Trainer<Model> t(ds, opt);
    const auto r = t.run();
    REQUIRE(r.history.size() == 8);
    CHECK(r.planned_epochs == 8);
    CHECK(r.stopped_because == "all epochs done");
    CHECK(r.history[1].seconds > 1000);
    // 24 training images, batch 4, at most 3 steps an epoch: the last re-plan is the one after epoch
    // 3 (step 9), which it can only be if epoch 2's re-plan had shortened the plan below 8.
    CHECK(r.plan_anchor_step == 9);
    // The rate never rises across the re-plans, and the run ends annealed.
    for (std::size_t i = 1; i < r.history.size(); ++i) {
        INFO("epoch " << r.history[i].epoch);
        CHECK(r.history[i].lr <= r.history[i - 1].lr);
    }
    CHECK(r.history.back().lr < 0.05 * opt.lr);
    std::filesystem::remove_all(out);
}

TEST_CASE("trainer: with epochs_fill_time_limit the time limit, not --epochs, sets the length of a cosine run",
          "[unit][train]") {
    test::TempTgs tgs(32, 6, "fill");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);
    // Every epoch counts 10000 s more than its real seconds; 55000 s hold five such epochs (with 5000 s
    // to spare for the real seconds, however loaded the machine), and --epochs says 2.
    auto opt = tiny({});
    opt.schedule = "cosine";
    opt.warmup_epochs = 0;
    opt.epochs = 2;
    opt.max_minutes = 55000.0 / 60.0;
    opt.early_stop_patience = 0;
    opt.choose_postprocess = false;
    opt.extra_epoch_seconds = [](int) { return 10000.0; };
    for (const bool fill : {false, true}) {
        INFO("epochs_fill_time_limit " << fill);
        opt.out = fresh_dir(fill ? "fill" : "nofill");
        opt.epochs_fill_time_limit = fill;
        train::Trainer<Model> t(ds, opt);
        const auto r = t.run();
        CHECK(r.history.size() == (fill ? 5u : 2u));
        CHECK(r.planned_epochs == (fill ? 5 : 2));
        CHECK(r.stopped_because == "all epochs done");
        // Annealed at the end of either plan: the last of 6 steps of a cosine is at 6.7% of the peak,
        // the last of 15 at 1.1%; the plan of --epochs would leave the 5-epoch run at 50% after step 6.
        CHECK(r.history.back().lr < 0.1 * opt.lr);
        std::filesystem::remove_all(opt.out);
    }
}

TEST_CASE("trainer: a non-finite loss stops the run and keeps the last good checkpoint", "[unit][train]") {
    test::TempTgs tgs(32, 5, "nan");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);
    const auto out = fresh_dir("nan");
    train_first_epoch(ds, out);
    const auto good = weights_of(out / "last.ckpt");
    const auto log_before = io::read_file_text(out / "log.csv");
    // Resume with an absurd learning rate: the first Adam step moves every weight by ~1e30, the
    // activations overflow and the loss is no longer finite.
    auto opt = tiny(out);
    opt.resume = true;
    opt.resume_with_new_lr = true;
    opt.lr = 1e30;
    train::Trainer<Model> t(ds, opt);
    const auto r = t.run();
    CHECK(r.failed);
    CHECK_THAT(r.stopped_because, Catch::Contains("the loss became") && Catch::Contains("last good checkpoint"));
    CHECK(weights_of(out / "last.ckpt") == good);
    CHECK(io::read_file_text(out / "log.csv") == log_before);
    std::filesystem::remove_all(out);
}

// The optional bf16 GEMM path (backend/simd/gemm.hpp, `salt train --bf16`): the same tiny run with
// bf16 operands learns, and its losses stay close to the fp32 run's (bf16 rounds the operands to 8
// significant bits; the sums stay fp32), while the weights differ (so the path really ran).
TEST_CASE("trainer: the bf16 GEMM path trains like fp32", "[unit][train]") {
    if constexpr (!backend::simd::Device::bf16_available()) {
        test::skip_for_missing_isa(__builtin_cpu_supports("avx512bf16"), "AVX512_BF16", "the bf16 training check");
        return;
    }
    test::TempTgs tgs(40, 3, "trainer_bf16");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);
    auto run = [&](bool bf16, const std::string& name) {
        const auto out = fresh_dir(name);
        auto opt = tiny(out);
        opt.epochs = 4;
        opt.max_steps_per_epoch = 6;
        train::Trainer<Model> t(ds, opt, B::options{.threads = 0, .bf16 = bf16});
        auto r = t.run();
        auto w = weights_of(out / "last.ckpt");
        std::filesystem::remove_all(out);
        return std::pair(r, w);
    };
    const auto [r32, w32] = run(false, "fp32");
    const auto [r16, w16] = run(true, "bf16");
    REQUIRE(r16.history.size() == r32.history.size());
    CHECK_FALSE(r16.failed);
    CHECK(r16.history.back().train_loss < r16.history.front().train_loss);
    const bool same_weights = w16 == w32;  // (not CHECK(w16 != w32): Catch would print 2 x 40 M floats)
    CHECK_FALSE(same_weights);
    for (std::size_t e = 0; e < r32.history.size(); ++e) {
        const double a = r32.history[e].train_loss, b = r16.history[e].train_loss;
        INFO("epoch " << e + 1 << ": train loss fp32 " << a << ", bf16 " << b);
        CHECK(std::fabs(a - b) <= 0.05 * a);
    }
}

// The accuracy recipe's pieces: warm-up + cosine annealing over the planned epochs, a Lovasz phase
// at the end, the loss scored on the image only, and the post-processing chosen on the validation
// split (with test-time augmentation) and saved with the best weights. An interrupted run resumes to
// the same weights, as with the plateau schedule.
TEST_CASE("trainer: cosine schedule, Lovasz phase, post-processing; resume stays exact", "[unit][train]") {
    test::TempTgs tgs(32, 6, "recipe");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);
    auto recipe = [](const std::filesystem::path& out) {
        auto o = tiny(out);
        o.epochs = 4;
        o.schedule = "cosine";
        o.warmup_epochs = 1;
        o.lovasz_after = 0.5;
        o.loss_on_image_only = true;
        o.early_stop_patience = 0;
        return o;
    };
    const auto a = fresh_dir("recipe_a");
    train::TrainResult ra;
    {
        train::Trainer<Model> t(ds, recipe(a));
        ra = t.run();
    }
    REQUIRE(ra.history.size() == 4);
    CHECK(ra.planned_epochs == 4);
    // warm-up from 0 over epoch 1, then down to min_lr: the lr logged at the end of each epoch falls
    // from epoch 2 on
    CHECK(ra.history[1].lr > ra.history[2].lr);
    CHECK(ra.history[2].lr > ra.history[3].lr);
    CHECK(ra.history[3].lr < 0.2 * 1e-3);
    REQUIRE(ra.postprocess_chosen);
    const auto best = io::SafetensorsFile::read(a / "best.safetensors");
    const auto post = train::PostProcess::from_metadata(best.metadata(), "best");
    CHECK(post.threshold == Approx(ra.postprocess.post.threshold));
    CHECK(post.min_area == ra.postprocess.post.min_area);
    CHECK(post.tta);
    CHECK(ra.postprocess.map >= ra.postprocess.map_default);  // the default setting is a candidate
    CHECK(best.metadata().count("salt.post.val_map") == 1);
    auto m = std::make_unique<Model>();
    CHECK_NOTHROW(models::load_weights(*m, best));  // the tensors are unchanged

    const auto b = fresh_dir("recipe_b");
    {
        auto opt = recipe(b);
        opt.after_epoch = [](int epoch) {
            if (epoch == 2) throw std::runtime_error("simulated kill after epoch 2");
        };
        train::Trainer<Model> t(ds, opt);
        CHECK_THROWS_WITH(t.run(), Catch::Contains("simulated kill"));
    }
    {
        auto opt = recipe(b);
        opt.resume = true;
        train::Trainer<Model> t(ds, opt);
        t.run();
    }
    CHECK(weights_of(a / "last.ckpt") == weights_of(b / "last.ckpt"));
    std::filesystem::remove_all(a);
    std::filesystem::remove_all(b);
}

TEST_CASE("post-processing: the choice, the minimum-area rule, the breakdown", "[unit][train]") {
    using train::MaskCounts;
    // Three images at two thresholds: a speck of 5 pixels on an empty image, a good prediction, an
    // image whose salt only the lower threshold finds.
    const std::vector<double> th{0.5, 0.3};
    const std::vector<MaskCounts> c{
        {0, 5, 0, 95},  {0, 9, 0, 91},      // truth empty: 5 / 9 false pixels
        {40, 2, 3, 55}, {42, 6, 1, 51},     // salt, well found
        {0, 0, 30, 70}, {25, 4, 5, 66}};    // salt, found only at 0.3
    const std::vector<int> areas{0, 10, 50};
    const auto pick = train::choose_postprocess(c, th, areas, false);
    // at 0.3 with min area 10: image 1 becomes empty (1.0), image 2 hits, image 3 found
    CHECK(pick.post.threshold == 0.3);
    CHECK(pick.post.min_area == 10);
    // IoU 40/45 clears 8 of the 10 thresholds; at 0.3 with area 10: 10 + 8 (42/49) + 5 (25/34)
    CHECK(pick.map_default == Approx((0 + 8 + 0) / 30.0));
    CHECK(pick.map == Approx((10 + 8 + 5) / 30.0));
    CHECK(train::apply_min_area(MaskCounts{0, 5, 0, 95}, 10) == MaskCounts{0, 0, 0, 100});
    CHECK(train::apply_min_area(MaskCounts{3, 2, 1, 94}, 5) == MaskCounts{3, 2, 1, 94});  // 5 is not below 5
    std::vector<std::uint8_t> mask{0, 1, 1, 0};
    train::apply_min_area(mask, 3);
    CHECK(mask == std::vector<std::uint8_t>{0, 0, 0, 0});
    train::Breakdown bd;
    for (std::size_t i = 0; i < c.size(); i += 2) bd.add(c[i]);
    CHECK(bd.all.images == 3);
    CHECK(bd.empty.images == 1);
    CHECK(bd.salt.images == 2);
    CHECK(bd.false_positive_images == 1);
    CHECK(bd.false_negative_images == 1);
    CHECK(bd.coverage[3].images == 2);  // 43% and 30% salt: (25%, 50%]
    CHECK(train::PostProcess::from_metadata(train::PostProcess{0.35, 20, true}.metadata(), "x").min_area == 20);
    CHECK_THROWS_WITH(train::PostProcess::from_metadata({{"salt.post.threshold", "1.5"}}, "w.safetensors"),
                      Catch::Contains("w.safetensors") && Catch::Contains("(0, 1)"));
}

// The architecture options through the trainer: a ResNet-18 DeepLabV3+ with the image classifier
// learns (the loss falls), and the post-processing step sees the classifier's probabilities.
TEST_CASE("trainer: ResNet-18 DeepLabV3+ with the image classifier", "[unit][train]") {
    using Plus = models::DeepLabV3<float,
                                   models::DeepLabV3Config{.height = 32, .width = 32, .in_channels = 1,
                                                           .blocks = models::resnet18_blocks,
                                                           .block = models::BlockKind::basic, .output_stride = 16,
                                                           .rates = {1, 2, 3}, .decoder = models::Decoder::deeplabv3plus,
                                                           .classification_head = true},
                                   B>;
    test::TempTgs tgs(40, 3, "plus");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);
    const auto out = fresh_dir("plus");
    auto opt = tiny(out);
    opt.epochs = 4;
    opt.max_steps_per_epoch = 6;
    opt.schedule = "cosine";
    opt.cls_weight = 0.1;
    train::Trainer<Plus> t(ds, opt);
    const auto r = t.run();
    REQUIRE(r.history.size() == 4);
    CHECK_FALSE(r.failed);
    CHECK(r.history.back().train_loss < r.history.front().train_loss);
    REQUIRE(r.postprocess_chosen);
    const auto best = io::SafetensorsFile::read(out / "best.safetensors");
    CHECK(best.metadata().at("salt.decoder") == "deeplabv3plus");
    CHECK(best.metadata().at("salt.classification_head") == "1");
    CHECK(best.metadata().at("salt.encoder") == "resnet18");
    CHECK(best.metadata().count("salt.post.gate") == 1);
    CHECK(best.find("classification_head.1.weight") != nullptr);
    CHECK(best.find("decoder.block2.3.weight") != nullptr);
    std::filesystem::remove_all(out);
}
