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
}
