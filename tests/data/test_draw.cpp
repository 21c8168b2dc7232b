// Drawing: text renders, overlays blend, contours trace, charts have the requested size.
#include <catch2/catch.hpp>

#include "salt/io/draw.hpp"

using namespace salt::io;

TEST_CASE("drawing primitives", "[draw]") {
    auto c = make_canvas(60, 20, kBlack);
    draw_text(c, 0, 0, "IOU 0.87:", kWhite);
    int lit = 0;
    for (std::size_t i = 0; i < c.size(); i += 3) lit += c.pixels[i] == 255;
    CHECK(lit > 40);
    for (char ch : std::string("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.:")) CHECK(detail::find_glyph(ch) != nullptr);
    CHECK(text_width("abc") == 18);

    std::vector<std::uint8_t> m(25, 0);
    for (int y = 1; y < 4; ++y)
        for (int x = 1; x < 4; ++x) m[std::size_t(y * 5 + x)] = 1;
    auto d = make_canvas(5, 5, kBlack);
    draw_contour(d, m, 5, 5, 0, 0, kRed);
    CHECK(d.at(1, 1, 0) == kRed.r);
    CHECK(d.at(2, 2, 0) == 0);  // interior stays
    auto o = make_canvas(5, 5, kBlack);
    overlay_mask(o, m, 5, 5, 0, 0, kRed, 0.5f);
    CHECK(o.at(2, 2, 0) == 115);
    CHECK(o.at(0, 0, 0) == 0);

    const auto bars = bar_chart({1, 2, 3}, "T", "0", "2", 200, 100);
    CHECK(bars.width == 200);
    CHECK(bars.height == 100);
    const auto lines = line_chart({{"LOSS", {1, 0.5, 0.2}, kCyan}, {"IOU", {0.1, 0.5, 0.7}, kGreen}}, "CURVES");
    CHECK(lines.channels == 3);
    CHECK(stack_vertical({bars, lines}).height == 100 + lines.height);
}
