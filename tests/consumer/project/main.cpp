// Builds a small chain from the installed headers, runs it forward and backward on the simd
// backend, and checks that the parameter count of DeepLabV3-ResNet50 is torchvision's.
#include <cstdio>
#include <vector>

#include <salt/backend/simd/simd.hpp>
#include <salt/models/deeplabv3.hpp>
#include <salt/nn/spec.hpp>
#include <salt/nn/standalone.hpp>

int main() {
    using namespace salt;
    using B = backend::Simd;
    using Chain = nn::Sequential<float, Shape{8, 8, 1}, B, nn::spec::conv<1, 4, 3, 1, 1>, nn::spec::batch_norm, nn::spec::relu>;
    static_assert(models::DeepLabV3<float, {.in_channels = 1}, B>::parameter_count() == 39627457);
    nn::Standalone<Chain> net(1);
    Workspace<B> ws(net.device(), 1 << 20);
    Rng rng(1);
    nn::Context<B> ctx{ws, nn::Mode::train, &rng};
    std::vector<float> x(2 * 8 * 8, 0.5f);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) - 3.0f;
    Tensor<float, Shape{8, 8, 1}, B> xt(net.device(), 2);
    xt.upload(x);
    auto y = net.forward(xt.view(), ctx);
    auto dx = net.backward(y, ctx);
    const auto g = download<B>(net.device(), dx.data(), dx.size());
    std::printf("consumer: output %dx%dx%d, dx[0] = %g\n", Chain::out_shape.h, Chain::out_shape.w, Chain::out_shape.c, double(g[0]));
    return y.batch() == 2 ? 0 : 1;
}
