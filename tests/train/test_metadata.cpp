// Weights metadata read back (post-processing and preprocessing): a malformed value is an error that
// names the key and the file, never "stoi" from deep inside, and never a silently truncated value.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "salt/data/preprocess.hpp"
#include "salt/train/postprocess.hpp"

using namespace salt;

TEST_CASE("post-processing metadata: bad values name the key and the file", "[unit][train]") {
    const train::PostProcess good{0.35, 20, true};
    const auto back = train::PostProcess::from_metadata(good.metadata(), "w.safetensors");
    CHECK(back.threshold == Approx(0.35));
    CHECK(back.min_area == 20);
    CHECK(back.tta);
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{{"salt.post.threshold", "0,5"},
                                                                       {"salt.post.threshold", "nan"},
                                                                       {"salt.post.min_area", "2.5"},
                                                                       {"salt.post.min_area", "-1"},
                                                                       {"salt.post.tta", "yes"},
                                                                       {"salt.post.gate", ""}}) {
        auto m = good.metadata();
        m[key] = value;
        CHECK_THROWS_WITH(train::PostProcess::from_metadata(m, "w.safetensors"),
                          Catch::Contains("w.safetensors") && Catch::Contains(key) && Catch::Contains("'" + value + "'"));
    }
}

TEST_CASE("preprocessing metadata: bad values name the key and the file", "[unit][data]") {
    data::Preprocess good;
    good.size = 128;
    const auto back = data::Preprocess::from_metadata(good.metadata(), "w.safetensors");
    CHECK(back.size == 128);
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{{"salt.pre.size", "128px"},
                                                                       {"salt.pre.size", "1e2"},
                                                                       {"salt.pre.fit", "stretch"},
                                                                       {"salt.pre.depth_channel", "true"},
                                                                       {"salt.pre.mean", "abc"},
                                                                       {"salt.pre.std", "0"}}) {
        auto m = good.metadata();
        m[key] = value;
        CHECK_THROWS_WITH(data::Preprocess::from_metadata(m, "w.safetensors"),
                          Catch::Contains("w.safetensors") && Catch::Contains(key) && Catch::Contains("'" + value + "'"));
    }
    // The amplitude clipping of images made from seismic: absent unless recorded, then read back.
    CHECK(good.metadata().count("salt.pre.amplitude_clip_percentile") == 0);
    CHECK(back.amplitude_clip_percentile < 0);
    data::Preprocess seismic = good;
    seismic.amplitude_clip_percentile = 2.5;
    CHECK(seismic.metadata().at("salt.pre.amplitude_clip_percentile") == "2.5");
    CHECK(data::Preprocess::from_metadata(seismic.metadata(), "w.safetensors").amplitude_clip_percentile == 2.5);
    for (const std::string bad : {"50", "-1", "one"}) {
        auto m = seismic.metadata();
        m["salt.pre.amplitude_clip_percentile"] = bad;
        CHECK_THROWS_WITH(data::Preprocess::from_metadata(m, "w.safetensors"),
                          Catch::Contains("w.safetensors") && Catch::Contains("salt.pre.amplitude_clip_percentile") &&
                              Catch::Contains("'" + bad + "'"));
    }
}

// salt/train/epoch_log.hpp: RUN/log.csv written with to_chars and read back with from_chars.
#include "salt/train/epoch_log.hpp"

TEST_CASE("epoch log: written and read back exactly, in printf's %g/%f formats", "[unit][train]") {
    using salt::train::EpochRecord;
    std::vector<EpochRecord> h(2);
    h[0] = {1, 0.000999296, 1.2224481, 1.151817, 0.441765, 0.612811, 0.37131, 533.857, 5.4449};
    h[1] = {2, 1e-6, 0.5, 0.25, 0.75, 0.8, 0.6, 60.0, 12.0};
    const std::string text = salt::train::epoch_log_csv(h);
    CHECK(text ==
          "epoch,lr,train_loss,val_loss,val_iou,val_dice,val_map,seconds,images_per_s\n"
          "1,0.000999296,1.222448,1.151817,0.441765,0.612811,0.371310,533.86,5.44\n"
          "2,1e-06,0.500000,0.250000,0.750000,0.800000,0.600000,60.00,12.00\n");
    const auto back = salt::train::parse_epoch_log(text, "log.csv", 100);
    REQUIRE(back.size() == 2);
    CHECK(back[0].epoch == 1);
    CHECK(back[0].val_map == 0.37131);
    CHECK(back[1].lr == 1e-6);
    CHECK(back[1].images_per_s == 12.0);
    CHECK(salt::train::parse_epoch_log(text, "log.csv", 1).size() == 1);  // up to the checkpoint's epoch
}

TEST_CASE("epoch log: a damaged log is named by file and line", "[unit][train]") {
    const std::string header = "epoch,lr,train_loss,val_loss,val_iou,val_dice,val_map,seconds,images_per_s\n";
    auto error = [](const std::string& text) {
        try {
            (void)salt::train::parse_epoch_log(text, "RUN/log.csv", 100);
        } catch (const salt::io::IoError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error("") == "RUN/log.csv: empty (a salt training log starts with a header line)");
    CHECK(error("a,b\n").rfind("RUN/log.csv:1: not a salt training log", 0) == 0);
    CHECK(error(header + "1,0.001,1,1,0.5,0.5,0.5,10,5\n2,0.001,1,1\n") == "RUN/log.csv:3: expected 9 comma-separated values, found 4");
    CHECK(error(header + "1,0,001,1,1,0.5,0.5,0.5,10,5\n") == "RUN/log.csv:2: expected 9 comma-separated values, found 10");
    CHECK(error(header + "1,0.001,1,nan,0.5,0.5,0.5,10,5\n") == "RUN/log.csv:2: column 4: 'nan' is not a finite number");
    CHECK(error(header + "2,0.001,1,1,0.5,0.5,0.5,10,5\n1,0.001,1,1,0.5,0.5,0.5,10,5\n") ==
          "RUN/log.csv:3: the epoch '1' is not a number after the previous line's");
}
