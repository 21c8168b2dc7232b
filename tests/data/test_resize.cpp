// Parity with OpenCV for resize (INTER_LINEAR, INTER_NEAREST) and copyMakeBorder, from the fixtures that
// tests/fixtures/make_resize_fixtures.py wrote with python3-opencv; plus pad/unpad round trips.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "salt/data/resize.hpp"
#include "salt/io/file.hpp"
#include "support/test_env.hpp"

using namespace salt::data;

namespace {

template <class T>
Image<T> load_raw(const std::string& name, int h, int w, int c) {
    const auto bytes = salt::io::read_file_bytes(salt::test::fixture_dir() / "resize" / name);
    Image<T> img(w, h, c);
    REQUIRE(bytes.size() == img.size() * sizeof(T));
    std::memcpy(img.data(), bytes.data(), bytes.size());
    return img;
}

}  // namespace

TEST_CASE("resize and pad match OpenCV on the fixtures", "[resize][parity]") {
    std::ifstream manifest(salt::test::fixture_dir() / "resize" / "manifest.txt");
    REQUIRE(manifest);
    std::string line;
    int cases = 0;
    while (std::getline(manifest, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream in(line);
        std::string op, dtype, src_name, out_name;
        int h, w, c, oh, ow;
        in >> op >> dtype >> src_name >> h >> w >> c >> out_name >> oh >> ow;
        INFO(line);
        ++cases;
        if (dtype == "f32") {
            const auto src = load_raw<float>(src_name, h, w, c);
            const auto want = load_raw<float>(out_name, oh, ow, c);
            REQUIRE(op == "linear");
            const auto got = cv_resize_linear(src, ow, oh);
            double worst = 0;
            for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, double(std::abs(got.pixels[i] - want.pixels[i])));
            CHECK(worst <= 1e-5);
            continue;
        }
        const auto src = load_raw<std::uint8_t>(src_name, h, w, c);
        const auto want = load_raw<std::uint8_t>(out_name, oh, ow, c);
        Image8 got;
        if (op == "linear") got = cv_resize_linear(src, ow, oh);
        else if (op == "nearest") got = cv_resize_nearest(src, ow, oh);
        else {
            Padding p;
            in >> p.top >> p.bottom >> p.left >> p.right;
            const Border b = op == "reflect101" ? Border::reflect101 : op == "reflect" ? Border::reflect : Border::zero;
            got = pad(src, p, b);
            CHECK(unpad(got, p) == src);
        }
        REQUIRE(got.width == ow);
        REQUIRE(got.height == oh);
        int worst = 0, differing = 0;
        for (std::size_t i = 0; i < got.size(); ++i) {
            const int d = std::abs(int(got.pixels[i]) - int(want.pixels[i]));
            worst = std::max(worst, d);
            differing += d != 0;
        }
        CHECK(worst <= 1);       // the contract
        CHECK(differing == 0);   // what we achieve: bit-exact
    }
    CHECK(cases >= 14);
}

TEST_CASE("centred padding 101 -> 128 and its inverse", "[resize]") {
    const Padding p = centred_padding(101, 128);
    CHECK(p == Padding{13, 14, 13, 14});
    Image8 img(101, 101, 1);
    for (std::size_t i = 0; i < img.size(); ++i) img.pixels[i] = std::uint8_t(i * 7);
    for (Border b : {Border::reflect101, Border::reflect, Border::zero}) {
        const auto padded = pad(img, p, b);
        CHECK(padded.width == 128);
        CHECK(unpad(padded, p) == img);
    }
    CHECK(pad(img, p, Border::zero).at(0, 0) == 0);
    CHECK(pad(img, p, Border::reflect101).at(13, 12) == img.at(0, 1));
    CHECK(pad(img, p, Border::reflect).at(13, 12) == img.at(0, 0));
}

TEST_CASE("resize rejects empty sizes; identity resize is exact", "[resize]") {
    Image8 img(5, 4, 1, 9);
    CHECK_THROWS_AS(cv_resize_linear(img, 0, 3), std::invalid_argument);
    CHECK(cv_resize_linear(img, 5, 4) == img);
    CHECK(cv_resize_nearest(img, 5, 4) == img);
}
