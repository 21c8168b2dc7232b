// A short smoke run on the real TGS images (CI has them; the full training run is documented in
// docs/results.md, never run here): 24 real image/mask pairs, DeepLabV3-ResNet50 at 128x128 with
// the simd backend; every epoch sees the same 18 training images (3 steps of 6), so the epoch's mean
// training loss must fall.
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
    // 24 images: the first 12 with salt and the first 12 without, so both kinds are there.
    data::TgsDataset small{ds.root, ds.size, {}};
    int with = 0, without = 0;
    for (auto& s : ds.samples) {
        const bool salt_present = s.coverage() > 0;
        if (salt_present && with < 12) ++with, small.samples.push_back(std::move(s));
        else if (!salt_present && without < 12) ++without, small.samples.push_back(std::move(s));
    }
    REQUIRE(small.samples.size() == 24);

    using B = backend::Simd;
    using Model = models::DeepLabV3<float, models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 1}, B>;
    const auto out = std::filesystem::temp_directory_path() / ("salt_real_smoke_" + std::to_string(::getpid()));
    std::filesystem::remove_all(out);
    train::TrainOptions o;
    o.out = out;
    o.epochs = 5;
    o.batch = 6;
    o.lr = 1e-3;
    o.val_fraction = 0.25;
    o.max_steps_per_epoch = 0;  // all of the training split: 18 images, 3 steps
    o.augment = false;
    o.progress = false;
    o.seed = 5;
    train::Trainer<Model> t(small, o);
    const auto r = t.run();
    REQUIRE(r.history.size() == 5);
    std::string losses;
    for (const auto& e : r.history) losses += " " + std::to_string(e.train_loss);
    WARN("real-data smoke: mean training loss per epoch:" << losses);
    CHECK(r.history.back().train_loss < r.history.front().train_loss);
    std::filesystem::remove_all(out);
}
