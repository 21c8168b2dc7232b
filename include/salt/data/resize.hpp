// salt/data/resize.hpp — resizing, padding and cropping that match OpenCV bit for bit.
//
// cv_resize_linear(Image8)  == cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR) exactly (tested on
//     1- and 3-channel images, up- and down-scaling, against fixtures written by OpenCV 4.6). Half-pixel
//     centres: src = (dst + 0.5) * scale - 0.5 with scale = 1 / (dst_size / src_size) in double, then
//     rounded to float. Horizontally the source index is clamped to the image (weight 0 beyond it);
//     vertically OpenCV keeps the unclamped weight and clamps the two source rows. Weights are
//     round(w * 2048) (11 fractional bits); the horizontal pass sums S0*a0 + S1*a1 in int, the vertical
//     pass reproduces OpenCV's SIMD arithmetic: ((((H0 >> 4) * b0) >> 16) + (((H1 >> 4) * b1) >> 16) + 2) >> 2.
// cv_resize_linear(ImageF)  == the same geometry in float (S0*a0 + S1*a1, no fused multiply-add); agrees
//     with OpenCV to float rounding (tested to 1e-5).
// cv_resize_nearest(Image)  == cv2.INTER_NEAREST: src = min(floor(dst * scale), size - 1). Use it for masks.
// pad(img, Padding, Border) == cv2.copyMakeBorder with BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba, the
//     default, Border::reflect101), BORDER_REFLECT (fedcba|abcdefgh|hgfedcb, Border::reflect) or
//     BORDER_CONSTANT 0 (Border::zero). centred_padding(101, 128) = {13 top/left, 14 bottom/right};
//     unpad() with the same Padding is the exact inverse crop.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/io/image.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#define SALT_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define SALT_NO_FP_CONTRACT
#endif

namespace salt::data {

using io::Image;
using io::Image8;
using io::ImageF;

namespace detail {

struct CvLinearTap {
    int i0 = 0;   // first source index (already clamped to [0, n-1])
    int i1 = 0;   // second source index (clamped)
    float w0 = 1.f, w1 = 0.f;
    short a0 = 2048, a1 = 0;  // fixed-point weights, 11 fractional bits
};

inline short fixed_weight(float w) { return static_cast<short>(std::clamp(std::lrint(w * 2048.0f), -32768L, 32767L)); }

// OpenCV's coordinate computation; `clamp_weights` is true for x (weight forced to 0 at the borders),
// false for y (the rows are clamped, the weights are not).
SALT_NO_FP_CONTRACT inline std::vector<CvLinearTap> linear_taps(int src, int dst, bool clamp_weights) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    std::vector<CvLinearTap> taps(static_cast<std::size_t>(dst));
    const double scale = 1.0 / (double(dst) / double(src));
    for (int d = 0; d < dst; ++d) {
        volatile double pos = (d + 0.5) * scale;  // volatile: no fused multiply-add, as in OpenCV
        float f = static_cast<float>(pos - 0.5);
        int s = static_cast<int>(std::floor(f));
        f -= static_cast<float>(s);
        if (clamp_weights) {
            if (s < 0) s = 0, f = 0.f;
            if (s >= src - 1) s = src - 1, f = 0.f;
        }
        CvLinearTap& t = taps[std::size_t(d)];
        t.i0 = std::clamp(s, 0, src - 1);
        t.i1 = std::clamp(s + 1, 0, src - 1);
        t.w0 = 1.f - f;
        t.w1 = f;
        t.a0 = fixed_weight(t.w0);
        t.a1 = fixed_weight(t.w1);
    }
    return taps;
}

inline void check_resize_args(int in_w, int in_h, int out_w, int out_h) {
    if (in_w <= 0 || in_h <= 0) throw std::invalid_argument("resize: the input image is empty");
    if (out_w <= 0 || out_h <= 0)
        throw std::invalid_argument("resize: the output size must be positive, got " + std::to_string(out_w) + "x" + std::to_string(out_h));
}

}  // namespace detail

inline Image8 cv_resize_linear(const Image8& src, int out_w, int out_h) {
    detail::check_resize_args(src.width, src.height, out_w, out_h);
    const int c = src.channels;
    const auto xt = detail::linear_taps(src.width, out_w, true);
    const auto yt = detail::linear_taps(src.height, out_h, false);
    // Horizontal pass on every source row: int, scaled by 2048.
    std::vector<int> hor(std::size_t(src.height) * std::size_t(out_w) * std::size_t(c));
    for (int y = 0; y < src.height; ++y) {
        const std::uint8_t* s = src.data() + std::size_t(y) * std::size_t(src.width) * std::size_t(c);
        int* h = hor.data() + std::size_t(y) * std::size_t(out_w) * std::size_t(c);
        for (int x = 0; x < out_w; ++x) {
            const auto& t = xt[std::size_t(x)];
            for (int k = 0; k < c; ++k)
                h[x * c + k] = int(s[t.i0 * c + k]) * t.a0 + int(s[t.i1 * c + k]) * t.a1;
        }
    }
    Image8 out(out_w, out_h, c);
    const std::size_t row = std::size_t(out_w) * std::size_t(c);
    for (int y = 0; y < out_h; ++y) {
        const auto& t = yt[std::size_t(y)];
        const int* h0 = hor.data() + std::size_t(t.i0) * row;
        const int* h1 = hor.data() + std::size_t(t.i1) * row;
        std::uint8_t* o = out.data() + std::size_t(y) * row;
        for (std::size_t i = 0; i < row; ++i) {
            // int16 lanes: (v >> 4) fits in 16 bits for 8-bit input; mul_hi keeps the top 16 bits.
            const int p0 = ((h0[i] >> 4) * t.a0) >> 16;
            const int p1 = ((h1[i] >> 4) * t.a1) >> 16;
            o[i] = static_cast<std::uint8_t>(std::clamp((p0 + p1 + 2) >> 2, 0, 255));
        }
    }
    return out;
}

