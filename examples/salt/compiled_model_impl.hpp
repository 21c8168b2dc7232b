// examples/salt/compiled_model_impl.hpp — the one template every models/*.cpp instantiates.
#pragma once

#include <memory>

#include "compiled_model.hpp"
#include "salt/models/summary.hpp"
#include "salt/models/weights.hpp"

namespace salt::cli {

// The backend the command-line tool runs on.
using cli_backend = backend::reference;

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
};

}  // namespace salt::cli
