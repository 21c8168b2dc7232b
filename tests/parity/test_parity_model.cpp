// Parity of the whole DeepLabV3-ResNet50 with torchvision's deeplabv3_resnet50 (num_classes=1, no
// aux), on fixtures generated at test time by tests/parity/make_parity_fixtures.py (CTest runs the
// generator as a fixture-setup test and passes the directory in SALT_PARITY_DIR). Each TEST_CASE is
// one compiled configuration; CTest runs each by name.
#include <cstdlib>
#include <memory>

#include "salt/backend/reference/reference.hpp"
#include "salt/models/deeplabv3.hpp"
#include "support/parity.hpp"
#include "support/test_env.hpp"

using namespace salt;
using B = backend::Reference;

template <models::DeepLabV3Config C>
void model_parity(const char* case_dir) {
    using Model = models::DeepLabV3<float, C, B>;
    const char* root = std::getenv("SALT_PARITY_DIR");
    REQUIRE(root != nullptr);
    const auto dir = std::filesystem::path(root) / case_dir;
    INFO("fixtures in " << dir.string());
    REQUIRE(std::filesystem::exists(dir / "train.safetensors"));
    const auto weights = io::SafetensorsFile::read(dir / "weights.safetensors");
    const auto input = io::SafetensorsFile::read(dir / "input.safetensors");
    constexpr Shape In = Model::in_shape, Out = Model::out_shape;
    const auto& ishape = input.at("input").shape;
    const int n = int(ishape[0]);
    REQUIRE(ishape == std::vector<std::int64_t>{n, In.c, In.h, In.w});
    const auto x = test::nchw_to_nhwc(input.to_float("input"), n, In.c, In.h, In.w);
    Rng rng(1);

    {
        INFO("eval mode");
        const auto eval_out = io::SafetensorsFile::read(dir / "eval_out.safetensors");
        auto model = std::make_unique<Model>();
        const auto report = models::load_weights(*model, weights);
        CHECK(report.loaded == weights.size());
        Workspace<B> ws(model->device(), Model::workspace_bytes(n, nn::Mode::eval));
        nn::Context<B> ctx{ws, nn::Mode::eval, &rng};
        auto y = model->forward(TensorView<const float, In>(x.data(), n), ctx).out;
        auto got = test::nhwc_to_nchw(y.data(), n, Out.c, Out.h, Out.w);
        const double e = test::max_rel(std::vector<double>(got.begin(), got.end()), eval_out.to_double("out"));
        INFO("eval max|d|/max|ref| = " << e);
        CHECK(e <= 1e-4);
        CHECK(ws.high_water() == Model::workspace_bytes(n, nn::Mode::eval));
    }
    {
        INFO("train mode");
        const auto t32 = io::SafetensorsFile::read(dir / "train.safetensors");
        const auto t64 = io::SafetensorsFile::read(dir / "grads_f64.safetensors");
        auto model = std::make_unique<Model>();
        models::load_weights(*model, weights);
        model->set_dropout(0.0);  // as the fixture: every Dropout at p = 0
        Workspace<B> ws(model->device(), Model::workspace_bytes(n, nn::Mode::train));
        nn::Context<B> ctx{ws, nn::Mode::train, &rng};
        auto y = model->forward(TensorView<const float, In>(x.data(), n), ctx).out;
        test::ParityTally tally;
        auto out = test::nhwc_to_nchw(y.data(), n, Out.c, Out.h, Out.w);
        test::check_train_tensor("out", std::vector<double>(out.begin(), out.end()), t32, t64, tally);
        const auto r = test::nchw_to_nhwc(t32.to_float("R"), n, Out.c, Out.h, Out.w);
        auto dy = ctx.take<float, Out>(n);
        std::copy(r.begin(), r.end(), dy.data());
        auto dx = model->backward(dy, ctx);
        CHECK(ws.high_water() == Model::workspace_bytes(n, nn::Mode::train));
        auto gin = test::nhwc_to_nchw(dx.data(), n, In.c, In.h, In.w);
        test::check_train_tensor("grad.input", std::vector<double>(gin.begin(), gin.end()), t32, t64, tally);
        test::check_parameters(*model, t32, t64, tally);
        INFO("worst relative L2 vs torch f32: " << tally.worst << " (" << tally.worst_name << "), " << tally.via_f64
                                                << " of " << tally.tensors << " judged against float64");
        int expected = 2;  // out, grad.input, then every parameter gradient and buffer
        model->visit([&](const auto& p) { expected += p.value ? 1 : 0; });  // num_batches_tracked: exact, not tallied
        CHECK(tally.tensors == expected);
        WARN("parity " << case_dir << ": " << tally.tensors << " tensors, worst rel L2 vs torch f32 " << tally.worst
                       << " (" << tally.worst_name << "), " << tally.via_f64 << " judged against float64, where salt's error is at most "
                       << tally.worst_f64_ratio << " x torch f32's; " << tally.kink_outliers
                       << " with a ReLU-kink outlier left out");
    }
}

TEST_CASE("model parity 1ch-128-os8", "[parity][model]") {
    model_parity<models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 1, .output_stride = 8}>("1ch-128-os8");
}
TEST_CASE("model parity 3ch-128-os16", "[parity][model]") {
    model_parity<models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 3, .output_stride = 16}>("3ch-128-os16");
}
TEST_CASE("model parity 1ch-101-os16", "[parity][model]") {
    model_parity<models::DeepLabV3Config{.height = 101, .width = 101, .in_channels = 1, .output_stride = 16}>("1ch-101-os16");
}
TEST_CASE("model parity 3ch-101-os8", "[parity][model]") {
    model_parity<models::DeepLabV3Config{.height = 101, .width = 101, .in_channels = 3, .output_stride = 8}>("3ch-101-os8");
}
// The BasicBlock encoders: torchvision's resnet34/resnet18 with salt's dilation plan set on its modules.
TEST_CASE("model parity 1ch-128-os16-r34", "[parity][model]") {
    model_parity<models::DeepLabV3Config{.height = 128, .width = 128, .in_channels = 1, .blocks = models::resnet34_blocks,
                                         .block = models::BlockKind::basic, .output_stride = 16}>("1ch-128-os16-r34");
}
TEST_CASE("model parity 1ch-101-os8-r18", "[parity][model]") {
    model_parity<models::DeepLabV3Config{.height = 101, .width = 101, .in_channels = 1, .blocks = models::resnet18_blocks,
                                         .block = models::BlockKind::basic, .output_stride = 8}>("1ch-101-os8-r18");
}
