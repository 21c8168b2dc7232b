// examples/salt/compiled_model_impl.hpp — the one template every models/*.cpp instantiates.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>

#include "compiled_model.hpp"
#include "salt/backend/simd/simd.hpp"
#include "salt/models/summary.hpp"
#include "salt/models/weights.hpp"

namespace salt::cli {

// The backend the command-line tool runs on: the fast CPU backend (xsimd + OpenMP), checked op by
// op against the reference in tests/backend and end to end against torchvision (salt forward).
using cli_backend = backend::simd;

template <models::DeepLabV3Config C>
class CompiledModelImpl final : public CompiledModel {
    using Model = models::DeepLabV3<float, C, cli_backend>;
    static constexpr Shape In = Model::in_shape, Out = Model::out_shape;

public:
    models::DeepLabV3Config config() const override { return C; }
    void print_summary(std::FILE* out) const override { models::print_summary<Model>(out); }

    std::vector<float> forward_nchw(const io::SafetensorsFile& weights, const std::vector<float>& input, int batch,
                                    bool train_mode) const override {
        auto model = std::make_unique<Model>();
        models::load_weights(*model, weights);
        model->set_dropout(0.0);
        // NCHW -> NHWC at the boundary.
        std::vector<float> x(In.size() * std::size_t(batch));
        for (int n = 0; n < batch; ++n)
            for (int c = 0; c < In.c; ++c)
                for (int y = 0; y < In.h; ++y)
                    for (int xx = 0; xx < In.w; ++xx)
                        x[((std::size_t(n) * In.h + y) * In.w + xx) * In.c + c] =
                            input[((std::size_t(n) * In.c + c) * In.h + y) * In.w + xx];
        const auto mode = train_mode ? nn::Mode::train : nn::Mode::eval;
        Workspace<cli_backend::memory> ws(Model::workspace_bytes(batch, mode));
        Rng rng(0);
        nn::Context<cli_backend> ctx{ws, mode, &rng};
        auto y = model->forward(TensorView<const float, In>(x.data(), batch), ctx).out;
        std::vector<float> out(Out.size() * std::size_t(batch));
        for (int n = 0; n < batch; ++n)
            for (int c = 0; c < Out.c; ++c)
                for (int yy = 0; yy < Out.h; ++yy)
                    for (int xx = 0; xx < Out.w; ++xx)
                        out[((std::size_t(n) * Out.c + c) * Out.h + yy) * Out.w + xx] = y(n, yy, xx, c);
        return out;
    }

    train::TrainResult train(const data::TgsDataset& ds, const train::TrainOptions& opt) const override {
        if constexpr (In.c == 1 || In.c == 2) {
            train::Trainer<Model, cli_backend> t(ds, opt);
            return t.run();
        } else {
            throw std::invalid_argument("training needs a 1-channel (image) or 2-channel (image + depth) model");
        }
    }

    std::vector<std::vector<float>> predict(const io::SafetensorsFile& weights, const std::vector<const io::Image8*>& images,
                                            const std::vector<float>& depths, bool tta,
                                            const std::function<void(std::size_t)>& progress) const override {
        const auto pre = train::Preprocess::from_metadata(weights.metadata(), weights.source());
        if (pre.size != In.h || (pre.depth_channel ? 2 : 1) != In.c)
            throw std::invalid_argument(weights.source() + ": the preprocessing metadata does not match the model");
        if (pre.depth_channel && depths.size() != images.size())
            throw std::invalid_argument("this model takes a depth channel: every image needs a depth (depths.csv)");
        auto model = std::make_unique<Model>();
        models::load_weights(*model, weights);
        constexpr int kBatch = 8;
        Workspace<cli_backend::memory> ws(Model::workspace_bytes(kBatch, nn::Mode::eval));
        std::vector<float> inputs(In.size() * kBatch), logits(Out.size() * kBatch);
        std::vector<std::vector<float>> result(images.size());
        for (std::size_t start = 0; start < images.size(); start += kBatch) {
            const int n = int(std::min<std::size_t>(kBatch, images.size() - start));
            for (int b = 0; b < n; ++b)
                train::prepare_input(*images[start + std::size_t(b)], pre.depth_channel ? depths[start + std::size_t(b)] : 0.f, pre,
                                     std::span<float>(inputs.data() + In.size() * std::size_t(b), In.size()));
            train::predict_logits<Model, cli_backend>(*model, ws, inputs.data(), n, tta, logits.data());
            for (int b = 0; b < n; ++b) {
                const auto* img = images[start + std::size_t(b)];
                result[start + std::size_t(b)] = train::map_back(
                    std::span<const float>(logits.data() + Out.size() * std::size_t(b), Out.size()), pre, img->width, img->height);
            }
            if (progress) progress(start + std::size_t(n));
        }
        return result;
    }

    double time_forward(int batch, int reps) const override { return time_it(batch, reps, false); }
    double time_train_step(int batch, int reps) const override { return time_it(batch, reps, true); }

private:
    // Median seconds of `reps` forward passes (or training steps: forward, BCE+Dice, backward, Adam).
    static double time_it(int batch, int reps, bool train_step) {
        auto model = std::make_unique<Model>(1);
        const auto mode = train_step ? nn::Mode::train : nn::Mode::eval;
        Workspace<cli_backend::memory> ws(Model::workspace_bytes(batch, mode));
        Rng rng(1);
        std::vector<float> x(In.size() * std::size_t(batch)), target(Out.size() * std::size_t(batch)),
            grad(Out.size() * std::size_t(batch));
        for (auto& v : x) v = float(rng.normal());
        for (std::size_t i = 0; i < target.size(); ++i) target[i] = (i / 37) % 3 == 0 ? 1.f : 0.f;
        train::Adam<float> adam(*model, train::AdamOptions{});
        nn::Context<cli_backend> ctx{ws, mode, &rng};
        std::vector<double> times;
        for (int r = 0; r < reps + 1; ++r) {  // the first run warms up and is not counted
            const auto t0 = std::chrono::steady_clock::now();
            ws.reset();
            auto y = model->forward(TensorView<const float, In>(x.data(), batch), ctx).out;
            if (train_step) {
                adam.zero_grad();
                train::compute_loss(train::LossKind::bce_dice, std::span<const float>(y.data(), y.size()), target, grad, batch);
                auto dy = ctx.template take<float, Out>(batch);
                std::copy(grad.begin(), grad.end(), dy.data());
                model->backward(dy, ctx);
                adam.step();
            }
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (r > 0) times.push_back(s);
        }
        std::sort(times.begin(), times.end());
        return times[times.size() / 2];
    }
};

}  // namespace salt::cli
