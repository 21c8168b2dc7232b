// salt-demo: a small DeepLab-style network (stem, a bottleneck, a reduced ASPP, a 1x1 classifier and
// the final upsample) runs forward and backward on a synthetic layered image on the simd backend,
// printing every shape, the loss and the gradient norms, then takes a few Adam steps so the loss
// visibly falls. Everything that touches the network's memory goes through the backend: the
// images go in by an upload, the loss and the update are backend ops, the norms are read from a
// downloaded copy.
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "salt/backend/simd/simd.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/nn/aspp.hpp"
#include "salt/nn/bottleneck.hpp"
#include "salt/nn/spec.hpp"
#include "salt/nn/standalone.hpp"
#include "salt/train/loss.hpp"
#include "salt/train/optimizer.hpp"

using namespace salt;
using B = backend::Simd;
namespace spec = nn::spec;

constexpr Shape kInput{64, 64, 1};
using Layers = nn::Sequential<float, kInput, B,
                           spec::conv<1, 16, 7, 2, 3>, spec::batch_norm, spec::relu, spec::max_pool<3, 2, 1>,
                           spec::bottleneck<8, 1, 1>, spec::bottleneck<8, 1, 2>,
                           spec::aspp<16, 2, 4, 6, 0.0>,
                           spec::conv<16, 1, 1, 1, 0, 1, true>, spec::upsample<kInput.h, kInput.w>>;
using Net = nn::Standalone<Layers>;

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
    Rng rng(2024);
    auto net = std::make_unique<Net>();
    net->init(rng);
    auto& dev = net->device();

    std::printf("salt demo: a small DeepLab-style network on %dx%dx%d synthetic seismic images, batch %d, %s backend\n",
                kInput.h, kInput.w, kInput.c, batch, B::name);
    std::printf("  parameters: %zu\n", Layers::parameter_count());
    const std::size_t bytes = Layers::forward_keep(batch, nn::Mode::train) +
                              aligned_bytes<float>(Layers::out_shape.size() * batch) + Layers::backward_peak(batch);
    std::printf("  workspace for a training step (computed at compile time): %zu KiB\n", bytes / 1024);
    std::printf("  layers:\n");
    net->visit("", [&](const auto& p) {
        if (p.kind == nn::ParamKind::conv_weight)
            std::printf("    %-28s weight %lld x %lld x %lld x %lld\n", p.name.c_str(), (long long)p.torch_shape[0],
                        (long long)p.torch_shape[1], (long long)p.torch_shape[2], (long long)p.torch_shape[3]);
    });
    std::printf("  output: %d x %d x %d per sample\n", Layers::out_shape.h, Layers::out_shape.w, Layers::out_shape.c);

    Workspace<B> ws(dev, bytes);
    nn::Context<B> ctx{ws, nn::Mode::train, &rng};
    std::vector<float> image, mask;
    synthetic_batch(batch, rng, image, mask);
    Tensor<float, kInput, B> x(dev, batch);
    Tensor<float, Layers::out_shape, B> target(dev, batch);
    x.upload(image);
    target.upload(mask);
    train::AdamOptions ao;
    ao.lr = 0.01;
    train::Adam<float, B> adam(*net, ao);
    const MapGeometry g{batch, kInput.h, kInput.w, Region{0, 0, kInput.h, kInput.w}};
    for (int step = 0; step < 8; ++step) {
        ws.reset();
        adam.zero_grad();
        auto logits = net->forward(x.view(), ctx);
        // Binary cross-entropy with logits, mean over pixels, and its gradient (a backend op).
        auto dlogits = ctx.take<float, Layers::out_shape>(batch);
        const double loss = train::compute_loss(dev, train::LossKind::bce, g, static_cast<const float*>(logits.data()),
                                                target.data(), dlogits.data());
        auto dx = net->backward(dlogits, ctx);
        double gx = 0;
        for (float v : download<B>(dev, dx.data(), dx.size())) gx += double(v) * v;
        double gw = 0;
        auto grads = net->parameters().download_grads();
        net->visit("", [&](const auto& p) {
            if (!p.trainable()) return;
            double s = 0;
            for (float v : grads.span(p.grad, p.count)) s += double(v) * v;
            gw += s;
            if (step == 0 && p.kind == nn::ParamKind::conv_weight)
                std::printf("    grad norm %-24s %.4g\n", p.name.c_str(), std::sqrt(s));
        });
        adam.step();
        std::printf("  step %d: loss %.5f  |dL/dinput| %.4g  |dL/dparams| %.4g  workspace used %zu KiB\n", step,
                    loss, std::sqrt(gx), std::sqrt(gw), ws.high_water() / 1024);
    }
    std::printf("done. The full DeepLabV3-ResNet50 (39,627,457 parameters with 1 input channel) is "
                "salt::models::DeepLabV3<float, {.in_channels = 1}, salt::backend::Simd>.\n");
    return 0;
}
