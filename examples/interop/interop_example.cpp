// examples/interop/interop_example.cpp — DeepLabV3-ResNet50 run on images held in an Eigen tensor and
// in an xtensor array, without copying them into salt tensors, the probabilities written back into
// the caller's Eigen and xtensor arrays.
//
//   interop_example [WEIGHTS.safetensors]
//
// With weights (from `salt train`, 1 channel, 128x128, output stride 16: `--output-stride 16`) it
// runs the trained model; without, a seeded untrained one (the point here is the data path). It checks
// that both arrays give the same probabilities as the same images uploaded into a salt Tensor, and
// exits 1 if not.
//
// Layouts (salt/interop/layout.hpp): the Eigen tensor is ColMajor, Eigen's default, so its
// dimensions are salt's NHWC reversed, (C, W, H, N); the xtensor array is row-major, (N, H, W, C).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unsupported/Eigen/CXX11/Tensor>
#include <xtensor/xtensor.hpp>

#include "salt/backend/simd/simd.hpp"
#include "salt/interop/eigen.hpp"
#include "salt/interop/xtensor.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/models/weights.hpp"

using namespace salt;
using B = backend::Simd;
using Model = models::DeepLabV3<float, {.in_channels = 1, .output_stride = 16}, B>;
constexpr Shape In = Model::in_shape, Out = Model::out_shape;

// Logits to probabilities in place, on the caller's side (plain Eigen / xtensor code).
template <class F>
void for_each_pixel(int batch, F f) {
    for (int n = 0; n < batch; ++n)
        for (int y = 0; y < In.h; ++y)
            for (int x = 0; x < In.w; ++x) f(n, y, x);
}

int main(int argc, char** argv) try {
    const int batch = 2;
    auto model = std::make_unique<Model>(std::uint64_t{7});
    if (argc > 1) models::load_weights(*model, std::filesystem::path(argv[1]));
    std::printf("interop: %s, batch %d, input %dx%dx%d, %s backend\n",
                argc > 1 ? argv[1] : "an untrained model (seed 7)", batch, In.h, In.w, In.c, B::name);

    // The caller's images: a dipping layered pattern with a dome, in each library's own array.
    Eigen::Tensor<float, 4> images_eigen(In.c, In.w, In.h, batch);  // ColMajor: (C, W, H, N)
    xt::xtensor<float, 4> images_xt({std::size_t(batch), std::size_t(In.h), std::size_t(In.w), std::size_t(In.c)});
    for_each_pixel(batch, [&](int n, int y, int x) {
        const double dome = 40 + 0.01 * (x - 64) * (x - 64) + 10 * n;
        const float v = float(y > dome ? 0.05 * std::sin(0.9 * x) : std::sin(0.5 * y + 0.05 * x));
        images_eigen(0, x, y, n) = v;
        images_xt(n, y, x, 0) = v;
    });

    Workspace<B> ws(model->device(), Model::workspace_bytes(batch, nn::Mode::eval));
    nn::Context<B> ctx{ws, nn::Mode::eval, nullptr};

    // 1. The Eigen tensor's memory is the model's input; the logits are copied into an Eigen tensor.
    Eigen::Tensor<float, 4> logits_eigen(Out.c, Out.w, Out.h, batch);
    {
        const auto x = interop::view<In>(std::as_const(images_eigen));
        interop::copy<B>(model->device(), model->forward(x, ctx).out, logits_eigen);
    }
    // 2. The same through xtensor (row-major (N, H, W, C)).
    ws.reset();
    xt::xtensor<float, 4> logits_xt({std::size_t(batch), std::size_t(Out.h), std::size_t(Out.w), std::size_t(Out.c)});
    {
        const auto x = interop::view<In>(std::as_const(images_xt));
        interop::copy<B>(model->device(), model->forward(x, ctx).out, logits_xt);
    }
    // 3. The reference path: the images uploaded into a salt Tensor, the logits downloaded.
    ws.reset();
    Tensor<float, In, B> x(model->device(), batch);
    std::vector<float> host(In.size() * batch);
    for_each_pixel(batch, [&](int n, int y, int xx) { host[TensorView<float, In>::offset(n, y, xx, 0)] = images_xt(n, y, xx, 0); });
    x.upload(host);
    const auto out = model->forward(x.view(), ctx).out;
    const auto logits = download<B>(model->device(), out.data(), out.size());

    // Probabilities, and the comparison (the same model on the same bytes: identical results).
    double max_diff = 0, salt_fraction = 0;
    for_each_pixel(batch, [&](int n, int y, int xx) {
        const float ref = logits[TensorView<float, Out>::offset(n, y, xx, 0)];
        max_diff = std::max({max_diff, double(std::abs(logits_eigen(0, xx, y, n) - ref)),
                             double(std::abs(logits_xt(n, y, xx, 0) - ref))});
        salt_fraction += 1.0 / (1.0 + std::exp(-double(ref))) > 0.5;
    });
    salt_fraction /= double(batch) * In.h * In.w;
    std::printf("interop: Eigen (ColMajor C,W,H,N) and xtensor (row-major N,H,W,C) inputs give the salt Tensor's "
                "logits, largest difference %g; %.1f%% of pixels predicted salt\n",
                max_diff, 100 * salt_fraction);
    if (max_diff != 0) {
        std::fprintf(stderr, "interop: FAIL: the logits differ from the salt Tensor path's\n");
        return 1;
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "interop_example: %s\n", e.what());
    return 1;
}
