// tests/cuda_host/test_cuda_host_model.cpp — the whole model on the emulated CUDA backend
// (cuda_emulated.hpp) against the reference backend (label cuda_host): every custom kernel of the
// CUDA backend composed as the layers call it — the fused BN + ReLU of training, the fused
// conv + BN (+ add) (+ ReLU) of inference, OHWI weights, the losses' absence of host access — with
// the convolutions standing in for cuDNN by the reference.
//
// Tolerance: relative L2 <= 1e-5 per tensor. Both sides sum convolutions and every reduction in
// double; what differs is where values are rounded to float (the fused ops round once where the
// reference's separate ops round twice, the conv bias is added after the convolution's rounding)
// and the order of the double sums.
#include <catch2/catch.hpp>

#include "cuda_host/cuda_emulated.hpp"
#include "cuda_host/model_compare.hpp"

using namespace salt;
namespace mc = salt::test::model_compare;

TEST_CASE("cuda_host: the whole model on the emulated CUDA backend matches the reference (os 8, aux)",
          "[cuda_host]") {
    constexpr models::DeepLabV3Config C{.height = 32, .width = 32, .in_channels = 1, .output_stride = 8, .aux = true};
    const mc::Pass got = mc::run<test::CudaEmulated, C>(2);
    const mc::Pass ref = mc::run<backend::Reference, C>(2);
    mc::compare("emulated cuda, os8", got, ref, 1e-5);
    // the fused inference path takes less workspace than the reference's separate ops
    CHECK(got.eval_declared < ref.eval_declared);
}

TEST_CASE("cuda_host: the whole model on the emulated CUDA backend matches the reference (os 16, 3 channels)",
          "[cuda_host]") {
    constexpr models::DeepLabV3Config C{.height = 35, .width = 29, .in_channels = 3, .output_stride = 16};
    const mc::Pass got = mc::run<test::CudaEmulated, C>(3, test::CudaEmulated::options{{64, 5}, test::cu::EmulationOrder::reverse});
    const mc::Pass ref = mc::run<backend::Reference, C>(3);
    mc::compare("emulated cuda, os16", got, ref, 1e-5);
}

// salt train's default model (output stride 16 with the image classifier on layer4), small: the
// classifier's global pool and linear layer, forward and backward, on the emulated CUDA backend.
TEST_CASE("cuda_host: the whole model on the emulated CUDA backend matches the reference (os 16, image classifier)",
          "[cuda_host]") {
    constexpr models::DeepLabV3Config C{.height = 32, .width = 32, .in_channels = 1, .output_stride = 16,
                                        .classification_head = true};
    const mc::Pass got = mc::run<test::CudaEmulated, C>(2);
    const mc::Pass ref = mc::run<backend::Reference, C>(2);
    REQUIRE(ref.cls.size() == 2);
    CHECK(ref.tensors.count("grad.classification_head.1.weight") == 1);
    mc::compare("emulated cuda, os16 + classifier", got, ref, 1e-5);
}
