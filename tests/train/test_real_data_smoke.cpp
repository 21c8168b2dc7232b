// A short smoke run on the real TGS images (CI has them; the full training run is documented in
// docs/results.md, never run here): 48 real image/mask pairs, DeepLabV3-ResNet50 at 128x128 with
// the simd backend, a few steps per epoch on the same images — the training loss must fall.
#include <filesystem>

#include <catch2/catch.hpp>

#include "salt/backend/simd/simd.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/train/trainer.hpp"
#include "support/test_env.hpp"

using namespace salt;

TEST_CASE("real TGS data: a few training steps make the loss fall", "[train][data]") {
    if (!test::require_tgs_data()) return;
    data::TgsOptions to;
    to.root = test::tgs_dir();
    auto ds = data::load_tgs(to);
    REQUIRE(ds.samples.size() == 3200);
    // 48 images: the first 24 with salt and the first 24 without, so both kinds are there.
    data::TgsDataset small{ds.root, ds.size, {}};
    int with = 0, without = 0;
    for (auto& s : ds.samples) {
        const bool salt_present = s.coverage() > 0;
        if (salt_present && with < 24) ++with, small.samples.push_back(std::move(s));
        else if (!salt_present && without < 24) ++without, small.samples.push_back(std::move(s));
    }
    REQUIRE(small.samples.size() == 48);

    using B = backend::simd;
    using Model = models::DeepLabV3<float, models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 1}, B>;
    const auto out = std::filesystem::temp_directory_path() / ("salt_real_smoke_" + std::to_string(::getpid()));
    std::filesystem::remove_all(out);
    train::TrainOptions o;
    o.out = out;
    o.epochs = 4;
    o.batch = 4;
    o.lr = 3e-4;
    o.val_fraction = 0.25;
    o.max_steps_per_epoch = 3;
    o.augment = false;
    o.progress = false;
    o.seed = 5;
    train::Trainer<Model, B> t(small, o);
    const auto r = t.run();
    REQUIRE(r.history.size() == 4);
    for (const auto& e : r.history) INFO("epoch " << e.epoch << " train loss " << e.train_loss << " val loss " << e.val_loss);
    WARN("real-data smoke: train loss " << r.history.front().train_loss << " -> " << r.history.back().train_loss);
    CHECK(r.history.back().train_loss < r.history.front().train_loss);
    std::filesystem::remove_all(out);
}
