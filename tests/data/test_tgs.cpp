// The TGS loader (real data and a synthetic copy), its documented errors, stratified splits and the
// split file, normalisation and the batch loader.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

#include "salt/data/batch.hpp"
#include "salt/data/split.hpp"
#include "salt/data/tgs.hpp"
#include "support/test_env.hpp"
#include "tgs_fixture.hpp"

using namespace salt::data;
namespace fs = std::filesystem;

namespace {

std::string replace_line(const fs::path& file, int line_no, const std::string& text) {
    std::ifstream in(file);
    std::string all, line;
    int k = 0;
    while (std::getline(in, line)) all += (++k == line_no ? text : line) + "\n";
    std::ofstream(file) << all;
    return all;
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const salt::io::IoError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("the real TGS data loads: 3,200 samples, 1,250 empty, PNG masks == RLE masks", "[tgs][data]") {
    if (!salt::test::require_tgs_data()) return;
    TgsOptions o;
    o.root = salt::test::tgs_dir();
    o.require_depth = true;
    const auto png = load_tgs(o);
    REQUIRE(png.samples.size() == 3200);
    o.masks = MaskSource::rle;
    const auto rle = load_tgs(o);
    int empty = 0;
    for (std::size_t i = 0; i < png.samples.size(); ++i) {
        REQUIRE(png.samples[i].image.width == 101);
        REQUIRE(png.samples[i].mask == rle.samples[i].mask);
        REQUIRE(png.samples[i].has_depth());
        empty += png.samples[i].coverage_class() == 0;
    }
    CHECK(empty == 1250);
}

TEST_CASE("a synthetic data set loads the same from PNG and RLE masks", "[tgs]") {
    salt::test::TempTgs t(30, 11);
    TgsOptions o;
    o.root = t.root;
    const auto a = load_tgs(o);
    o.masks = MaskSource::rle;
    o.threads = 1;
    const auto b = load_tgs(o);
    REQUIRE(a.samples.size() == 30);
    for (std::size_t i = 0; i < 30; ++i) {
        CHECK(a.samples[i].id == b.samples[i].id);
        CHECK(a.samples[i].mask == b.samples[i].mask);
        CHECK(a.samples[i].image == b.samples[i].image);
        CHECK(a.samples[i].has_depth());
    }
}

TEST_CASE("each bad input gives its documented error", "[tgs][errors]") {
    salt::test::TempTgs t(12, 3, "bad");
    TgsOptions o;
    o.root = t.root;
    const auto ds = load_tgs(o);
    const std::string id0 = ds.samples[0].id, id1 = ds.samples[1].id;

    SECTION("unreadable directory") {
        o.root = t.root / "nope";
        CHECK_THAT(error_of([&] { load_tgs(o); }), Catch::Contains("nope") && Catch::Contains("cannot read directory"));
    }
    SECTION("wrong image size") {
        salt::io::write_png(t.root / "train" / "images" / (id1 + ".png"), salt::io::Image8(64, 64, 1));
        CHECK_THAT(error_of([&] { load_tgs(o); }), Catch::Contains(id1 + ".png") && Catch::Contains("image is 64x64, expected 101x101"));
    }
    SECTION("non-binary mask") {
        salt::io::Image8 m(101, 101, 1);
        m.at(50, 50) = 7;
        salt::io::write_png(t.root / "train" / "masks" / (id0 + ".png"), m);
        CHECK_THAT(error_of([&] { load_tgs(o); }), Catch::Contains(id0 + ".png") && Catch::Contains("mask is not binary: found value 7"));
    }
    SECTION("bad RLE, with its line") {
        replace_line(t.root / "train.csv", 3, id1 + ",5 3 4 2");
        o.masks = MaskSource::rle;
        CHECK_THAT(error_of([&] { load_tgs(o); }), Catch::Contains("train.csv:3: bad RLE") && Catch::Contains("overlaps"));
    }
    SECTION("missing depth") {
        replace_line(t.root / "depths.csv", 2, id0 + ",");
        o.require_depth = true;
        CHECK_THAT(error_of([&] { load_tgs(o); }), Catch::Contains("depths.csv") && Catch::Contains("no depth for id '" + id0 + "'"));
        o.require_depth = false;
        const auto d = load_tgs(o);  // allowed when depth is not required...
        CHECK_FALSE(d.samples[0].has_depth());
        BatchOptions bo;
        bo.depth_channel = true;  // ...but not for the depth channel
        CHECK_THAT(error_of([&] { BatchLoader(d, {0, 1}, bo); }), Catch::Contains("no depth for id"));
    }
    SECTION("truncated image PNG") {
        const auto p = t.root / "train" / "images" / (id0 + ".png");
        fs::resize_file(p, fs::file_size(p) / 2);
        CHECK_THAT(error_of([&] { load_tgs(o); }), Catch::Contains(id0 + ".png") && Catch::Contains("cannot decode PNG"));
    }
    SECTION("amplitudes.txt: read when present, a bad value named") {
        CHECK(ds.amplitude_clip_percentile < 0);  // Kaggle's layout has none
        std::ofstream(t.root / "amplitudes.txt") << "clip_percentile=0.5\n";
        CHECK(load_tgs(o).amplitude_clip_percentile == 0.5);
        std::ofstream(t.root / "amplitudes.txt") << "clip_percentile=60\n";
        CHECK_THAT(error_of([&] { load_tgs(o); }),
                   Catch::Contains("amplitudes.txt") && Catch::Contains("'clip_percentile' must be a number in [0, 50), got '60'"));
        std::ofstream(t.root / "amplitudes.txt") << "clip=1\n";
        CHECK_THAT(error_of([&] { load_tgs(o); }), Catch::Contains("amplitudes.txt") && Catch::Contains("got '(missing)'"));
    }
    SECTION("missing mask file") {
        fs::remove(t.root / "train" / "masks" / (id1 + ".png"));
        CHECK_THAT(error_of([&] { load_tgs(o); }), Catch::Contains(id1 + ".png") && Catch::Contains("cannot open"));
    }
}

TEST_CASE("stratified split: deterministic, stratified, round-trips through the split file", "[split]") {
    std::vector<std::string> ids;
    std::vector<int> classes;
    for (int i = 0; i < 1000; ++i) {
        ids.push_back("id" + std::to_string(i));
        classes.push_back(i % 3 == 0 ? 0 : 1 + (i * 7) % 10);
    }
    const auto a = stratified_split(ids, classes, {0.1, 0.1}, 42);
    auto rev_ids = ids;
    auto rev_cls = classes;
    std::reverse(rev_ids.begin(), rev_ids.end());
    std::reverse(rev_cls.begin(), rev_cls.end());
    const auto b = stratified_split(rev_ids, rev_cls, {0.1, 0.1}, 42);
    CHECK(a == b);  // input order does not matter
    CHECK_FALSE(a == stratified_split(ids, classes, {0.1, 0.1}, 43));
    CHECK(a.count(Part::val) == Approx(100).margin(6));
    CHECK(a.count(Part::test) == Approx(100).margin(6));
    // Each coverage class is represented in val in proportion.
    std::map<std::string, int> cls;
    for (std::size_t i = 0; i < ids.size(); ++i) cls[ids[i]] = classes[i];
    std::map<int, int> total, in_val;
    for (std::size_t i = 0; i < a.ids.size(); ++i) {
        ++total[cls[a.ids[i]]];
        in_val[cls[a.ids[i]]] += a.parts[i] == Part::val;
    }
    for (auto [c, n] : total) CHECK(std::abs(in_val[c] - 0.1 * n) <= 1.0);
    const auto path = fs::temp_directory_path() / ("salt_split_" + std::to_string(::getpid()) + ".tsv");
    write_split(path, a);
    CHECK(read_split(path) == a);
    std::ofstream(path) << "# x\nid1\ttrain\nid2\tvalid\n";
    CHECK_THROWS_WITH(read_split(path), Catch::Contains(":3: unknown part 'valid'"));
    std::ofstream(path) << "id1\ttrain\nid1\ttest\n";
    CHECK_THROWS_WITH(read_split(path), Catch::Contains(":2: duplicate id"));
    std::ofstream(path) << "id1 train\n";
    CHECK_THROWS_WITH(read_split(path), Catch::Contains(":1: expected"));
    fs::remove(path);
}

TEST_CASE("batches: NHWC, normalised, seeded, depth plane, padding", "[batch]") {
    salt::test::TempTgs t(40, 9, "batch");
    TgsOptions o;
    o.root = t.root;
    const auto ds = load_tgs(o);
    const auto split = stratified_split(ds.ids(), ds.coverage_classes(), {0.2, 0.0}, 1);
    const auto train = indices_of(ds, split, Part::train);
    const auto norm = compute_normalisation(ds, train);
    CHECK(norm.std > 0.05f);
    BatchOptions bo;
    bo.batch_size = 8;
    bo.norm = norm;
    bo.seed = 77;
    bo.depth_channel = true;
    bo.augment = true;
    BatchLoader l1(ds, train, bo), l2(ds, train, bo);
    Batch b1, b2;
    double sum = 0, sum2 = 0, n = 0;
    std::size_t batches = 0;
    std::set<std::size_t> seen;
    while (l1.next(b1)) {
        REQUIRE(l2.next(b2));
        CHECK(b1.images == b2.images);  // same seed, same batches
        CHECK(b1.channels == 2);
        CHECK(b1.images.size() == std::size_t(b1.count) * 101 * 101 * 2);
        for (std::size_t i = 0; i < b1.images.size(); i += 2) {
            sum += b1.images[i];
            sum2 += double(b1.images[i]) * b1.images[i];
            n += 1;
        }
        for (int k = 0; k < b1.count; ++k) {  // the depth plane is constant
            const float z = b1.images[std::size_t(k) * 101 * 101 * 2 + 1];
            CHECK(b1.images[(std::size_t(k) * 101 * 101 + 5000) * 2 + 1] == z);
        }
        for (float m : b1.masks) REQUIRE((m == 0.f || m == 1.f));
        seen.insert(b1.indices.begin(), b1.indices.end());
        ++batches;
    }
    CHECK(batches == l1.batches_per_epoch());
    CHECK(seen.size() == train.size());
    CHECK(std::abs(sum / n) < 0.25);  // roughly standardised (augmentation moves it a little)
    l1.start_epoch(1);
    l1.next(b1);
    l2.start_epoch(0);
    l2.next(b2);
    CHECK(b1.indices != b2.indices);  // another epoch, another order

    // Padding to 128 without augmentation: the centre crop equals the 101x101 normalised image.
    bo.augment = false;
    bo.depth_channel = false;
    bo.shuffle = false;
    bo.size = 128;
    BatchLoader lp(ds, train, bo);
    REQUIRE(lp.next(b1));
    const auto& s0 = ds.samples[train[0]];
    const Padding p = centred_padding(101, 128);
    for (int y = 0; y < 101; y += 10)
        for (int x = 0; x < 101; x += 10) {
            CHECK(b1.images[std::size_t((y + p.top) * 128 + x + p.left)] == Approx((s0.image.at(y, x) / 255.f - norm.mean) / norm.std));
            CHECK(b1.masks[std::size_t((y + p.top) * 128 + x + p.left)] == float(s0.mask[std::size_t(y * 101 + x)]));
        }
}
