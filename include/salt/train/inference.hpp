// salt/train/inference.hpp — running a trained model on images the way it was trained, and mapping
// its predictions back exactly: what the trainer's validation, `salt eval` and `salt predict` share.
//
// A model is trained on `size` x `size` inputs made from the data set's images by centred
// reflect-101 padding (or a bilinear resize); the preprocessing — size, fit, normalisation, depth
// channel — is written into the weights file's metadata, and read back from it here, so a prediction
// always sees its input prepared exactly as in training.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/data/batch.hpp"
#include "salt/data/resize.hpp"
#include "salt/io/image.hpp"
#include "salt/nn/context.hpp"

namespace salt::train {

// How images become model inputs; saved with the weights.
struct Preprocess {
    int size = 128;                         // model input height and width
    data::Fit fit = data::Fit::pad;         // how an image of another size is brought to `size`
    bool depth_channel = false;             // a second input plane holding the normalised depth
    data::Normalisation norm{};             // of [0, 1] pixel values and of depth

    std::map<std::string, std::string> metadata() const {
        auto f = [](double v) {
            char b[64];
            std::snprintf(b, sizeof b, "%.9g", v);
            return std::string(b);
        };
        return {{"salt.pre.size", std::to_string(size)},
                {"salt.pre.fit", fit == data::Fit::pad ? "pad" : "resize"},
                {"salt.pre.depth_channel", depth_channel ? "1" : "0"},
                {"salt.pre.mean", f(norm.mean)},
                {"salt.pre.std", f(norm.std)},
                {"salt.pre.depth_mean", f(norm.depth_mean)},
                {"salt.pre.depth_std", f(norm.depth_std)}};
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
        Preprocess p;
        try {
            p.size = std::stoi(get("salt.pre.size"));
            p.fit = get("salt.pre.fit") == "resize" ? data::Fit::resize : data::Fit::pad;
            p.depth_channel = get("salt.pre.depth_channel") == "1";
            p.norm.mean = std::stof(get("salt.pre.mean"));
            p.norm.std = std::stof(get("salt.pre.std"));
            p.norm.depth_mean = std::stof(get("salt.pre.depth_mean"));
            p.norm.depth_std = std::stof(get("salt.pre.depth_std"));
        } catch (const std::logic_error& e) {
            if (dynamic_cast<const std::invalid_argument*>(&e) && std::string(e.what()).find(source) == 0) throw;
            throw std::invalid_argument(source + ": malformed preprocessing metadata (" + e.what() + ")");
        }
        if (p.size < 1 || !(p.norm.std > 0)) throw std::invalid_argument(source + ": malformed preprocessing metadata");
        return p;
    }
};

// One image (w x h, values 0..255) as a model input plane (size x size x channels, NHWC, one sample).
inline void prepare_input(const io::Image8& image, float depth, const Preprocess& pre, std::span<float> out) {
    const int S = pre.size, C = pre.depth_channel ? 2 : 1;
    if (out.size() != std::size_t(S) * S * C) throw std::invalid_argument("prepare_input: output has the wrong size");
    io::ImageF img(image.width, image.height, 1);
    for (std::size_t i = 0; i < img.size(); ++i) img.pixels[i] = float(image.pixels[i * std::size_t(image.channels)]) / 255.0f;
    if (image.width != S || image.height != S) {
        if (pre.fit == data::Fit::pad && image.width <= S && image.height <= S)
            img = data::pad(img, data::centred_padding(image.width, image.height, S, S), data::Border::reflect101);
        else
            img = data::resize_linear(img, S, S);
    }
    const float z = pre.depth_channel ? (depth - pre.norm.depth_mean) / pre.norm.depth_std : 0.f;
    for (std::size_t p = 0; p < std::size_t(S) * S; ++p) {
        out[p * std::size_t(C)] = (img.pixels[p] - pre.norm.mean) / pre.norm.std;
        if (C == 2) out[p * 2 + 1] = z;
    }
}

// Logits at the model's size back to an image of w x h: the exact inverse crop of the padding, or a
// bilinear resize when the image was resized.
inline std::vector<float> map_back(std::span<const float> logits, const Preprocess& pre, int w, int h) {
    const int S = pre.size;
    if (w == S && h == S) return {logits.begin(), logits.end()};
    io::ImageF m(S, S, 1);
    std::copy(logits.begin(), logits.end(), m.pixels.begin());
    io::ImageF r = (pre.fit == data::Fit::pad && w <= S && h <= S)
                       ? data::unpad(m, data::centred_padding(w, h, S, S))
                       : data::resize_linear(m, w, h);
    return std::move(r.pixels);
}

// Eval-mode logits for a batch of prepared inputs (NHWC, n samples), optionally averaged with the
// horizontally flipped input's (flipped back): test-time augmentation.
template <class Model, class B>
void predict_logits(Model& model, Workspace<typename B::memory>& ws, const float* inputs, int n, bool tta,
                    float* logits) {
    constexpr Shape In = Model::in_shape, Out = Model::out_shape;
    static_assert(Out.c == 1, "predict_logits: one output class");
    Rng rng(0);
    nn::Context<B> ctx{ws, nn::Mode::eval, &rng};
    ws.reset();
    auto y = model.forward(TensorView<const float, In>(inputs, n), ctx).out;
    std::copy_n(y.data(), y.size(), logits);
    if (!tta) return;
    std::vector<float> flipped(In.size() * std::size_t(n));
    for (int b = 0; b < n; ++b)
        for (int r = 0; r < In.h; ++r)
            for (int x = 0; x < In.w; ++x)
                for (int c = 0; c < In.c; ++c)
                    flipped[((std::size_t(b) * In.h + r) * In.w + x) * In.c + c] =
                        inputs[((std::size_t(b) * In.h + r) * In.w + (In.w - 1 - x)) * In.c + c];
    ws.reset();
    auto yf = model.forward(TensorView<const float, In>(flipped.data(), n), ctx).out;
    for (int b = 0; b < n; ++b)
        for (int r = 0; r < Out.h; ++r)
            for (int x = 0; x < Out.w; ++x) {
                float& dst = logits[(std::size_t(b) * Out.h + r) * Out.w + x];
                dst = 0.5f * (dst + yf(b, r, Out.w - 1 - x, 0));
            }
}

}  // namespace salt::train
