// salt/data/preprocess.hpp — how an image becomes a model input, and how a prediction at the model's
// size maps back onto the image: what training, `salt eval`, `salt predict` and a user's own program
// share. The preprocessing (size, fit, normalisation, depth channel) is written into a weights
// file's metadata by the trainer and read back from it here, so a prediction always sees its input
// prepared exactly as in training.
//
// A model is trained on size x size inputs made from the data set's images by centred reflect-101
// padding (Fit::pad: 101 -> 128 puts the image at rows and columns 13..113), or by an OpenCV-exact
// bilinear resize when the image is larger than the model (Fit::resize).
#pragma once

#include <algorithm>
#include <cstdio>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/core/op_params.hpp"
#include "salt/data/batch.hpp"
#include "salt/data/resize.hpp"
#include "salt/io/image.hpp"
#include "salt/io/number.hpp"

namespace salt::data {

struct Preprocess {
    int size = 128;                         // model input height and width
    Fit fit = Fit::pad;                     // how an image of another size is brought to `size`
    bool depth_channel = false;             // a second input plane holding the normalised depth
    Normalisation norm{};                   // of [0, 1] pixel values and of depth
    double amplitude_clip_percentile = -1;  // how the training images were made from seismic amplitudes
                                            // (TgsDataset::amplitude_clip_percentile); < 0: not recorded

    std::map<std::string, std::string> metadata() const {
        auto f = [](double v) {
            char b[64];
            std::snprintf(b, sizeof b, "%.9g", v);
            return std::string(b);
        };
        std::map<std::string, std::string> m = {{"salt.pre.size", std::to_string(size)},
                                                {"salt.pre.fit", fit == Fit::pad ? "pad" : "resize"},
                                                {"salt.pre.depth_channel", depth_channel ? "1" : "0"},
                                                {"salt.pre.mean", f(norm.mean)},
                                                {"salt.pre.std", f(norm.std)},
                                                {"salt.pre.depth_mean", f(norm.depth_mean)},
                                                {"salt.pre.depth_std", f(norm.depth_std)}};
        if (amplitude_clip_percentile >= 0) m["salt.pre.amplitude_clip_percentile"] = f(amplitude_clip_percentile);
        return m;
    }

    // From weights metadata; `source` names the file in errors.
    static Preprocess from_metadata(const std::map<std::string, std::string>& m, const std::string& source) {
        auto get = [&](const char* k) -> const std::string& {
            const auto it = m.find(k);
            if (it == m.end())
                throw std::invalid_argument(source + ": the weights carry no '" + k +
                                            "' metadata (not written by salt train; the preprocessing is unknown)");
            return it->second;
        };
        // Each value whole and locale-independent; a bad one is named with its key and file.
        auto real = [&](const char* k) {
            const auto x = io::to_real(get(k));
            if (!x) throw std::invalid_argument(source + ": metadata '" + k + "' must be a number, got '" + get(k) + "'");
            return float(*x);
        };
        auto one_of = [&](const char* k, const char* a, const char* b) {
            const std::string& v = get(k);
            if (v != a && v != b)
                throw std::invalid_argument(source + ": metadata '" + k + "' must be " + a + " or " + b + ", got '" + v + "'");
            return v == a;
        };
        Preprocess p;
        const auto size = io::to_integer(get("salt.pre.size"));
        if (!size || *size < 1 || *size > 4096)
            throw std::invalid_argument(source + ": metadata 'salt.pre.size' must be an input size in [1, 4096], got '" +
                                        get("salt.pre.size") + "'");
        p.size = int(*size);
        p.fit = one_of("salt.pre.fit", "resize", "pad") ? Fit::resize : Fit::pad;
        p.depth_channel = one_of("salt.pre.depth_channel", "1", "0");
        p.norm.mean = real("salt.pre.mean");
        p.norm.std = real("salt.pre.std");
        p.norm.depth_mean = real("salt.pre.depth_mean");
        p.norm.depth_std = real("salt.pre.depth_std");
        if (!(p.norm.std > 0)) throw std::invalid_argument(source + ": metadata 'salt.pre.std' must be > 0, got '" + get("salt.pre.std") + "'");
        if (m.count("salt.pre.amplitude_clip_percentile")) {  // optional: only data made from amplitudes has it
            p.amplitude_clip_percentile = real("salt.pre.amplitude_clip_percentile");
            if (!(p.amplitude_clip_percentile >= 0 && p.amplitude_clip_percentile < 50))
                throw std::invalid_argument(source + ": metadata 'salt.pre.amplitude_clip_percentile' must be in [0, 50), got '" +
                                            get("salt.pre.amplitude_clip_percentile") + "'");
        }
        return p;
    }