SALT_NO_FP_CONTRACT inline ImageF cv_resize_linear(const ImageF& src, int out_w, int out_h) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    detail::check_resize_args(src.width, src.height, out_w, out_h);
    const int c = src.channels;
    const auto xt = detail::linear_taps(src.width, out_w, true);
    const auto yt = detail::linear_taps(src.height, out_h, false);
    std::vector<float> hor(std::size_t(src.height) * std::size_t(out_w) * std::size_t(c));
    for (int y = 0; y < src.height; ++y) {
        const float* s = src.data() + std::size_t(y) * std::size_t(src.width) * std::size_t(c);
        float* h = hor.data() + std::size_t(y) * std::size_t(out_w) * std::size_t(c);
        for (int x = 0; x < out_w; ++x) {
            const auto& t = xt[std::size_t(x)];
            for (int k = 0; k < c; ++k) {
                const float a = s[t.i0 * c + k] * t.w0;
                const float b = s[t.i1 * c + k] * t.w1;
                h[x * c + k] = a + b;
            }
        }
    }
    ImageF out(out_w, out_h, c);
    const std::size_t row = std::size_t(out_w) * std::size_t(c);
    for (int y = 0; y < out_h; ++y) {
        const auto& t = yt[std::size_t(y)];
        const float* h0 = hor.data() + std::size_t(t.i0) * row;
        const float* h1 = hor.data() + std::size_t(t.i1) * row;
        float* o = out.data() + std::size_t(y) * row;
        for (std::size_t i = 0; i < row; ++i) {
            const float a = h0[i] * t.w0;
            const float b = h1[i] * t.w1;
            o[i] = a + b;
        }
    }
    return out;
}

template <class T>
Image<T> cv_resize_nearest(const Image<T>& src, int out_w, int out_h) {
    detail::check_resize_args(src.width, src.height, out_w, out_h);
    const int c = src.channels;
    const double sx = 1.0 / (double(out_w) / double(src.width));
    const double sy = 1.0 / (double(out_h) / double(src.height));
    std::vector<int> xs(static_cast<std::size_t>(out_w));
    for (int x = 0; x < out_w; ++x) xs[std::size_t(x)] = std::min(int(std::floor(x * sx)), src.width - 1);
    Image<T> out(out_w, out_h, c);
    for (int y = 0; y < out_h; ++y) {
        const int yy = std::min(int(std::floor(y * sy)), src.height - 1);
        for (int x = 0; x < out_w; ++x)
            for (int k = 0; k < c; ++k) out.at(y, x, k) = src.at(yy, xs[std::size_t(x)], k);
    }
    return out;
}

// ---- Padding and cropping ----

enum class Border { reflect101, reflect, zero };

struct Padding {
    int top = 0, bottom = 0, left = 0, right = 0;
    bool operator==(const Padding&) const = default;
};

// Centre an in_w x in_h image in out_w x out_h: the odd pixel goes to the bottom/right.
inline Padding centred_padding(int in_w, int in_h, int out_w, int out_h) {
    if (out_w < in_w || out_h < in_h) throw std::invalid_argument("centred_padding: the target is smaller than the image");
    return Padding{(out_h - in_h) / 2, out_h - in_h - (out_h - in_h) / 2, (out_w - in_w) / 2, out_w - in_w - (out_w - in_w) / 2};
}
inline Padding centred_padding(int in, int out) { return centred_padding(in, in, out, out); }

// Source index for position i (possibly outside [0, n)) under a reflecting border; -1 for Border::zero.
inline int border_index(int i, int n, Border b) {
    if (i >= 0 && i < n) return i;
    if (b == Border::zero) return -1;
    if (n == 1) return 0;
    if (b == Border::reflect101) {
        const int period = 2 * (n - 1);
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - i;
    }
    const int period = 2 * n;
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - 1 - i;
}

template <class T>
Image<T> pad(const Image<T>& src, Padding p, Border border = Border::reflect101) {
    if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) throw std::invalid_argument("pad: negative padding");
    const int w = src.width + p.left + p.right, h = src.height + p.top + p.bottom;
    Image<T> out(w, h, src.channels);
    for (int y = 0; y < h; ++y) {
        const int sy = border_index(y - p.top, src.height, border);
        for (int x = 0; x < w; ++x) {
            const int sx = border_index(x - p.left, src.width, border);
            if (sy < 0 || sx < 0) continue;  // zero border: already 0
            for (int k = 0; k < src.channels; ++k) out.at(y, x, k) = src.at(sy, sx, k);
        }
    }
    return out;
}

template <class T>
Image<T> crop(const Image<T>& src, int x0, int y0, int w, int h) {
    if (x0 < 0 || y0 < 0 || w <= 0 || h <= 0 || x0 + w > src.width || y0 + h > src.height)
        throw std::invalid_argument("crop: the rectangle is outside the image");
    Image<T> out(w, h, src.channels);
    for (int y = 0; y < h; ++y)
        std::copy_n(&src.at(y0 + y, x0, 0), std::size_t(w) * std::size_t(src.channels), &out.at(y, 0, 0));
    return out;
}

// Inverse of pad(src, p, any border): crop the original back out.
template <class T>
Image<T> unpad(const Image<T>& padded, Padding p) {
    return crop(padded, p.left, p.top, padded.width - p.left - p.right, padded.height - p.top - p.bottom);
}

}  // namespace salt::data
