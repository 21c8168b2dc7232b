// Builds a small chain from the installed headers, runs it forward and backward, and checks that
// the parameter count of DeepLabV3-ResNet50 is torchvision's.
#include <cstdio>
#include <vector>

#include <salt/models/deeplabv3.hpp>
#include <salt/nn/spec.hpp>

int main() {
    using namespace salt;
    using B = backend::reference;
    using Net = nn::Sequential<float, Shape{8, 8, 1}, B, nn::spec::conv<1, 4, 3, 1, 1>, nn::spec::batch_norm, nn::spec::relu>;
    static_assert(models::DeepLabV3<float, {.in_channels = 1}>::parameter_count() == 39627457);
    Net net;
    Rng rng(1);
    net.init(rng);
    Workspace<B::memory> ws(1 << 20);
    nn::Context<B> ctx{ws, nn::Mode::train, &rng};
    std::vector<float> x(2 * 8 * 8, 0.5f);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) - 3.0f;
    auto y = net.forward(TensorView<float, Shape{8, 8, 1}>(x.data(), 2), ctx);
    auto dx = net.backward(y, ctx);
    std::printf("consumer: output %dx%dx%d, dx[0] = %g\n", Net::out_shape.h, Net::out_shape.w, Net::out_shape.c, double(dx.data()[0]));
    return y.batch() == 2 ? 0 : 1;
}
