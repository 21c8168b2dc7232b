// The trainer on a tiny configuration (DeepLabV3-ResNet50 at 32x32 on a small synthetic set):
// it learns (the loss falls), it writes the run directory, an interrupted run resumed from its
// checkpoint ends with exactly the weights of an uninterrupted one, and a non-finite loss stops the
// run with a message while keeping the last good checkpoint loadable.
#include <cmath>
#include <filesystem>
#include <memory>

#include <catch2/catch.hpp>

#include "data/tgs_fixture.hpp"
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

TEST_CASE("trainer: a non-finite loss stops the run and keeps the last good checkpoint", "[unit][train]") {
    test::TempTgs tgs(32, 5, "nan");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);
    const auto out = fresh_dir("nan");
    {
        auto opt = tiny(out);
        opt.epochs = 1;
        train::Trainer<Model> t(ds, opt);
        t.run();
    }
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
        WARN("this build has no AVX512_BF16: the bf16 training check is skipped");
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
