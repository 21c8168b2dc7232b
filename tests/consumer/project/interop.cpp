// The interop headers from an installed salt (find_package(salt COMPONENTS eigen xtensor)): a small
// chain run on images in an Eigen tensor, its output written into an xtensor array.
#include <cstdio>

#include <salt/backend/simd/simd.hpp>
#include <salt/interop/eigen.hpp>
#include <salt/interop/xtensor.hpp>
#include <salt/nn/spec.hpp>
#include <salt/nn/standalone.hpp>
#include <xtensor/xtensor.hpp>

int main() {
    using namespace salt;
    using B = backend::Simd;
    constexpr Shape In{8, 8, 1};
    using Chain = nn::Sequential<float, In, B, nn::spec::conv<1, 2, 3, 1, 1>, nn::spec::relu>;
    nn::Standalone<Chain> net(1);
    Workspace<B> ws(net.device(), 1 << 20);
    nn::Context<B> ctx{ws, nn::Mode::eval, nullptr};
    Eigen::Tensor<float, 4> images(1, 8, 8, 3);  // ColMajor (C, W, H, N): three 8x8 images
    images.setConstant(0.25f);
    xt::xtensor<float, 4> out({3, 8, 8, 2});
    interop::copy<B>(net.device(), net.forward(interop::view<In>(std::as_const(images)), ctx), out);
    std::printf("consumer_interop: %zu outputs from an Eigen tensor into an xtensor array\n", out.size());
    return out.shape()[0] == 3 ? 0 : 1;
}
