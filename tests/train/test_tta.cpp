// Test-time augmentation flips the image *before* it is padded, as training's flip augmentation
// does. With an odd image in an even model input (101 in 128, here 21 in 32) the centred padding is
// uneven (13/14, here 5/6), so flipping the padded input instead would move the content by one
// pixel against anything seen in training. The checks: the mirrored input of a left-right symmetric
// image is the plain input, bit for bit, so the model's two TTA passes see the same thing and give
// the same logits; the TTA prediction is then exactly the average of the plain one and its mirror
// image; and the mirrored input of any image is the plain input of its mirror image.
#include <cstdint>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/backend/simd/simd.hpp"
#include "salt/data/preprocess.hpp"
#include "salt/io/image.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/train/inference.hpp"

using namespace salt;

namespace {

constexpr int kImage = 21, kInput = 32;
using Model = models::DeepLabV3<float,
                                models::DeepLabV3Config{.height = kInput, .width = kInput, .in_channels = 1,
                                                        .blocks = models::resnet18_blocks,
                                                        .block = models::BlockKind::basic, .output_stride = 16,
                                                        .rates = {1, 2, 3}},
                                backend::Simd>;

io::Image8 random_image(std::uint64_t seed, bool symmetric) {
    io::Image8 im(kImage, kImage, 1);
    Rng r(seed);
    for (int y = 0; y < kImage; ++y)
        for (int x = 0; x < kImage; ++x) {
            const int sx = symmetric && x > kImage / 2 ? kImage - 1 - x : x;
            im.pixels[std::size_t(y) * kImage + std::size_t(x)] =
                sx == x ? std::uint8_t(r.uniform() * 255.0) : im.pixels[std::size_t(y) * kImage + std::size_t(sx)];
        }
    return im;
}

io::Image8 mirror(const io::Image8& im) {
    io::Image8 m(im.width, im.height, 1);
    for (int y = 0; y < im.height; ++y)
        for (int x = 0; x < im.width; ++x)
            m.pixels[std::size_t(y) * im.width + std::size_t(x)] = im.pixels[std::size_t(y) * im.width + std::size_t(im.width - 1 - x)];
    return m;
}

std::vector<float> prepared(const io::Image8& im, const data::Preprocess& pre, bool mirrored) {
    std::vector<float> v(std::size_t(kInput) * kInput);
    data::prepare_input(im, 0.f, pre, v, mirrored);
    return v;
}

}  // namespace

TEST_CASE("TTA: the image is flipped before padding", "[unit][train]") {
    data::Preprocess pre;
    pre.size = kInput;
    const auto pad = data::centred_padding(kImage, kImage, kInput, kInput);
    REQUIRE(pad.left != pad.right);  // the case that matters: uneven padding

    const auto sym = random_image(1, true);
    REQUIRE(mirror(sym).pixels == sym.pixels);
    const auto plain = prepared(sym, pre, false);
    CHECK(prepared(sym, pre, true) == plain);

    // Flipping the padded input instead would not give the plain input back (the old behaviour).
    std::vector<float> padded_flip(plain.size());
    for (int y = 0; y < kInput; ++y)
        for (int x = 0; x < kInput; ++x)
            padded_flip[std::size_t(y) * kInput + std::size_t(x)] = plain[std::size_t(y) * kInput + std::size_t(kInput - 1 - x)];
    CHECK(padded_flip != plain);

    // Any image: the mirrored input is the input of the mirrored image.
    const auto any = random_image(2, false);
    CHECK(prepared(any, pre, true) == prepared(mirror(any), pre, false));
}

TEST_CASE("TTA: a symmetric image gives the same logits on both passes", "[unit][train]") {
    data::Preprocess pre;
    pre.size = kInput;
    auto model = std::make_unique<Model>(7);
    train::Predictor<Model> p(*model, 2);
    const Region reg = pre.image_region(kImage, kImage);
    REQUIRE(reg.w == kImage);

    const auto sym = random_image(3, true);
    const auto x = prepared(sym, pre, false), xm = prepared(sym, pre, true);
    p.predict(x, {}, 1, reg);
    const auto plain = p.logits();
    p.predict(xm, {}, 1, reg);
    CHECK(p.logits() == plain);  // the second TTA pass alone: identical to the plain pass

    // With TTA: the average of the plain logits and their mirror image within the region.
    p.predict(x, xm, 1, reg);
    const auto tta = p.logits();
    REQUIRE(tta.size() == plain.size());
    std::size_t differ = 0;
    for (int y = 0; y < reg.h; ++y)
        for (int c = 0; c < reg.w; ++c) {
            const std::size_t i = std::size_t(y) * std::size_t(reg.w);
            const float want = 0.5f * plain[i + std::size_t(reg.w - 1 - c)] + 0.5f * plain[i + std::size_t(c)];
            if (tta[i + std::size_t(c)] != want) ++differ;
        }
    CHECK(differ == 0);
}
