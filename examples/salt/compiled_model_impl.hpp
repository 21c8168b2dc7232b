// examples/salt/compiled_model_impl.hpp — the one template every models/*.cpp instantiates, once
// per configuration and backend: CompiledModelImpl<config, backend::Simd> (models/<config>.cpp) and,
// in builds with SALT_CUDA, CompiledModelImpl<config, backend::Cuda> (models/cuda_<config>.cpp via
// compiled_model_cuda.hpp). The code is the same for both: tensors are uploaded and downloaded through
// the backend, never touched by the host, and timings end with the device's synchronize().
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>

#include "compiled_model.hpp"
#include "salt/backend/simd/simd.hpp"
#include "salt/data/preprocess.hpp"
#include "salt/embedded/openmp_parallel.hpp"
#include "salt/models/export_embedded.hpp"
#include "salt/models/quantize_embedded.hpp"
#include "salt/models/summary.hpp"
#include "salt/models/weights.hpp"
#include "salt/train/inference.hpp"

namespace salt::cli {

// How the command line's RunOptions become a backend's device options, and which --device selects
// it; one specialisation per backend the tool is built with.
template <class B>
struct CliBackend;

// The CPU backend (xsimd + OpenMP), checked op by op against the reference in tests/backend and end
// to end against torchvision (salt forward).
template <>
struct CliBackend<backend::Simd> {
    static constexpr DeviceKind kind = DeviceKind::cpu;
    static backend::Simd::options options(const RunOptions& ro) { return {ro.threads, ro.bf16, ro.winograd}; }
};

template <models::DeepLabV3Config C, class B>
class CompiledModelImpl final : public CompiledModel {
    using Model = models::DeepLabV3<float, C, B>;
    static constexpr Shape In = Model::in_shape, Out = Model::out_shape;

    static typename B::options backend_options(const RunOptions& ro) { return CliBackend<B>::options(ro); }

public:
    models::DeepLabV3Config config() const override { return C; }
    DeviceKind device() const override { return CliBackend<B>::kind; }
    void print_summary(std::FILE* out) const override { models::print_summary<Model>(out); }

    std::vector<float> forward_nchw(const io::SafetensorsFile& weights, const std::vector<float>& input, int batch,
                                    bool train_mode, const RunOptions& ro) const override {
        auto model = std::make_unique<Model>(backend_options(ro));
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
        Workspace<B> ws(model->device(), Model::workspace_bytes(batch, mode));
        Tensor<float, In, B> xt(model->device(), batch);
        xt.upload(x);
        Rng rng(0);
        nn::Context<B> ctx{ws, mode, &rng};
        auto y = model->forward(xt.view(), ctx).out;
        const auto yh = download<B>(model->device(), y.data(), y.size());
        std::vector<float> out(Out.size() * std::size_t(batch));
        for (int n = 0; n < batch; ++n)
            for (int c = 0; c < Out.c; ++c)
                for (int yy = 0; yy < Out.h; ++yy)
                    for (int xx = 0; xx < Out.w; ++xx)
                        out[((std::size_t(n) * Out.c + c) * Out.h + yy) * Out.w + xx] =
                            yh[TensorView<float, Out>::offset(n, yy, xx, c)];
        return out;
    }

    train::TrainResult train(const data::TgsDataset& ds, const train::TrainOptions& opt,
                             const RunOptions& ro) const override {
        if constexpr (In.c == 1 || In.c == 2) {
            train::Trainer<Model> t(ds, opt, backend_options(ro));
            return t.run();
        } else {
            throw std::invalid_argument("training needs a 1-channel (image) or 2-channel (image + depth) model");
        }
    }

