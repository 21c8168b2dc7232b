// salt/io/draw.hpp — small raster drawing for pictures: panels, mask overlays, contours, text, charts.
//
// A canvas is an 8-bit RGB Image8 (3 channels). Text uses salt's own 5x7 bitmap font: digits, letters
// (lower case is drawn as upper case), and . : - + / % ( ) = _ space. Charts (bar_chart, line_chart) are
// what `salt stats` draws and what the trainer can reuse for loss/metric curves.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "salt/io/image.hpp"

namespace salt::io {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
};

inline constexpr Rgb kWhite{255, 255, 255}, kBlack{0, 0, 0}, kRed{230, 40, 40}, kGreen{40, 210, 70}, kYellow{250, 220, 40},
    kCyan{40, 200, 230}, kGray{128, 128, 128}, kDark{24, 24, 28};

inline Image8 make_canvas(int w, int h, Rgb bg = kDark) {
    Image8 c(w, h, 3);
    for (std::size_t i = 0; i < c.size(); i += 3) {
        c.pixels[i] = bg.r;
        c.pixels[i + 1] = bg.g;
        c.pixels[i + 2] = bg.b;
    }
    return c;
}

inline void put_pixel(Image8& c, int x, int y, Rgb col) {
    if (x < 0 || y < 0 || x >= c.width || y >= c.height) return;
    c.at(y, x, 0) = col.r;
    c.at(y, x, 1) = col.g;
    c.at(y, x, 2) = col.b;
}

inline void blend_pixel(Image8& c, int x, int y, Rgb col, float alpha) {
    if (x < 0 || y < 0 || x >= c.width || y >= c.height) return;
    const std::uint8_t v[3] = {col.r, col.g, col.b};
    for (int k = 0; k < 3; ++k) c.at(y, x, k) = static_cast<std::uint8_t>(std::lround(c.at(y, x, k) * (1 - alpha) + v[k] * alpha));
}

inline void fill_rect(Image8& c, int x, int y, int w, int h, Rgb col) {
    for (int j = y; j < y + h; ++j)
        for (int i = x; i < x + w; ++i) put_pixel(c, i, j, col);
}

// A gray (1 channel) or RGB image drawn at (x, y), each pixel as a scale x scale block.
inline void blit(Image8& c, const Image8& img, int x, int y, int scale = 1) {
    for (int j = 0; j < img.height * scale; ++j)
        for (int i = 0; i < img.width * scale; ++i) {
            const int sy = j / scale, sx = i / scale;
            if (img.channels >= 3) put_pixel(c, x + i, y + j, Rgb{img.at(sy, sx, 0), img.at(sy, sx, 1), img.at(sy, sx, 2)});
            else {
                const auto v = img.at(sy, sx, 0);
                put_pixel(c, x + i, y + j, Rgb{v, v, v});
            }
        }
}

// Mask (row-major, non-zero = on, w x h) blended in `col` with opacity alpha.
inline void overlay_mask(Image8& c, const std::vector<std::uint8_t>& mask, int w, int h, int x, int y, Rgb col, float alpha, int scale = 1) {
    for (int j = 0; j < h * scale; ++j)
        for (int i = 0; i < w * scale; ++i)
            if (mask[std::size_t((j / scale) * w + i / scale)]) blend_pixel(c, x + i, y + j, col, alpha);
}

// Boundary of a mask: on-pixels with an off 4-neighbour (the image border does not count as off).
inline void draw_contour(Image8& c, const std::vector<std::uint8_t>& mask, int w, int h, int x, int y, Rgb col, int scale = 1) {
    auto on = [&](int i, int j) { return i >= 0 && j >= 0 && i < w && j < h ? mask[std::size_t(j * w + i)] != 0 : true; };
    for (int j = 0; j < h; ++j)
        for (int i = 0; i < w; ++i)
            if (on(i, j) && (!on(i - 1, j) || !on(i + 1, j) || !on(i, j - 1) || !on(i, j + 1)))
                fill_rect(c, x + i * scale, y + j * scale, scale, scale, col);
}

inline void draw_line(Image8& c, int x0, int y0, int x1, int y1, Rgb col) {
    const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        put_pixel(c, x0, y0, col);
        if (x0 == x1 && y0 == y1) break;
        const int e2 = 2 * err;
        if (e2 >= dy) err += dy, x0 += sx;
        if (e2 <= dx) err += dx, y0 += sy;
    }
}

namespace detail {

// 5x7 glyphs, one byte per row, bit 4 = leftmost column.
struct Glyph {
    char ch;
    std::array<std::uint8_t, 7> rows;
};

inline constexpr Glyph kFont[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}}, {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}}, {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}}, {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}}, {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}}, {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}}, {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}}, {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}}, {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}}, {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}}, {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}}, {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}}, {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}}, {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}}, {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}}, {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}}, {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}}, {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}},
    {'/', {0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10}}, {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}}, {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}}, {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F}},
    {' ', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
};

inline const Glyph* find_glyph(char ch) {
    if (ch >= 'a' && ch <= 'z') ch = char(ch - 'a' + 'A');
    for (const auto& g : kFont)
        if (g.ch == ch) return &g;
    return nullptr;
}

}  // namespace detail

