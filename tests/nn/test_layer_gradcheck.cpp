// Gradient checks of composite layers: these catch what op-level checks cannot — a wrong wiring of
// branches, a residual gradient dropped, a workspace compaction that overwrites a live tensor.
#include "nn/layer_gradcheck.hpp"
#include "salt/nn/aspp.hpp"
#include "salt/nn/bottleneck.hpp"
#include "salt/nn/spec.hpp"

using namespace salt;
using B = backend::Reference;

template <class Layer>
void check_layer(int batch = 2) {
    test::LayerGradcheck<Layer> g;
    g.batch = batch;
    g.run();
    INFO("workspace high water " << g.peak_bytes << ", declared " << g.declared_bytes);
    CHECK(g.max_input_error <= 1e-6);
    CHECK(g.max_param_error <= 1e-6);
}

TEST_CASE("Sequential conv-bn-relu-pool chain", "[gradcheck][nn]") {
    check_layer<nn::Sequential<double, Shape{9, 7, 3}, B, nn::spec::conv<3, 4, 3, 2, 1>, nn::spec::batch_norm,
                               nn::spec::relu, nn::spec::max_pool<3, 2, 1>, nn::spec::conv<4, 5, 1, 1, 0, 1, true>>>();
}

TEST_CASE("Bottleneck with identity shortcut", "[gradcheck][nn]") {
    check_layer<nn::Bottleneck<double, Shape{5, 6, 16}, 4, 1, 1, B>>();
}

TEST_CASE("Bottleneck with strided downsample", "[gradcheck][nn]") {
    check_layer<nn::Bottleneck<double, Shape{7, 7, 8}, 4, 2, 1, B>>();
}

TEST_CASE("Bottleneck dilated with projection", "[gradcheck][nn]") {
    check_layer<nn::Bottleneck<double, Shape{6, 5, 8}, 4, 1, 2, B>>();
}

TEST_CASE("ResNet-style chain of bottlenecks", "[gradcheck][nn]") {
    check_layer<nn::Sequential<double, Shape{8, 8, 8}, B, nn::spec::bottleneck<4, 2, 1>, nn::spec::bottleneck<4, 1, 2>>>();
}

TEST_CASE("ASPP at reduced width (dropout off)", "[gradcheck][nn]") {
    check_layer<nn::ASPP<double, Shape{6, 5, 6}, 3, 1, 2, 3, B, 0.0>>();
}

TEST_CASE("ASPP with dropout (fixed mask)", "[gradcheck][nn]") {
    check_layer<nn::ASPP<double, Shape{4, 4, 4}, 3, 1, 2, 5, B, 0.5>>();
}
