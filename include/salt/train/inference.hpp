// salt/train/inference.hpp — running a model in inference on batches of prepared inputs, on its own
// backend: inputs go in, the logits of each image's region (or metrics) come out. What the trainer's
// validation, `salt eval`, `salt predict` and programs embedding salt share.
//
// Test-time augmentation (flip): the caller prepares a second input from the *mirrored* image
// (data::prepare_input(..., mirrored = true): flipped before padding, as training flips); the
// prediction on it is mirrored back within the image's region and averaged with the plain one. So
// for a left-right symmetric image both passes see the same input and give the same logits, and the
// TTA prediction is the plain one averaged with its mirror image (tests/train/test_tta.cpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/core/backend.hpp"
#include "salt/core/op_params.hpp"
#include "salt/core/tensor.hpp"
#include "salt/data/preprocess.hpp"
#include "salt/nn/context.hpp"
#include "salt/ops/loss_common.hpp"

namespace salt::train {

// Kept for programs written against the earlier location.
using data::Preprocess;
using data::map_back;
using data::prepare_input;

template <class Model>
class Predictor {
public:
    using B = typename Model::backend;
    static constexpr Shape In = Model::in_shape, Out = Model::out_shape;
    static_assert(Out.c == 1, "Predictor: one output class");
    static constexpr OpSet ops_needed{Op::crop, Op::flip_width, Op::axpby, Op::mask_stats, Op::sigmoid_forward,
                                      Op::threshold};
    static_assert(salt::check::backend_implements<B, ops_needed>());

    // Room for batches of up to max_batch images.
    Predictor(Model& model, int max_batch)
        : model_(model),
          max_batch_(max_batch),
          ws_(model.device(), Model::workspace_bytes(max_batch, nn::Mode::eval)),
          input_(model.device(), max_batch),
          result_(model.device(), Out.pixels() * std::size_t(max_batch)),
          scratch_(model.device(), Out.pixels() * std::size_t(max_batch)),
          truth_(model.device(), Out.pixels() * std::size_t(max_batch)),
          masks_(model.device(), Out.pixels() * std::size_t(max_batch)) {
        if (max_batch < 1) throw std::invalid_argument("Predictor: max_batch must be at least 1");
    }

    Workspace<B>& workspace() { return ws_; }

    // Eval-mode logits of n prepared inputs (host, NHWC, n * In.size()), cropped to `region` of each
    // output map, kept on the device (logits_device()). With `mirrored` non-empty (the same images prepared
    // mirrored), the mirrored prediction is flipped back within the region and averaged in.
    void predict(std::span<const float> inputs, std::span<const float> mirrored, int n, Region region) {
        if (n < 1 || n > max_batch_)
            throw std::invalid_argument("Predictor::predict: " + std::to_string(n) + " images, room for 1.." +
                                        std::to_string(max_batch_));
        if (inputs.size() != In.size() * std::size_t(n) || (!mirrored.empty() && mirrored.size() != inputs.size()))
            throw std::invalid_argument("Predictor::predict: the inputs do not hold " + std::to_string(n) + " samples");
        if (!region.inside(Out.h, Out.w)) throw std::invalid_argument("Predictor::predict: the region is not inside the output");
        n_ = n, region_ = region;
        auto& dev = model_.device();
        const Shape out_shape = Out, reg_shape{region.h, region.w, 1};
        forward(inputs, n);
        salt::run<Op::crop>(dev, out_shape, n, region, static_cast<const float*>(last_.data()), result_.data());
        image_probs_.clear();
        if constexpr (Model::config.classification_head) image_probs_ = cls_probabilities(n);
        if (mirrored.empty()) return;
        forward(mirrored, n);
        salt::run<Op::crop>(dev, out_shape, n, region, static_cast<const float*>(last_.data()), scratch_.data());
        if constexpr (Model::config.classification_head) {
            const auto p = cls_probabilities(n);
            for (int i = 0; i < n; ++i) image_probs_[std::size_t(i)] = 0.5 * (image_probs_[std::size_t(i)] + p[std::size_t(i)]);
        }
        // Flipped into truth_, which is free until stats().
        float* flipped = truth_.data();
        salt::run<Op::flip_width>(dev, reg_shape, n, static_cast<const float*>(scratch_.data()), flipped);
        salt::run<Op::axpby>(dev, std::size_t(n) * std::size_t(region.pixels()), 0.5f, static_cast<const float*>(flipped), 0.5f,
                       result_.data());
    }