    Predictions predict(const io::SafetensorsFile& weights, const std::vector<const io::Image8*>& images,
                        const std::vector<float>& depths, bool tta, const std::function<void(std::size_t)>& progress,
                        const RunOptions& ro) const override {
        const auto pre = data::Preprocess::from_metadata(weights.metadata(), weights.source());
        if (pre.size != In.h || (pre.depth_channel ? 2 : 1) != In.c)
            throw std::invalid_argument(weights.source() + ": the preprocessing metadata does not match the model");
        if (pre.depth_channel && depths.size() != images.size())
            throw std::invalid_argument("this model takes a depth channel: every image needs a depth (depths.csv)");
        auto model = std::make_unique<Model>(backend_options(ro));
        models::load_weights(*model, weights);
        constexpr int kBatch = 8;
        train::Predictor<Model> predictor(*model, kBatch);
        std::vector<float> inputs(In.size() * kBatch), mirrored(tta ? In.size() * kBatch : 0);
        Predictions result;
        result.logits.resize(images.size());
        std::size_t start = 0;
        while (start < images.size()) {
            // A batch of up to kBatch consecutive images of one size (they share a region).
            const int w = images[start]->width, h = images[start]->height;
            int n = 0;
            while (n < kBatch && start + std::size_t(n) < images.size() && images[start + std::size_t(n)]->width == w &&
                   images[start + std::size_t(n)]->height == h)
                ++n;
            for (int b = 0; b < n; ++b) {
                const auto& img = *images[start + std::size_t(b)];
                const float depth = pre.depth_channel ? depths[start + std::size_t(b)] : 0.f;
                data::prepare_input(img, depth, pre, std::span<float>(inputs.data() + In.size() * std::size_t(b), In.size()));
                if (tta)
                    data::prepare_input(img, depth, pre,
                                        std::span<float>(mirrored.data() + In.size() * std::size_t(b), In.size()), true);
            }
            const Region region = pre.image_region(w, h);
            predictor.predict(std::span<const float>(inputs.data(), In.size() * std::size_t(n)),
                              tta ? std::span<const float>(mirrored.data(), In.size() * std::size_t(n)) : std::span<const float>(),
                              n, region);
            const auto logits = predictor.logits();
            const std::size_t per = std::size_t(region.pixels());
            for (int b = 0; b < n; ++b)
                result.logits[start + std::size_t(b)] =
                    data::map_back_region(std::span<const float>(logits.data() + per * std::size_t(b), per), pre, w, h);
            const auto& p = predictor.image_probabilities();  // empty without a classifier
            result.image_probability.insert(result.image_probability.end(), p.begin(), p.end());
            start += std::size_t(n);
            if (progress) progress(start);
        }
        return result;
    }

    EmbeddedFootprint embedded_footprint(bool int8) const override {
        if constexpr (embedded::unsupported_reason(C) == nullptr) {
            using Net = embedded::DeepLabV3<C>;
            using Net8 = embedded::DeepLabV3<C, embedded::Precision::int8>;
            if (int8) return {Net8::arena_bytes, Net8::weights_bytes, Net8::activation_bytes, Net8::blob_bytes, nullptr};
            return {Net::arena_bytes, Net::weights_bytes, Net::activation_bytes, Net::blob_bytes, nullptr};
        } else {
            return {0, 0, 0, 0, embedded::unsupported_reason(C)};
        }
    }
    std::vector<unsigned char> embedded_blob(const io::SafetensorsFile& weights, const train::PostProcess& post) const override {
        if constexpr (embedded::unsupported_reason(C) == nullptr) {
            const auto pre = data::Preprocess::from_metadata(weights.metadata(), weights.source());
            if (pre.depth_channel || pre.fit != data::Fit::pad)
                throw std::invalid_argument("the embedded path prepares one-channel images by padding only; these weights "
                                            "were trained with a depth channel or resized inputs");
            const embedded::Settings s{pre.norm.mean, pre.norm.std, post.threshold, post.gate, post.min_area, post.tta};
            return models::embedded_blob<C>(weights, s);
        } else {
            throw std::invalid_argument(embedded::unsupported_reason(C));
        }
    }

    std::vector<unsigned char> embedded_quantize(const std::vector<unsigned char>& fp32_blob,
                                                 const std::vector<const io::Image8*>& images) const override {
        if constexpr (embedded::unsupported_reason(C) == nullptr && C.in_channels == 1 && C.classes == 1) {
            return models::quantize_embedded<C>(fp32_blob, models::calibrate_embedded<C>(fp32_blob, images));
        } else if constexpr (embedded::unsupported_reason(C) == nullptr) {
            throw std::invalid_argument("salt quantize calibrates on one-channel images; this model takes " +
                                        std::to_string(C.in_channels) + " channels");
        } else {
            throw std::invalid_argument(embedded::unsupported_reason(C));
        }
    }
    std::vector<std::vector<std::uint8_t>> embedded_segment(const std::vector<unsigned char>& blob,
                                                            const std::vector<const io::Image8*>& images,
                                                            const std::function<void(std::size_t)>& progress,
                                                            double* seconds, int threads) const override {
        if constexpr (embedded::unsupported_reason(C) == nullptr && C.in_channels == 1 && C.classes == 1) {
            std::uint32_t precision = 0;
            if (blob.size() >= embedded::format::kHeaderBytes)
                std::memcpy(&precision, blob.data() + 4 * embedded::format::precision, 4);
            return precision == 1 ? segment_with<embedded::DeepLabV3<C, embedded::Precision::int8>>(blob, images, progress, seconds, threads)
                                  : segment_with<embedded::DeepLabV3<C>>(blob, images, progress, seconds, threads);
        } else if constexpr (embedded::unsupported_reason(C) == nullptr) {
            throw std::invalid_argument("the embedded path segments images with one-channel models only; this model takes " +
                                        std::to_string(C.in_channels) + " channels");
        } else {
            throw std::invalid_argument(embedded::unsupported_reason(C));
        }
    }

