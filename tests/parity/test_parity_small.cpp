// Parity of single blocks with torchvision, from the committed fixtures in tests/fixtures/parity_small
// (written by tests/parity/make_parity_fixtures.py --small-only): a Bottleneck with a projection, a
// strided and dilated Bottleneck, and an ASPP at reduced width. Eval and train mode, outputs, input
// gradients, every parameter gradient and the running statistics after one training forward.
#include <memory>

#include "salt/backend/reference/reference.hpp"
#include "salt/nn/aspp.hpp"
#include "salt/nn/standalone.hpp"
#include "salt/nn/bottleneck.hpp"
#include "support/parity.hpp"
#include "support/test_env.hpp"

using namespace salt;
using B = backend::Reference;

template <class Layer>
void block_parity(const std::string& case_name) {
    const auto dir = test::fixture_dir() / "parity_small" / case_name;
    const auto weights = io::SafetensorsFile::read(dir / "weights.safetensors");
    const auto input = io::SafetensorsFile::read(dir / "input.safetensors");
    const auto eval_out = io::SafetensorsFile::read(dir / "eval_out.safetensors");
    const auto t32 = io::SafetensorsFile::read(dir / "train.safetensors");
    const auto t64 = io::SafetensorsFile::read(dir / "grads_f64.safetensors");
    constexpr Shape In = Layer::in_shape, Out = Layer::out_shape;
    const auto& ishape = input.at("input").shape;
    const int n = int(ishape[0]);
    REQUIRE(ishape == std::vector<std::int64_t>{n, In.c, In.h, In.w});
    auto x = test::nchw_to_nhwc(input.to_float("input"), n, In.c, In.h, In.w);

    B::device dev;
    Workspace<B> ws(dev, Layer::forward_peak(n, nn::Mode::train) + Layer::forward_keep(n, nn::Mode::train) +
                             Layer::backward_peak(n) + aligned_bytes<float>(Out.size() * n));
    Rng rng(1);
    SECTION("eval mode") {
        auto layer = std::make_unique<nn::Standalone<Layer>>(dev);
        models::load_weights(*layer, weights);
        nn::Context<B> ctx{ws, nn::Mode::eval, &rng};
        auto y = layer->forward(TensorView<float, In>(x.data(), n), ctx);
        auto got = test::nhwc_to_nchw(y.data(), n, Out.c, Out.h, Out.w);
        const auto ref = eval_out.to_double("out");
        const double e = test::max_rel(std::vector<double>(got.begin(), got.end()), ref);
        INFO("eval max|d|/max|ref| = " << e);
        CHECK(e <= 1e-4);
    }
    SECTION("train mode: output, gradients, running statistics") {
        auto layer = std::make_unique<nn::Standalone<Layer>>(dev);
        models::load_weights(*layer, weights);
        if constexpr (requires { layer->layer().project(); })
            layer->layer().project().template get<3>().set_rate(0.0);  // as the fixture
        nn::Context<B> ctx{ws, nn::Mode::train, &rng};
        auto y = layer->forward(TensorView<float, In>(x.data(), n), ctx);
        test::ParityTally tally;
        auto out = test::nhwc_to_nchw(y.data(), n, Out.c, Out.h, Out.w);
        test::check_train_tensor("out", std::vector<double>(out.begin(), out.end()), t32, t64, tally);
        auto r = test::nchw_to_nhwc(t32.to_float("R"), n, Out.c, Out.h, Out.w);
        auto dy = ctx.take<float, Out>(n);
        std::copy(r.begin(), r.end(), dy.data());
        auto dx = layer->backward(dy, ctx);
        auto gin = test::nhwc_to_nchw(dx.data(), n, In.c, In.h, In.w);
        test::check_train_tensor("grad.input", std::vector<double>(gin.begin(), gin.end()), t32, t64, tally);
        test::check_parameters(*layer, t32, t64, tally);
        INFO("worst relative L2 vs torch f32: " << tally.worst << " (" << tally.worst_name << "), " << tally.via_f64
                                                << " of " << tally.tensors << " judged against float64");
        CHECK(tally.tensors > 10);
    }
}

TEST_CASE("parity: torchvision Bottleneck, stride 1, with projection", "[parity]") {
    block_parity<nn::Bottleneck<float, Shape{7, 7, 32}, 16, 1, 1, B>>("bottleneck_s1");
}
TEST_CASE("parity: torchvision Bottleneck, stride 2, dilation 2", "[parity]") {
    block_parity<nn::Bottleneck<float, Shape{9, 9, 64}, 16, 2, 2, B>>("bottleneck_s2_d2");
}
TEST_CASE("parity: torchvision ASPP at reduced width", "[parity]") {
    block_parity<nn::ASPP<float, Shape{8, 8, 32}, 16, 2, 4, 6, B>>("aspp");
}
TEST_CASE("parity: torchvision Bottleneck, identity shortcut, dilation 2", "[parity]") {
    block_parity<nn::Bottleneck<float, Shape{6, 5, 64}, 16, 1, 2, B>>("bottleneck_identity_d2");
}
