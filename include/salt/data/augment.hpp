// salt/data/augment.hpp — training-time augmentation applied identically to an image and its mask.
//
// augment(image, mask, options, rng) draws, in this order and always the same number of random values (seven)
// (so a sample's augmentation depends only on the generator state, not on which options are on):
//   1. horizontal flip with probability hflip_p (image and mask);
//   2. shift-scale with probability shift_scale_p: scale s in [1 - max_scale, 1 + max_scale], shift
//      (tx, ty) in [-max_shift, max_shift] * size, about the image centre. Output pixel p samples the
//      source at (p - c - t) / s + c. The image is sampled bilinearly, the mask with nearest neighbour
//      (round to the closest pixel), both with reflect-101 borders, so the mask stays exactly binary and
//      the two stay aligned;
//   3. brightness/contrast (image only): v' = (v - 0.5) * (1 + c) + 0.5 + b with c in [-contrast,
//      contrast] and b in [-brightness, brightness], on [0, 1] values, clamped to [0, 1].
// The image is float in [0, 1] (before normalisation), any channel count; the mask is 0/1 bytes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "salt/core/rng.hpp"
#include "salt/data/resize.hpp"
#include "salt/io/image.hpp"

namespace salt::data {

struct AugmentOptions {
    double hflip_p = 0.5;
    double shift_scale_p = 0.5;
    double max_shift = 0.0625;  // fraction of the image size
    double max_scale = 0.1;
    double brightness = 0.1;    // additive, in [0, 1] units
    double contrast = 0.1;      // relative
};

struct AugmentDraw {
    bool flip = false;
    bool shift_scale = false;
    double scale = 1.0, tx = 0.0, ty = 0.0;
    double brightness = 0.0, contrast = 0.0;
};

// The random choices for one sample: always seven draws from rng.
inline AugmentDraw draw_augment(const AugmentOptions& o, int width, int height, Rng& rng) {
    AugmentDraw d;
    const double u_flip = rng.uniform(), u_ss = rng.uniform(), u_scale = rng.uniform(), u_tx = rng.uniform(),
                 u_ty = rng.uniform(), u_b = rng.uniform(), u_c = rng.uniform();
    d.flip = u_flip < o.hflip_p;
    d.shift_scale = u_ss < o.shift_scale_p;
    if (d.shift_scale) {
        d.scale = 1.0 + (2 * u_scale - 1) * o.max_scale;
        d.tx = std::round((2 * u_tx - 1) * o.max_shift * width * 4) / 4;  // quarter-pixel steps
        d.ty = std::round((2 * u_ty - 1) * o.max_shift * height * 4) / 4;
    }
    d.brightness = (2 * u_b - 1) * o.brightness;
    d.contrast = (2 * u_c - 1) * o.contrast;
    return d;
}

inline void apply_augment(io::ImageF& image, std::vector<std::uint8_t>& mask, const AugmentDraw& d) {
    const int w = image.width, h = image.height, c = image.channels;
    if (mask.size() != std::size_t(w) * std::size_t(h)) throw std::invalid_argument("augment: the mask size differs from the image size");
    if (d.flip) {
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w / 2; ++x) {
                for (int k = 0; k < c; ++k) std::swap(image.at(y, x, k), image.at(y, w - 1 - x, k));
                std::swap(mask[std::size_t(y * w + x)], mask[std::size_t(y * w + (w - 1 - x))]);
            }
    }
    if (d.shift_scale && (d.scale != 1.0 || d.tx != 0.0 || d.ty != 0.0)) {
        io::ImageF out(w, h, c);
        std::vector<std::uint8_t> mout(mask.size());
        const double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
        for (int y = 0; y < h; ++y) {
            const double sy = (y - cy - d.ty) / d.scale + cy;
            const int y0 = int(std::floor(sy));
            const double fy = sy - y0;
            const int ya = border_index(y0, h, Border::reflect101), yb = border_index(y0 + 1, h, Border::reflect101);
            const int yn = border_index(int(std::floor(sy + 0.5)), h, Border::reflect101);
            for (int x = 0; x < w; ++x) {
                const double sx = (x - cx - d.tx) / d.scale + cx;
                const int x0 = int(std::floor(sx));
                const double fx = sx - x0;
                const int xa = border_index(x0, w, Border::reflect101), xb = border_index(x0 + 1, w, Border::reflect101);
                const int xn = border_index(int(std::floor(sx + 0.5)), w, Border::reflect101);
                for (int k = 0; k < c; ++k) {
                    const double top = image.at(ya, xa, k) * (1 - fx) + image.at(ya, xb, k) * fx;
                    const double bot = image.at(yb, xa, k) * (1 - fx) + image.at(yb, xb, k) * fx;
                    out.at(y, x, k) = float(top * (1 - fy) + bot * fy);
                }
                mout[std::size_t(y * w + x)] = mask[std::size_t(yn * w + xn)];
            }
        }
        image = std::move(out);
        mask = std::move(mout);
    }
    if (d.brightness != 0.0 || d.contrast != 0.0) {
        const float g = float(1.0 + d.contrast), b = float(d.brightness);
        for (auto& v : image.pixels) v = std::clamp((v - 0.5f) * g + 0.5f + b, 0.0f, 1.0f);
    }
}

inline void augment(io::ImageF& image, std::vector<std::uint8_t>& mask, const AugmentOptions& o, Rng& rng) {
    apply_augment(image, mask, draw_augment(o, image.width, image.height, rng));
}

}  // namespace salt::data