inline constexpr int kGlyphW = 5, kGlyphH = 7, kGlyphAdvance = 6;

inline int text_width(std::string_view s, int scale = 1) { return int(s.size()) * kGlyphAdvance * scale; }

// Text with its top-left corner at (x, y). Unknown characters draw as a hollow box.
inline void draw_text(Image8& c, int x, int y, std::string_view s, Rgb col, int scale = 1) {
    for (char ch : s) {
        const auto* g = detail::find_glyph(ch);
        for (int r = 0; r < kGlyphH; ++r)
            for (int b = 0; b < kGlyphW; ++b) {
                const bool on = g ? ((g->rows[std::size_t(r)] >> (4 - b)) & 1) : (r == 0 || r == 6 || b == 0 || b == 4);
                if (on) fill_rect(c, x + b * scale, y + r * scale, scale, scale, col);
            }
        x += kGlyphAdvance * scale;
    }
}

// Text on a filled box (readable over an image).
inline void draw_label(Image8& c, int x, int y, std::string_view s, Rgb fg = kWhite, Rgb bg = kBlack, int scale = 1) {
    fill_rect(c, x, y, text_width(s, scale) + scale, (kGlyphH + 2) * scale, bg);
    draw_text(c, x + scale, y + scale, s, fg, scale);
}

inline std::string format_fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// A bar chart of `values` with a title and the first/last labels under the axis.
inline Image8 bar_chart(const std::vector<double>& values, std::string_view title, std::string_view left_label = "",
                        std::string_view right_label = "", int w = 360, int h = 200, Rgb bar = kCyan) {
    Image8 c = make_canvas(w, h);
    draw_text(c, 6, 6, title, kWhite);
    const int x0 = 36, y0 = 22, x1 = w - 8, y1 = h - 20;
    draw_line(c, x0, y1, x1, y1, kGray);
    draw_line(c, x0, y0, x0, y1, kGray);
    const double vmax = values.empty() ? 1.0 : std::max(1e-12, *std::max_element(values.begin(), values.end()));
    draw_text(c, 2, y0, format_fixed(vmax, vmax >= 100 ? 0 : 2), kGray);
    const int n = int(values.size());
    for (int i = 0; i < n; ++i) {
        const int bx0 = x0 + 1 + (x1 - x0 - 1) * i / std::max(1, n), bx1 = x0 + 1 + (x1 - x0 - 1) * (i + 1) / std::max(1, n) - 1;
        const int bh = int(std::lround((y1 - y0) * values[std::size_t(i)] / vmax));
        fill_rect(c, bx0, y1 - bh, std::max(1, bx1 - bx0), bh, bar);
    }
    draw_text(c, x0, y1 + 5, left_label, kGray);
    draw_text(c, x1 - text_width(right_label), y1 + 5, right_label, kGray);
    return c;
}

struct Series {
    std::string name;
    std::vector<double> y;  // x = index
    Rgb colour = kCyan;
};

// Line chart of several series over a common index axis (e.g. loss and IoU per epoch).
inline Image8 line_chart(const std::vector<Series>& series, std::string_view title, int w = 420, int h = 240) {
    Image8 c = make_canvas(w, h);
    draw_text(c, 6, 6, title, kWhite);
    const int x0 = 44, y0 = 22, x1 = w - 8, y1 = h - 20;
    draw_line(c, x0, y1, x1, y1, kGray);
    draw_line(c, x0, y0, x0, y1, kGray);
    double lo = 1e300, hi = -1e300;
    std::size_t n = 0;
    for (const auto& s : series)
        for (double v : s.y)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v), n = std::max(n, s.y.size());
    if (n == 0) return c;
    if (hi - lo < 1e-12) hi = lo + 1;
    draw_text(c, 2, y0, format_fixed(hi, 3), kGray);
    draw_text(c, 2, y1 - kGlyphH, format_fixed(lo, 3), kGray);
    int legend_x = x0 + 6;
    for (const auto& s : series) {
        int px = -1, py = -1;
        for (std::size_t i = 0; i < s.y.size(); ++i) {
            if (!std::isfinite(s.y[i])) continue;
            const int x = x0 + int(std::lround(double(x1 - x0) * double(i) / double(std::max<std::size_t>(1, n - 1))));
            const int y = y1 - int(std::lround(double(y1 - y0) * (s.y[i] - lo) / (hi - lo)));
            if (px >= 0) draw_line(c, px, py, x, y, s.colour);
            else put_pixel(c, x, y, s.colour);
            px = x, py = y;
        }
        draw_text(c, legend_x, y1 + 5, s.name, s.colour);
        legend_x += text_width(s.name) + 12;
    }
    return c;
}

// Stack images vertically (widths may differ; narrower ones are left-aligned).
inline Image8 stack_vertical(const std::vector<Image8>& parts, Rgb bg = kDark) {
    int w = 0, h = 0;
    for (const auto& p : parts) w = std::max(w, p.width), h += p.height;
    Image8 c = make_canvas(std::max(w, 1), std::max(h, 1), bg);
    int y = 0;
    for (const auto& p : parts) {
        blit(c, p, 0, y);
        y += p.height;
    }
    return c;
}

}  // namespace salt::io
