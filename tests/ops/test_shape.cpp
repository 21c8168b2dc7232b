// Property tests of the shape arithmetic in salt/core/shape.hpp that the ops rely on: brute-force
// counts of window positions against the closed forms, plus compile-time checks of known values.
#include <cmath>
#include <cstddef>

#include <catch2/catch.hpp>

#include "salt/core/shape.hpp"

namespace {

using salt::Shape;

// ---- compile-time checks (a failure here is a build error)
static_assert(salt::conv_out_extent(128, 7, 2, 3, 1) == 64, "stem conv on 128");
static_assert(salt::pool_out_extent(64, 3, 2, 1) == 32, "stem max pool on 64");
static_assert(salt::conv_out_extent(101, 7, 2, 3, 1) == 51, "stem conv on 101");
static_assert(salt::pool_out_extent(51, 3, 2, 1) == 26, "stem max pool on 51");
static_assert(salt::conv_out_extent(26, 3, 2, 1, 1) == 13, "layer2 stride-2 3x3 on 26");
static_assert(salt::conv_out_extent(16, 3, 1, 36, 36) == 16, "ASPP rate 36 keeps the size");
static_assert(salt::conv_out_extent(16, 1, 2, 0, 1) == 8, "1x1 stride-2 projection");
static_assert(salt::conv_out_extent(2, 3, 1, 0, 1) == 0, "kernel larger than the input: no position");
static_assert(salt::dilated_extent(3, 12) == 25);
static_assert(salt::floor_div(-7, 2) == -4 && salt::floor_div(7, 2) == 3 && salt::floor_div(-6, 3) == -2);
static_assert(salt::conv2d_out_shape(Shape{16, 16, 2048}, salt::Conv2dParams{2048, 256, 3, 1, 24, 24, false}) ==
              Shape{16, 16, 256});
static_assert(salt::pool2d_out_shape(Shape{64, 64, 64}, salt::Pool2dParams{}) == Shape{32, 32, 64});
static_assert(salt::global_pool_out_shape(Shape{16, 16, 2048}) == Shape{1, 1, 2048});
static_assert(salt::resize_out_shape(Shape{1, 1, 256}, 16, 16) == Shape{16, 16, 256});
static_assert(salt::concat_out_shape(Shape{16, 16, 1024}, Shape{16, 16, 256}) == Shape{16, 16, 1280});
static_assert(salt::align_up(0) == 0 && salt::align_up(1) == 64 && salt::align_up(64) == 64 && salt::align_up(65) == 128);
static_assert(salt::aligned_bytes<float>(17) == 128 && salt::aligned_bytes<double>(8) == 64);
static_assert(!salt::conv2d_fits(Shape{5, 5, 3}, salt::Conv2dParams{4, 8, 3, 1, 1, 1, false}), "channel mismatch");

// Number of window placements: starts 0, s, 2s, ... in the padded input (length in + 2p) such that
// the dilated window [start, start + d(k-1)] stays inside it.
int brute_positions(int in, int k, int s, int p, int d) {
    const int padded = in + 2 * p;
    int count = 0;
    for (int start = 0; start + d * (k - 1) <= padded - 1; start += s) ++count;
    return count;
}

TEST_CASE("conv_out_extent equals a brute-force count of window positions", "[unit][shape]") {
    int checked = 0;
    for (int in = 1; in <= 24; ++in)
        for (int k = 1; k <= 7; ++k)
            for (int s = 1; s <= 4; ++s)
                for (int p = 0; p <= 5; ++p)
                    for (int d = 1; d <= 4; ++d) {
                        const int brute = brute_positions(in, k, s, p, d);
                        const int formula = salt::conv_out_extent(in, k, s, p, d);
                        INFO("in=" << in << " k=" << k << " s=" << s << " p=" << p << " d=" << d);
                        if (brute == 0) {
                            REQUIRE(formula <= 0);
                        } else {
                            REQUIRE(formula == brute);
                        }
                        // The last window's start is inside the padded input and the next one is not.
                        if (brute > 0) {
                            const int last = (formula - 1) * s;
                            REQUIRE(last + salt::dilated_extent(k, d) <= in + 2 * p);
                            REQUIRE(last + s + salt::dilated_extent(k, d) > in + 2 * p);
                        }
                        ++checked;
                    }
    CHECK(checked == 24 * 7 * 4 * 6 * 4);
}

TEST_CASE("pool_out_extent and pool2d_out_shape equal the brute-force count", "[unit][shape]") {
    for (int in = 1; in <= 30; ++in)
        for (int k = 1; k <= 7; ++k)
            for (int s = 1; s <= 4; ++s)
                for (int p = 0; p <= k / 2; ++p) {
                    INFO("in=" << in << " k=" << k << " s=" << s << " p=" << p);
                    const int brute = brute_positions(in, k, s, p, 1);
                    const int formula = salt::pool_out_extent(in, k, s, p);
                    if (brute == 0)
                        REQUIRE(formula <= 0);
                    else
                        REQUIRE(formula == brute);
                    const Shape o = salt::pool2d_out_shape(Shape{in, in + 1, 3}, salt::Pool2dParams{k, s, p});
                    REQUIRE(o.h == formula);
                    REQUIRE(o.w == salt::pool_out_extent(in + 1, k, s, p));
                    REQUIRE(o.c == 3);
                }
}

TEST_CASE("conv2d_out_shape and conv2d_fits agree with the per-axis rule", "[unit][shape]") {
    for (int h = 1; h <= 12; ++h)
        for (int w = 1; w <= 12; w += 3)
            for (int k : {1, 3, 7})
                for (int s : {1, 2})
                    for (int d : {1, 2, 3})
                        for (int p : {0, 1, d}) {
                            const salt::Conv2dParams cp{2, 5, k, s, p, d, false};
                            const Shape o = salt::conv2d_out_shape(Shape{h, w, 2}, cp);
                            INFO("h=" << h << " w=" << w << " k=" << k << " s=" << s << " p=" << p << " d=" << d);
                            REQUIRE(o.h == salt::conv_out_extent(h, k, s, p, d));
                            REQUIRE(o.w == salt::conv_out_extent(w, k, s, p, d));
                            REQUIRE(o.c == 5);
                            REQUIRE(salt::conv2d_fits(Shape{h, w, 2}, cp) ==
                                    (brute_positions(h, k, s, p, d) > 0 && brute_positions(w, k, s, p, d) > 0));
                            REQUIRE_FALSE(salt::conv2d_fits(Shape{h, w, 3}, cp));
                        }
    CHECK(salt::Conv2dParams{3, 64, 7, 2, 3, 1, false}.weight_count() == 7u * 7u * 3u * 64u);
}

TEST_CASE("floor_div matches floor of the real quotient", "[unit][shape]") {
    for (int a = -50; a <= 50; ++a)
        for (int b = 1; b <= 7; ++b) {
            INFO(a << " / " << b);
            REQUIRE(salt::floor_div(a, b) == int(std::floor(double(a) / double(b))));
        }
}

TEST_CASE("concat shapes", "[unit][shape]") {
    for (int h = 1; h <= 5; ++h)
        for (int w = 1; w <= 5; ++w)
            for (int a = 1; a <= 4; ++a)
                for (int b = 1; b <= 4; ++b) {
                    REQUIRE(salt::concat_compatible(Shape{h, w, a}, Shape{h, w, b}));
                    REQUIRE_FALSE(salt::concat_compatible(Shape{h, w, a}, Shape{h + 1, w, b}));
                    REQUIRE_FALSE(salt::concat_compatible(Shape{h, w, a}, Shape{h, w + 1, b}));
                    const Shape o = salt::concat_out_shape(Shape{h, w, a}, Shape{h, w, b});
                    REQUIRE(o == Shape{h, w, a + b});
                    REQUIRE(o.size() == Shape{h, w, a}.size() + Shape{h, w, b}.size());
                }
}

TEST_CASE("align_up is the smallest multiple of the alignment not below the size", "[unit][shape]") {
    for (std::size_t alignment : {1u, 2u, 8u, 16u, 64u, 4096u})
        for (std::size_t bytes = 0; bytes <= 3 * alignment + 5; ++bytes) {
            const std::size_t a = salt::align_up(bytes, alignment);
            INFO("bytes=" << bytes << " alignment=" << alignment);
            REQUIRE(a % alignment == 0);
            REQUIRE(a >= bytes);
            REQUIRE(a < bytes + alignment);
        }
    for (std::size_t n = 0; n < 100; ++n) {
        REQUIRE(salt::aligned_bytes<float>(n) == salt::align_up(n * 4));
        REQUIRE(salt::aligned_bytes<double>(n) % salt::kAlignment == 0);
    }
}

}  // namespace