    double time_forward(int batch, int reps, const RunOptions& ro) const override { return time_it(batch, reps, false, ro); }
    double time_train_step(int batch, int reps, const RunOptions& ro) const override {
        return time_it(batch, reps, true, ro);
    }

private:
    template <class Net>
    static std::vector<std::vector<std::uint8_t>> segment_with(const std::vector<unsigned char>& blob,
                                                               const std::vector<const io::Image8*>& images,
                                                               const std::function<void(std::size_t)>& progress, double* seconds,
                                                               int threads) {
        models::detail::HostArena arena(Net::arena_bytes, Net::arena_alignment);
        Net net(arena.data, Net::arena_bytes);
        if (const auto st = net.load(blob.data(), blob.size()); st != embedded::Status::ok)
            throw std::invalid_argument(embedded::message(st));
        net.set_parallel(embedded::openmp_parallel(threads));  // `threads` outlives net
        std::vector<std::vector<std::uint8_t>> masks;
        double spent = 0;
        for (const io::Image8* img : images) {
            std::vector<std::uint8_t> mask(std::size_t(img->width) * std::size_t(img->height));
            const auto t0 = std::chrono::steady_clock::now();
            const auto st = net.segment(img->data(), img->width, img->height, mask.data());
            spent += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (st != embedded::Status::ok) throw std::invalid_argument(embedded::message(st));
            masks.push_back(std::move(mask));
            if (progress) progress(masks.size());
        }
        if (seconds) *seconds = spent;
        return masks;
    }

    // Median seconds of `reps` forward passes (or training steps: forward, BCE+Dice, backward, Adam).
    static double time_it(int batch, int reps, bool train_step, const RunOptions& ro) {
        auto model = std::make_unique<Model>(1, backend_options(ro));
        auto& dev = model->device();
        const auto mode = train_step ? nn::Mode::train : nn::Mode::eval;
        Workspace<B> ws(dev, Model::workspace_bytes(batch, mode));
        Rng rng(1);
        std::vector<float> x(In.size() * std::size_t(batch)), target(Out.size() * std::size_t(batch));
        for (auto& v : x) v = float(rng.normal());
        for (std::size_t i = 0; i < target.size(); ++i) target[i] = (i / 37) % 3 == 0 ? 1.f : 0.f;
        Tensor<float, In, B> xt(dev, batch);
        Tensor<float, Out, B> tt(dev, batch);
        xt.upload(x);
        tt.upload(target);
        train::Adam<float, B> adam(*model, train::AdamOptions{});
        nn::Context<B> ctx{ws, mode, &rng};
        const MapGeometry g{batch, Out.h, Out.w, Region{0, 0, Out.h, Out.w}};
        std::vector<double> times;
        for (int r = 0; r < reps + 1; ++r) {  // the first run warms up and is not counted
            const auto t0 = std::chrono::steady_clock::now();
            ws.reset();
            auto y = model->forward(xt.view(), ctx).out;
            if (train_step) {
                adam.zero_grad();
                auto dy = ctx.template take<float, Out>(batch);
                train::compute_loss(dev, train::LossKind::bce_dice, g, static_cast<const float*>(y.data()),
                                    static_cast<const float*>(tt.data()), dy.data());
                model->backward(dy, ctx);
                adam.step();
            }
            B::synchronize(dev);
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (r > 0) times.push_back(s);
        }
        std::sort(times.begin(), times.end());
        return times[times.size() / 2];
    }
};

}  // namespace salt::cli