    int count() const { return n_; }
    // With an image classifier: each image's salt probability (the mirrored image's averaged in
    // with TTA); empty otherwise.
    const std::vector<double>& image_probabilities() const { return image_probs_; }
    const Region& region() const { return region_; }
    // The last run's region logits (n x region.h x region.w) on the device, and on the host.
    const float* logits_device() const { return result_.data(); }
    std::vector<float> logits() const {
        return download<B>(model_.device(), result_.data(), std::size_t(n_) * std::size_t(region_.pixels()));
    }
    // sigmoid of the logits, on the host.
    std::vector<float> probabilities() {
        const std::size_t m = std::size_t(n_) * std::size_t(region_.pixels());
        salt::run<Op::sigmoid_forward>(model_.device(), m, static_cast<const float*>(result_.data()), scratch_.data());
        return download<B>(model_.device(), scratch_.data(), m);
    }
    // Masks (logit > threshold_logit), on the host.
    std::vector<std::uint8_t> masks(float threshold_logit = 0.f) {
        const std::size_t m = std::size_t(n_) * std::size_t(region_.pixels());
        auto* mk = reinterpret_cast<std::uint8_t*>(masks_.data());
        salt::run<Op::threshold>(model_.device(), m, static_cast<const float*>(result_.data()), threshold_logit, mk);
        return download<B>(model_.device(), mk, m);
    }
    // Per-image pixel counts of the last run's prediction against `truth` (host, n x region pixels,
    // > 0.5 = salt) at each logit threshold: out[image * thresholds + k].
    std::vector<MaskCounts> stats(std::span<const float> truth, std::span<const double> logit_thresholds) {
        const std::size_t m = std::size_t(n_) * std::size_t(region_.pixels());
        if (truth.size() != m) throw std::invalid_argument("Predictor::stats: the truth does not match the region");
        upload<B>(model_.device(), truth_.data(), truth);
        std::vector<MaskCounts> out(std::size_t(n_) * logit_thresholds.size());
        const MapGeometry g{n_, region_.h, region_.w, Region{0, 0, region_.h, region_.w}};
        salt::run<Op::mask_stats>(model_.device(), g, static_cast<const float*>(result_.data()),
                            static_cast<const float*>(truth_.data()), logit_thresholds, out.data());
        return out;
    }

private:
    void forward(std::span<const float> inputs, int n) {
        input_.upload(inputs);
        ws_.reset();
        nn::Context<B> ctx{ws_, nn::Mode::eval, nullptr};
        const auto o = model_.forward(TensorView<const float, In>(input_.data(), n), ctx);
        last_ = o.out;
        if constexpr (Model::config.classification_head) last_cls_ = o.cls.data();
    }
    // The image classifier's logits (n numbers) to the host, as probabilities.
    std::vector<double> cls_probabilities(int n) const {
        const auto l = download<B>(model_.device(), last_cls_, std::size_t(n));
        std::vector<double> p(l.size());
        for (std::size_t i = 0; i < l.size(); ++i) p[i] = ops::stable_sigmoid(double(l[i]));
        return p;
    }

    Model& model_;
    int max_batch_;
    Workspace<B> ws_;
    Tensor<float, In, B> input_;
    Buffer<float, B> result_, scratch_, truth_, masks_;
    TensorView<float, Out> last_;
    const float* last_cls_ = nullptr;
    std::vector<double> image_probs_;
    int n_ = 0;
    Region region_{};
};

}  // namespace salt::train
