// Augmentation moves image and mask together and keeps the mask binary.
#include <catch2/catch.hpp>

#include "salt/data/augment.hpp"

using namespace salt::data;

namespace {

std::vector<std::uint8_t> blob_mask(int w, int h) {
    std::vector<std::uint8_t> m(std::size_t(w * h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) m[std::size_t(y * w + x)] = ((x - 30) * (x - 30) + (y - 60) * (y - 60) < 400) || (x > 80 && y < 40);
    return m;
}

salt::io::ImageF as_image(const std::vector<std::uint8_t>& m, int w, int h) {
    salt::io::ImageF img(w, h, 1);
    for (std::size_t i = 0; i < m.size(); ++i) img.pixels[i] = float(m[i]);
    return img;
}

}  // namespace

TEST_CASE("flip and whole-pixel shifts keep an image equal to its mask", "[augment]") {
    const int W = 101, H = 101;
    for (int trial = 0; trial < 20; ++trial) {
        auto mask = blob_mask(W, H);
        auto img = as_image(mask, W, H);
        AugmentDraw d;
        d.flip = trial % 2;
        d.shift_scale = true;
        d.tx = trial - 10;
        d.ty = 7 - trial / 2;
        apply_augment(img, mask, d);
        for (std::size_t i = 0; i < mask.size(); ++i) REQUIRE(img.pixels[i] == float(mask[i]));
    }
}

TEST_CASE("random augmentation keeps the mask binary and aligned with the image", "[augment]") {
    const int W = 101, H = 101;
    salt::Rng rng(123);
    AugmentOptions o;
    o.hflip_p = 0.5;
    o.shift_scale_p = 1.0;
    o.brightness = 0;
    o.contrast = 0;
    int flips = 0;
    for (int trial = 0; trial < 40; ++trial) {
        auto mask = blob_mask(W, H);
        auto img = as_image(mask, W, H);
        const auto d = draw_augment(o, W, H, rng);
        flips += d.flip;
        apply_augment(img, mask, d);
        std::size_t agree = 0;
        for (std::size_t i = 0; i < mask.size(); ++i) {
            REQUIRE((mask[i] == 0 || mask[i] == 1));
            agree += (img.pixels[i] >= 0.5f) == (mask[i] == 1);
        }
        CHECK(double(agree) / double(mask.size()) > 0.99);
    }
    CHECK(flips > 5);
    CHECK(flips < 35);
}

TEST_CASE("brightness/contrast touch only the image; same seed, same result", "[augment]") {
    salt::io::ImageF img(10, 10, 1, 0.5f);
    std::vector<std::uint8_t> mask(100, 1);
    AugmentDraw d;
    d.brightness = 0.1;
    d.contrast = 0.5;
    apply_augment(img, mask, d);
    CHECK(img.pixels[0] == Approx(0.6f));
    CHECK(mask == std::vector<std::uint8_t>(100, 1));
    salt::Rng a(9), b(9);
    AugmentOptions o;
    auto i1 = salt::io::ImageF(101, 101, 1, 0.3f), i2 = i1;
    auto m1 = blob_mask(101, 101), m2 = m1;
    augment(i1, m1, o, a);
    augment(i2, m2, o, b);
    CHECK(i1 == i2);
    CHECK(m1 == m2);
}
