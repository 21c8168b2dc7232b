// The synthetic generator: deterministic by seed, ~40% empty masks, TGS layout that the loader reads.
#include <catch2/catch.hpp>

#include <set>

#include "salt/data/synth.hpp"
#include "salt/data/tgs.hpp"
#include "salt/io/csv.hpp"
#include "tgs_fixture.hpp"

using namespace salt::data;

TEST_CASE("synthetic samples are deterministic and look like TGS statistics", "[synth]") {
    SynthOptions o;
    o.count = 300;
    o.seed = 17;
    const auto a = synth_samples(o);
    const auto b = synth_samples(o);
    o.seed = 18;
    const auto c = synth_samples(o);
    int empty = 0;
    double mean = 0;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < a.size(); ++i) {
        REQUIRE(a[i].image == b[i].image);
        REQUIRE(a[i].mask == b[i].mask);
        REQUIRE(a[i].id == b[i].id);
        ids.insert(a[i].id);
        bool e = true;
        for (auto v : a[i].mask) {
            REQUIRE(v <= 1);
            e &= v == 0;
        }
        empty += e;
        for (auto v : a[i].image.pixels) mean += v;
    }
    mean /= 300.0 * 101 * 101;
    CHECK(ids.size() == 300);
    CHECK(a[0].image != c[0].image);
    CHECK(empty / 300.0 == Approx(0.4).margin(0.08));
    CHECK(mean == Approx(122).margin(20));
}

TEST_CASE("the written data set has the TGS layout and loads back", "[synth]") {
    salt::test::TempTgs t(20, 4, "synth");
    CHECK(std::filesystem::exists(t.root / "train.csv"));
    CHECK(std::filesystem::exists(t.root / "depths.csv"));
    const auto csv = salt::io::read_csv(t.root / "train.csv");
    REQUIRE(csv.rows.size() == 20);
    const auto info = salt::io::png_info(t.root / "train" / "images" / (csv.rows[0][0] + ".png"));
    CHECK(info.width == 101);
    CHECK(info.channels == 3);
    TgsOptions o;
    o.root = t.root;
    o.require_depth = true;
    const auto ds = load_tgs(o);
    const auto gen = synth_samples({20, 4, 101, 0.4});
    for (std::size_t i = 0; i < 20; ++i) {
        CHECK(ds.samples[i].image == gen[i].image);
        CHECK(ds.samples[i].mask == gen[i].mask);
        CHECK(ds.samples[i].depth == float(gen[i].depth));
    }
    CHECK_THROWS_WITH(write_synth_dataset(t.root, {1, 1, 101, 0.4}), Catch::Contains("not empty"));
}
