// salt/io/rle.hpp — Kaggle run-length encoding of binary masks (the TGS train.csv format).
//
// Pixels are numbered top to bottom, then left to right (column-major), starting at 1; the string is
// "start length start length ...", separated by single spaces (any run of spaces/tabs is accepted on
// input). An empty string is an empty mask. Masks here are row-major, one byte per pixel, non-zero =
// salt; decode writes 0/1.
//
// rle_decode rejects, with IoError naming the context (file) and line given by the caller:
//   non-numeric token, odd number of values, start or length of 0 (or negative), runs that overlap or are
//   not in increasing order, runs beyond width*height.
// rle_encode(rle_decode(s)) == s for every canonical string (runs separated by gaps, as Kaggle writes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "salt/io/error.hpp"

namespace salt::io {

struct RleContext {
    std::string file;  // where the string came from, for messages ("" when unknown)
    long line = 0;
};

inline std::vector<std::uint8_t> rle_decode(std::string_view rle, int width, int height, const RleContext& ctx = {}) {
    const std::int64_t total = std::int64_t(width) * std::int64_t(height);
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(total), 0);
    auto fail = [&](const std::string& why) -> void { throw IoError(ctx.file, "bad RLE: " + why, ctx.line); };
    std::vector<std::int64_t> values;
    std::size_t i = 0;
    while (i < rle.size()) {
        if (rle[i] == ' ' || rle[i] == '\t') {
            ++i;
            continue;
        }
        const std::size_t start = i;
        std::int64_t v = 0;
        while (i < rle.size() && rle[i] != ' ' && rle[i] != '\t') {
            const char c = rle[i];
            if (c < '0' || c > '9') fail("'" + std::string(rle.substr(start, std::min<std::size_t>(20, rle.find_first_of(" \t", start) - start))) + "' is not a positive integer");
            v = v * 10 + (c - '0');
            if (v > (std::int64_t(1) << 40)) fail("number too large");
            ++i;
        }
        values.push_back(v);
    }
    if (values.size() % 2 != 0) fail("odd number of values (" + std::to_string(values.size()) + "); expected start/length pairs");
    std::int64_t prev_end = 0;  // 1-based index of the last pixel of the previous run
    for (std::size_t k = 0; k < values.size(); k += 2) {
        const std::int64_t s = values[k], n = values[k + 1];
        const std::string which = "run " + std::to_string(k / 2 + 1) + " (" + std::to_string(s) + " " + std::to_string(n) + ")";
        if (s <= 0) fail(which + ": start must be >= 1 (pixels are numbered from 1)");
        if (n <= 0) fail(which + ": length must be >= 1");
        if (s <= prev_end) fail(which + ": overlaps or precedes the previous run (runs must be sorted and disjoint)");
        if (s - 1 + n > total)
            fail(which + ": runs past the last pixel " + std::to_string(total) + " of a " + std::to_string(width) + "x" + std::to_string(height) + " mask");
        for (std::int64_t p = s - 1; p < s - 1 + n; ++p) {
            const std::int64_t x = p / height, y = p % height;
            mask[static_cast<std::size_t>(y * width + x)] = 1;
        }
        prev_end = s - 1 + n;
    }
    return mask;
}

inline std::string rle_encode(const std::uint8_t* mask, int width, int height) {
    std::string out;
    std::int64_t run_start = -1;
    const std::int64_t total = std::int64_t(width) * std::int64_t(height);
    for (std::int64_t p = 0; p <= total; ++p) {
        bool on = false;
        if (p < total) {
            const std::int64_t x = p / height, y = p % height;
            on = mask[y * width + x] != 0;
        }
        if (on && run_start < 0) run_start = p;
        if (!on && run_start >= 0) {
            if (!out.empty()) out += ' ';
            out += std::to_string(run_start + 1);
            out += ' ';
            out += std::to_string(p - run_start);
            run_start = -1;
        }
    }
    return out;
}

inline std::string rle_encode(const std::vector<std::uint8_t>& mask, int width, int height) {
    return rle_encode(mask.data(), width, height);
}

}  // namespace salt::io