    // Whether an image of w x h is padded into the input (else resized).
    bool pads(int w, int h) const { return fit == Fit::pad && w <= size && h <= size; }
    // Where the image lies in the model's size x size output: its own pixels when padded, the whole
    // map when resized (mapped back by a resize afterwards).
    Region image_region(int w, int h) const {
        if (!pads(w, h)) return Region{0, 0, size, size};
        const Padding p = centred_padding(w, h, size, size);
        return Region{p.top, p.left, h, w};
    }
};

// One image (w x h, values 0..255) as a model input plane (size x size x channels, NHWC, one sample).
// `mirrored`: the image is flipped left to right *before* it is padded or resized, exactly as the
// training augmentation flips it, so a test-time flip shows the network what it was trained on.
inline void prepare_input(const io::Image8& image, float depth, const Preprocess& pre, std::span<float> out,
                          bool mirrored = false) {
    const int S = pre.size, C = pre.depth_channel ? 2 : 1;
    if (out.size() != std::size_t(S) * S * C) throw std::invalid_argument("prepare_input: output has the wrong size");
    io::ImageF img(image.width, image.height, 1);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const int sx = mirrored ? image.width - 1 - x : x;
            img.pixels[std::size_t(y) * image.width + x] =
                float(image.pixels[(std::size_t(y) * image.width + sx) * std::size_t(image.channels)]) / 255.0f;
        }
    if (image.width != S || image.height != S) {
        if (pre.pads(image.width, image.height))
            img = pad(img, centred_padding(image.width, image.height, S, S), Border::reflect101);
        else
            img = cv_resize_linear(img, S, S);
    }
    const float z = pre.depth_channel ? (depth - pre.norm.depth_mean) / pre.norm.depth_std : 0.f;
    for (std::size_t p = 0; p < std::size_t(S) * S; ++p) {
        out[p * std::size_t(C)] = (img.pixels[p] - pre.norm.mean) / pre.norm.std;
        if (C == 2) out[p * 2 + 1] = z;
    }
}

// A map over the image region (image_region(w, h): the image's own pixels when padded, the model's
// whole map when resized) back to an image of w x h: as it is, or by a bilinear resize.
inline std::vector<float> map_back_region(std::span<const float> region_map, const Preprocess& pre, int w, int h) {
    if (pre.pads(w, h)) return {region_map.begin(), region_map.end()};
    io::ImageF m(pre.size, pre.size, 1);
    std::copy(region_map.begin(), region_map.end(), m.pixels.begin());
    return std::move(cv_resize_linear(m, w, h).pixels);
}

// Logits at the model's size back to an image of w x h: the exact inverse crop of the padding, or a
// bilinear resize when the image was resized.
inline std::vector<float> map_back(std::span<const float> logits, const Preprocess& pre, int w, int h) {
    const int S = pre.size;
    if (w == S && h == S) return {logits.begin(), logits.end()};
    io::ImageF m(S, S, 1);
    std::copy(logits.begin(), logits.end(), m.pixels.begin());
    io::ImageF r = pre.pads(w, h) ? unpad(m, centred_padding(w, h, S, S)) : cv_resize_linear(m, w, h);
    return std::move(r.pixels);
}

}  // namespace salt::data
