// salt-demo: a small DeepLab-style network (stem, a bottleneck, a reduced ASPP, a 1x1 classifier and
// the final upsample) runs forward and backward on a synthetic layered image, printing every shape,
// the loss and the gradient norms, then takes a few plain SGD steps so the loss visibly falls.
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "salt/models/deeplabv3.hpp"
#include "salt/nn/aspp.hpp"
#include "salt/nn/bottleneck.hpp"
#include "salt/nn/spec.hpp"

using namespace salt;
using B = backend::reference;
namespace spec = nn::spec;

constexpr Shape kInput{64, 64, 1};
using Net = nn::Sequential<float, kInput, B,
                           spec::conv<1, 16, 7, 2, 3>, spec::batch_norm, spec::relu, spec::max_pool<3, 2, 1>,
                           spec::bottleneck<8, 1, 1>, spec::bottleneck<8, 1, 2>,
                           spec::aspp<16, 2, 4, 6, 0.0>,
                           spec::conv<16, 1, 1, 1, 0, 1, true>, spec::upsample<kInput.h, kInput.w>>;

// Layered "reflectors" with a dome-shaped salt body whose inside is quiet: the mask is the dome.
void synthetic_batch(int batch, Rng& rng, std::vector<float>& image, std::vector<float>& mask) {
    image.assign(kInput.size() * batch, 0.f);
    mask.assign(kInput.pixels() * batch, 0.f);
    for (int n = 0; n < batch; ++n) {
        const double cx = 16 + 32 * rng.uniform(), top = 20 + 20 * rng.uniform(), width = 10 + 10 * rng.uniform();
        const double phase = 6.28 * rng.uniform();
        for (int y = 0; y < kInput.h; ++y)
            for (int x = 0; x < kInput.w; ++x) {
                const double dome = top + (x - cx) * (x - cx) / (width * 1.5);
                const bool salt = y > dome;
                const std::size_t i = (std::size_t(n) * kInput.h + y) * kInput.w + x;
                const double layers = std::sin(0.6 * y + 0.15 * std::sin(0.1 * x) * 10 + phase);
                image[i] = float(salt ? 0.1 * rng.normal() : layers + 0.2 * rng.normal());
                mask[i] = salt ? 1.f : 0.f;
            }
    }
}

int main() {
    const int batch = 4;
    auto net = std::make_unique<Net>();
    Rng rng(2024);
    net->init(rng);

    std::printf("salt demo: a small DeepLab-style network on %dx%dx%d synthetic seismic images, batch %d\n",
                kInput.h, kInput.w, kInput.c, batch);
    std::printf("  parameters: %zu\n", Net::parameter_count());
    const std::size_t bytes = Net::forward_keep(batch, nn::Mode::train) +
                              aligned_bytes<float>(Net::out_shape.size() * batch) + Net::backward_peak(batch);
    std::printf("  workspace for a training step (computed at compile time): %zu KiB\n", bytes / 1024);
    std::printf("  layers:\n");
    std::map<std::string, double> norms;
    net->visit("", [&](const auto& p) {
        if (p.kind == nn::ParamKind::conv_weight)
            std::printf("    %-28s weight %lld x %lld x %lld x %lld\n", p.name.c_str(), (long long)p.torch_shape[0],
                        (long long)p.torch_shape[1], (long long)p.torch_shape[2], (long long)p.torch_shape[3]);
    });
    std::printf("  output: %d x %d x %d per sample\n", Net::out_shape.h, Net::out_shape.w, Net::out_shape.c);

    Workspace<B::memory> ws(bytes);
    nn::Context<B> ctx{ws, nn::Mode::train, &rng};
    std::vector<float> image, mask;
    synthetic_batch(batch, rng, image, mask);
    const float lr = 0.05f;
    for (int step = 0; step < 8; ++step) {
        ws.reset();
        net->visit("", [](const auto& p) {
            if (p.trainable()) std::fill_n(p.grad, p.count, 0.f);
        });
        auto logits = net->forward(TensorView<const float, kInput>(image.data(), batch), ctx);
        // Binary cross-entropy with logits, mean over pixels, and its gradient.
        auto dlogits = ctx.take<float, Net::out_shape>(batch);
        double loss = 0;
        const double inv = 1.0 / double(logits.size());
        for (std::size_t i = 0; i < logits.size(); ++i) {
            const double z = logits.data()[i], t = mask[i];
            loss += (std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z)))) * inv;
            dlogits.data()[i] = float((1.0 / (1.0 + std::exp(-z)) - t) * inv);
        }
        auto dx = net->backward(dlogits, ctx);
        double gx = 0;
        for (std::size_t i = 0; i < dx.size(); ++i) gx += double(dx.data()[i]) * dx.data()[i];
        double gw = 0;
        net->visit("", [&](const auto& p) {
            if (!p.trainable()) return;
            double s = 0;
            for (std::size_t i = 0; i < p.count; ++i) s += double(p.grad[i]) * p.grad[i];
            gw += s;
            if (step == 0 && p.kind == nn::ParamKind::conv_weight)
                std::printf("    grad norm %-24s %.4g\n", p.name.c_str(), std::sqrt(s));
            for (std::size_t i = 0; i < p.count; ++i) p.value[i] -= lr * p.grad[i];
        });
        std::printf("  step %d: loss %.5f  |dL/dinput| %.4g  |dL/dparams| %.4g  workspace used %zu KiB\n", step,
                    loss, std::sqrt(gx), std::sqrt(gw), ws.high_water() / 1024);
    }
    std::printf("done. The full DeepLabV3-ResNet50 (39,627,457 parameters with 1 input channel) is "
                "salt::models::DeepLabV3<float, {.in_channels = 1}>.\n");
    return 0;
}
