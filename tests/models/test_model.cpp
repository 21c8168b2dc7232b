// DeepLabV3-ResNet50 as a whole: parameter counts, every intermediate shape, torchvision's
// initialisation, the weights file (round trip, every documented error leaves the model unchanged,
// RGB conv1 folded into a grayscale model, backbone-only loading), the summary, and that a
// forward/backward pass stays inside the workspace it declares.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>

#include <catch2/catch.hpp>

#include "salt/backend/reference/reference.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/nn/batch_norm.hpp"
#include "salt/nn/standalone.hpp"
#include "salt/models/summary.hpp"
#include "salt/models/weights.hpp"

using namespace salt;
using B = backend::Reference;
using models::DeepLabV3;
using models::DeepLabV3Config;

namespace {

constexpr DeepLabV3Config k1ch{.in_channels = 1};
constexpr DeepLabV3Config k3ch{.in_channels = 3};
constexpr DeepLabV3Config kSmall{.height = 32, .width = 32, .in_channels = 1};
constexpr DeepLabV3Config kSmall3{.height = 32, .width = 32, .in_channels = 3};

// A fingerprint of every parameter and buffer, to show a failed load changed nothing.
template <class M>
double fingerprint(M& m) {
    double s = 0, k = 1;
    m.visit([&](const auto& p) {
        if (p.counter) s += double(*p.counter) * (k += 0.001);
        else
            for (std::size_t i = 0; i < p.count; ++i) s += double(p.value[i]) * (k += 1e-7);
    });
    return s;
}

std::filesystem::path temp_path(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / "salt-test-model";
    std::filesystem::create_directories(dir);
    return dir / name;
}

}  // namespace

TEST_CASE("parameter counts are torchvision's", "[unit][model]") {
    STATIC_REQUIRE(DeepLabV3<float, k3ch, B>::parameter_count() == 39633729);
    STATIC_REQUIRE(DeepLabV3<float, k1ch, B>::parameter_count() == 39627457);
    // Output stride and input size change no parameter; the aux FCN head adds 1024*256*9 + BN + 257.
    STATIC_REQUIRE(DeepLabV3<float, DeepLabV3Config{.height = 101, .width = 101, .output_stride = 16}, B>::parameter_count() == 39627457);
    STATIC_REQUIRE(DeepLabV3<float, DeepLabV3Config{.aux = true}, B>::parameter_count() ==
                   39627457 + 1024 * 256 * 9 + 2 * 256 + 256 * 1 + 1);
    // ResNet-101 backbone: torchvision's deeplabv3_resnet101(num_classes=1) has 58,625,857 with RGB.
    STATIC_REQUIRE(DeepLabV3<float, DeepLabV3Config{.in_channels = 3, .blocks = models::resnet101_blocks}, B>::parameter_count() == 58625857);
}

TEST_CASE("intermediate shapes follow torchvision at 128, 101, output stride 8 and 16", "[unit][model]") {
    using M8 = DeepLabV3<float, k1ch, B>;
    STATIC_REQUIRE(M8::Backbone::Stem::out_shape == Shape{32, 32, 64});
    STATIC_REQUIRE(M8::Backbone::Layer1::out_shape == Shape{32, 32, 256});
    STATIC_REQUIRE(M8::Backbone::Layer2::out_shape == Shape{16, 16, 512});
    STATIC_REQUIRE(M8::Backbone::layer3_shape == Shape{16, 16, 1024});
    STATIC_REQUIRE(M8::feature_shape == Shape{16, 16, 2048});
    STATIC_REQUIRE(M8::out_shape == Shape{128, 128, 1});
    using M16 = DeepLabV3<float, DeepLabV3Config{.output_stride = 16}, B>;
    STATIC_REQUIRE(M16::Backbone::layer3_shape == Shape{8, 8, 1024});
    STATIC_REQUIRE(M16::feature_shape == Shape{8, 8, 2048});
    using M101 = DeepLabV3<float, DeepLabV3Config{.height = 101, .width = 101}, B>;
    STATIC_REQUIRE(M101::Backbone::Stem::template layer_type<0>::out_shape == Shape{51, 51, 64});
    STATIC_REQUIRE(M101::Backbone::Stem::out_shape == Shape{26, 26, 64});
    STATIC_REQUIRE(M101::feature_shape == Shape{13, 13, 2048});
    STATIC_REQUIRE(M101::out_shape == Shape{101, 101, 1});
    // replace_stride_with_dilation=[False, True, True]: layer3 = [d1, d2 x5], layer4 = [d2, d4 x2].
    constexpr auto p8 = nn::plan_for_output_stride(8);
    STATIC_REQUIRE(p8.stride[2] == 1);
    STATIC_REQUIRE(p8.first_dilation[2] == 1);
    STATIC_REQUIRE(p8.dilation[2] == 2);
    STATIC_REQUIRE(p8.first_dilation[3] == 2);
    STATIC_REQUIRE(p8.dilation[3] == 4);
    constexpr auto p16 = nn::plan_for_output_stride(16);
    STATIC_REQUIRE(p16.stride[2] == 2);
    STATIC_REQUIRE(p16.first_dilation[3] == 1);
    STATIC_REQUIRE(p16.dilation[3] == 2);
}

TEST_CASE("initialisation follows torchvision and is seeded", "[unit][model]") {
    using M = DeepLabV3<float, kSmall, B>;
    auto a = std::make_unique<M>(42), b = std::make_unique<M>(42), c = std::make_unique<M>(43);
    CHECK(fingerprint(*a) == fingerprint(*b));
    CHECK(fingerprint(*a) != fingerprint(*c));
    a->visit([&](const auto& p) {
        if (p.kind == nn::ParamKind::bn_weight || p.kind == nn::ParamKind::bn_running_var)
            for (std::size_t i = 0; i < p.count; ++i) REQUIRE(p.value[i] == 1.0f);
        if (p.kind == nn::ParamKind::bn_bias || p.kind == nn::ParamKind::bn_running_mean)
            for (std::size_t i = 0; i < p.count; ++i) REQUIRE(p.value[i] == 0.0f);
        if (p.kind != nn::ParamKind::conv_weight || p.count < 100000) return;
        double s = 0, s2 = 0, mx = 0;
        for (std::size_t i = 0; i < p.count; ++i) s += p.value[i], s2 += double(p.value[i]) * p.value[i], mx = std::max(mx, double(std::abs(p.value[i])));
        const double mean = s / double(p.count), sd = std::sqrt(s2 / double(p.count) - mean * mean);
        const double fan_in = double(p.conv.in_channels * p.conv.kernel * p.conv.kernel);
        const double fan_out = double(p.conv.out_channels * p.conv.kernel * p.conv.kernel);
        INFO(p.name << " sd " << sd << " max " << mx);
        if (p.name.rfind("backbone.", 0) == 0) {
            // Kaiming normal, fan_out, ReLU gain: sd = sqrt(2 / fan_out). With >= 1e5 draws the sample
            // sd is within 1% of it (its relative standard error is 1/sqrt(2n) < 0.25%).
            CHECK(std::abs(sd / std::sqrt(2.0 / fan_out) - 1) < 0.01);
        } else {
            // PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), sd = bound / sqrt(3).
            const double bound = 1 / std::sqrt(fan_in);
            CHECK(mx <= bound);
            CHECK(std::abs(sd / (bound / std::sqrt(3.0)) - 1) < 0.01);
        }
    });
}

TEST_CASE("weights: save and load round trip with torchvision's names", "[unit][model]") {
    using M = DeepLabV3<float, kSmall, B>;
    auto a = std::make_unique<M>(1), b = std::make_unique<M>(2);
    const auto path = temp_path("roundtrip.safetensors");
    models::save_weights(*a, path, models::config_metadata<M>());
    const auto f = io::SafetensorsFile::read(path);
    CHECK(f.at("backbone.conv1.weight").shape == std::vector<std::int64_t>{64, 1, 7, 7});
    CHECK(f.at("backbone.layer1.0.downsample.0.weight").shape == std::vector<std::int64_t>{256, 64, 1, 1});
    CHECK(f.at("classifier.0.convs.1.0.weight").shape == std::vector<std::int64_t>{256, 2048, 3, 3});
    CHECK(f.at("classifier.0.convs.4.1.weight").shape == std::vector<std::int64_t>{256, 2048, 1, 1});
    CHECK(f.at("classifier.0.project.0.weight").shape == std::vector<std::int64_t>{256, 1280, 1, 1});
    CHECK(f.at("classifier.4.bias").shape == std::vector<std::int64_t>{1});
    CHECK(f.at("backbone.bn1.num_batches_tracked").dtype == io::DType::I64);
    CHECK(f.metadata().at("salt.output_stride") == "8");
    // torchvision's deeplabv3_resnet50(num_classes=1) state_dict has 362 entries (60 BNs x 5, 61 convs,
    // the last conv's bias).
    CHECK(f.size() == 362);
    const auto report = models::load_weights(*b, f);
    CHECK(report.loaded == 362);
    CHECK(fingerprint(*a) == fingerprint(*b));
}

TEST_CASE("weights: every documented error names the tensor and leaves the model unchanged", "[unit][model]") {
    using M = DeepLabV3<float, kSmall, B>;
    auto src = std::make_unique<M>(1);
    auto m = std::make_unique<M>(7);
    const double before = fingerprint(*m);
    const auto good = temp_path("good.safetensors");
    models::save_weights(*src, good);
    const auto file = io::SafetensorsFile::read(good);

    auto rewrite = [&](auto edit) {
        io::SafetensorsWriter w;
        for (auto r : file.tensors())
            if (edit(r)) w.add(std::move(r));
        return io::SafetensorsFile::parse(w.serialize(), "edited.safetensors");
    };
    SECTION("missing tensor") {
        auto f = rewrite([](io::TensorRecord& r) { return r.name != "backbone.layer2.1.bn2.running_var"; });
        CHECK_THROWS_WITH(models::load_weights(*m, f), Catch::Contains("backbone.layer2.1.bn2.running_var") && Catch::Contains("missing"));
    }
    SECTION("unexpected tensor") {
        io::SafetensorsWriter w;
        for (auto r : file.tensors()) w.add(std::move(r));
        const float extra = 1.0f;
        w.add_f32("classifier.5.bias", {1}, &extra);
        const auto f = io::SafetensorsFile::parse(w.serialize(), "extra.safetensors");
        CHECK_THROWS_WITH(models::load_weights(*m, f), Catch::Contains("unexpected tensor 'classifier.5.bias'"));
    }
    SECTION("wrong shape") {
        auto f = rewrite([](io::TensorRecord& r) {
            if (r.name == "classifier.1.weight") r.shape = {256, 256, 9};
            return true;
        });
        CHECK_THROWS_WITH(models::load_weights(*m, f), Catch::Contains("classifier.1.weight") && Catch::Contains("shape [256, 256, 9]"));
    }
    SECTION("wrong dtype") {
        auto f = rewrite([](io::TensorRecord& r) {
            if (r.name == "backbone.bn1.weight") r.dtype = io::DType::I32;
            return true;
        });
        CHECK_THROWS_WITH(models::load_weights(*m, f), Catch::Contains("backbone.bn1.weight") && Catch::Contains("dtype I32"));
    }
    SECTION("num_batches_tracked must be int64") {
        auto f = rewrite([](io::TensorRecord& r) {
            if (r.name == "backbone.bn1.num_batches_tracked") r.dtype = io::DType::F64;
            return true;
        });
        CHECK_THROWS_WITH(models::load_weights(*m, f), Catch::Contains("num_batches_tracked") && Catch::Contains("expected I64"));
    }
    SECTION("truncated file") {
        std::ifstream in(good, std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
        const auto cut = temp_path("truncated.safetensors");
        std::ofstream(cut, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() - 1000));
        CHECK_THROWS_WITH(models::load_weights(*m, cut), Catch::Contains("truncated") || Catch::Contains("past the end"));
    }
    SECTION("header too large") {
        const auto bad = temp_path("huge-header.safetensors");
        std::ofstream o(bad, std::ios::binary);
        const std::uint64_t n = 200'000'000;
        o.write(reinterpret_cast<const char*>(&n), 8);
        o << "{}";
        o.close();
        CHECK_THROWS_WITH(models::load_weights(*m, bad), Catch::Contains("header too large"));
    }
    SECTION("offsets out of bounds") {
        const auto bad = temp_path("offsets.safetensors");
        const std::string header = R"({"backbone.conv1.weight":{"dtype":"F32","shape":[64,1,7,7],"data_offsets":[0,12544]}})";
        std::ofstream o(bad, std::ios::binary);
        const std::uint64_t n = header.size();
        o.write(reinterpret_cast<const char*>(&n), 8);
        o << header << std::string(100, '\0');
        o.close();
        CHECK_THROWS_WITH(models::load_weights(*m, bad), Catch::Contains("backbone.conv1.weight"));
    }
    CHECK(fingerprint(*m) == before);
}

TEST_CASE("weights: an RGB conv1 folds into a grayscale model by summing over channels", "[unit][model]") {
    auto rgb = std::make_unique<DeepLabV3<float, kSmall3, B>>(5);
    const auto path = temp_path("rgb.safetensors");
    models::save_weights(*rgb, path);
    auto gray = std::make_unique<DeepLabV3<float, kSmall, B>>(6);
    const auto report = models::load_weights(*gray, path);
    REQUIRE(report.adapted.size() == 1);
    CHECK_THAT(report.adapted[0], Catch::Contains("backbone.conv1.weight"));
    const auto f = io::SafetensorsFile::read(path);
    const auto w3 = f.to_float("backbone.conv1.weight");  // OIHW [64, 3, 7, 7]
    std::vector<float> w1(64 * 49);
    ops::conv2d_weight_to_oihw(Conv2dParams{1, 64, 7, 2, 3}, gray->backbone().stem().get<0>().weight(), w1.data());
    for (int o = 0; o < 64; ++o)
        for (int k = 0; k < 49; ++k) {
            const double sum = double(w3[(o * 3 + 0) * 49 + k]) + w3[(o * 3 + 1) * 49 + k] + w3[(o * 3 + 2) * 49 + k];
            REQUIRE(std::abs(w1[o * 49 + k] - sum) <= 1e-6 * (1 + std::abs(sum)));
        }
}

TEST_CASE("weights: backbone-only loading from a plain ResNet checkpoint", "[unit][model]") {
    using M = DeepLabV3<float, kSmall, B>;
    auto src = std::make_unique<M>(3);
    const auto full = temp_path("full.safetensors");
    models::save_weights(*src, full);
    // A classification ResNet's state_dict: the backbone's names without "backbone.", plus fc.
    const auto f = io::SafetensorsFile::read(full);
    io::SafetensorsWriter w;
    for (auto r : f.tensors())
        if (r.name.rfind("backbone.", 0) == 0) {
            r.name = r.name.substr(9);
            w.add(std::move(r));
        }
    std::vector<float> fc(1000 * 2048, 0.5f);
    w.add_f32("fc.weight", {1000, 2048}, fc.data());
    const auto resnet = io::SafetensorsFile::parse(w.serialize(), "resnet50.safetensors");

    auto m = std::make_unique<M>(9);
    double head_before = 0;
    m->classifier().visit("", [&](const auto& p) {
        for (std::size_t i = 0; i < p.count && p.value; ++i) head_before += p.value[i];
    });
    CHECK_THROWS(models::load_weights(*m, resnet));  // a full load needs the head too
    const auto report = models::load_weights(*m, resnet, models::LoadOptions{.backbone_only = true, .prefix = {}});
    CHECK(report.ignored == std::vector<std::string>{"fc.weight"});
    double head_after = 0;
    m->classifier().visit("", [&](const auto& p) {
        for (std::size_t i = 0; i < p.count && p.value; ++i) head_after += p.value[i];
    });
    CHECK(head_after == head_before);
    double a = 0, b = 0;
    src->backbone().visit("", [&](const auto& p) {
        for (std::size_t i = 0; i < p.count && p.value; ++i) a += p.value[i] * double(i % 13 + 1);
    });
    m->backbone().visit("", [&](const auto& p) {
        for (std::size_t i = 0; i < p.count && p.value; ++i) b += p.value[i] * double(i % 13 + 1);
    });
    CHECK(a == b);
}

TEST_CASE("summary lists torchvision's modules and the totals", "[unit][model]") {
    const auto path = temp_path("summary.txt");
    std::FILE* f = std::fopen(path.c_str(), "w");
    models::print_summary<DeepLabV3<float, k1ch, B>>(f);
    std::fclose(f);
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    CHECK_THAT(text, Catch::Contains("backbone.layer4.2.conv3") && Catch::Contains("16x16x2048"));
    CHECK_THAT(text, Catch::Contains("classifier.0.convs.3.0") && Catch::Contains("4,718,592"));
    CHECK_THAT(text, Catch::Contains("parameters: 39,627,457"));
    CHECK_THAT(text, Catch::Contains("training step at batch 8"));
}

TEST_CASE("a backward pass after an inference forward is an error, not wrong gradients", "[unit][model]") {
    using M = DeepLabV3<float, kSmall, B>;
    auto m = std::make_unique<M>(1);
    std::vector<float> x(M::in_shape.size() * 2, 0.5f);
    Workspace<B> ws(m->device(), M::workspace_bytes(2, nn::Mode::train));
    Rng rng(1);
    nn::Context<B> eval{ws, nn::Mode::eval, &rng};
    m->forward(TensorView<const float, M::in_shape>(x.data(), 2), eval);
    auto dy = eval.take<float, M::out_shape>(2);
    CHECK_THROWS_WITH(m->backward(dy, eval), Catch::Contains("backward() after an inference-mode forward"));
    // A layer on its own says the same.
    nn::Standalone<nn::BatchNorm2d<float, Shape{4, 4, 3}, B>> bn;
    std::vector<float> bx(48 * 2, 1.0f);
    ws.reset();
    auto by = bn.forward(TensorView<const float, Shape{4, 4, 3}>(bx.data(), 2), eval);
    CHECK_THROWS_WITH(bn.backward(by, eval), Catch::Contains("BatchNorm2d: backward() after an inference-mode forward"));
    // After a training forward, backward runs.
    ws.reset();
    nn::Context<B> train{ws, nn::Mode::train, &rng};
    m->forward(TensorView<const float, M::in_shape>(x.data(), 2), train);
    auto dt = train.take<float, M::out_shape>(2);
    std::fill_n(dt.data(), dt.size(), 0.f);
    CHECK_NOTHROW(m->backward(dt, train));
}

TEST_CASE("a forward and backward pass takes exactly the declared workspace; ResNet-101 runs", "[unit][model]") {
    auto run = [](auto& model, int batch) {
        using M = std::remove_reference_t<decltype(model)>;
        std::vector<float> x(M::in_shape.size() * batch);
        Rng rng(3);
        for (auto& v : x) v = float(rng.normal());
        for (auto mode : {nn::Mode::eval, nn::Mode::train}) {
            Workspace<B> ws(model.device(), M::workspace_bytes(batch, mode));
            nn::Context<B> ctx{ws, mode, &rng};
            auto y = model.forward(TensorView<const float, M::in_shape>(x.data(), batch), ctx).out;
            for (std::size_t i = 0; i < y.size(); ++i) REQUIRE(std::isfinite(y.data()[i]));
            if (mode == nn::Mode::train) {
                // The declared training step has a loss on the main output and, with the aux head,
                // one on the aux output too.
                auto dy = ctx.template take<float, M::out_shape>(batch);
                std::fill_n(dy.data(), dy.size(), 1.0f / float(dy.size()));
                TensorView<float, M::out_shape> daux;
                if constexpr (M::config.aux) {
                    daux = ctx.template take<float, M::out_shape>(batch);
                    std::fill_n(daux.data(), daux.size(), 0.5f / float(daux.size()));
                }
                auto dx = model.backward(dy, ctx, daux);
                double s = 0;
                for (std::size_t i = 0; i < dx.size(); ++i) s += std::abs(dx.data()[i]);
                CHECK(s > 0);
            }
            // No slack: the declared size is the measured peak (over-reserving is as wrong as
            // under-reserving, which take() would refuse).
            CHECK(ws.high_water() == M::workspace_bytes(batch, mode));
        }
    };
    auto r50 = std::make_unique<DeepLabV3<float, kSmall, B>>(1);
    run(*r50, 2);
    auto aux = std::make_unique<DeepLabV3<float, DeepLabV3Config{.height = 32, .width = 32, .aux = true}, B>>(1);
    run(*aux, 2);
    auto r101 = std::make_unique<DeepLabV3<float, DeepLabV3Config{.height = 24, .width = 24, .blocks = models::resnet101_blocks}, B>>(1);
    run(*r101, 2);
}

// The DeepLabV3+ decoder (nn/deeplabv3plus.hpp) and the BasicBlock encoders, end to end: the whole
// model's gradient (input and a sample of every kind of parameter) against central differences,
// in double on the reference backend. This checks the decoder's wiring — the ASPP output upsampled
// and concatenated with layer1's features, and layer1's gradient from the decoder kept until the
// backbone's backward reaches it — which no single-layer check sees.
TEST_CASE("DeepLabV3+ with a ResNet-18 encoder and the image classifier: gradients match central differences",
          "[gradcheck][model]") {
    constexpr DeepLabV3Config C{.height = 32, .width = 32, .in_channels = 1, .blocks = models::resnet18_blocks,
                                .block = models::BlockKind::basic, .output_stride = 16, .rates = {1, 2, 3},
                                .decoder = models::Decoder::deeplabv3plus, .classification_head = true};
    using M = DeepLabV3<double, C, B>;
    auto m = std::make_unique<M>(4);
    m->set_dropout(0.0);
    const int n = 3;
    Rng rng(12);
    std::vector<double> x(M::in_shape.size() * n), r(M::out_shape.size() * n), rc(static_cast<std::size_t>(n));
    for (auto& v : x) v = rng.normal();
    for (auto& v : r) v = rng.normal();
    for (auto& v : rc) v = 20 * rng.normal();  // the classifier's logit matters as much as the masks'
    Workspace<B> ws(m->device(), M::workspace_bytes(n, nn::Mode::train));
    auto loss = [&] {
        ws.reset();
        nn::Context<B> ctx{ws, nn::Mode::train, &rng};
        auto o = m->forward(TensorView<const double, M::in_shape>(x.data(), n), ctx);
        double s = 0;
        for (std::size_t i = 0; i < o.out.size(); ++i) s += o.out.data()[i] * r[i];
        for (int i = 0; i < n; ++i) s += o.cls.data()[i] * rc[std::size_t(i)];
        return s;
    };
    m->zero_grad();
    ws.reset();
    nn::Context<B> ctx{ws, nn::Mode::train, &rng};
    m->forward(TensorView<const double, M::in_shape>(x.data(), n), ctx);
    auto dy = ctx.take<double, M::out_shape>(n);
    std::copy(r.begin(), r.end(), dy.data());
    auto dc = ctx.take<double, M::cls_shape>(n);
    std::copy(rc.begin(), rc.end(), dc.data());
    auto dxv = m->backward(dy, ctx, {}, dc);
    CHECK(ws.high_water() == M::workspace_bytes(n, nn::Mode::train));
    const std::vector<double> dx(dxv.data(), dxv.data() + dxv.size());
    auto rel = [](double a, double b) { return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-4}); };
    const double h = 1e-5;
    double worst = 0;
    Rng pick(5);
    for (int k = 0; k < 12; ++k) {
        const std::size_t i = pick.below(x.size());
        const double keep = x[i];
        x[i] = keep + h;
        const double lp = loss();
        x[i] = keep - h;
        const double lm = loss();
        x[i] = keep;
        worst = std::max(worst, rel(dx[i], (lp - lm) / (2 * h)));
    }
    // Parameters: elements of layer1's first conv (reached through the decoder and the backbone),
    // the decoder's low-level 1x1 conv, its 3x3 convs, the head, an ASPP branch and a BN. (Not the
    // stem's conv: one of its weights moves a whole channel of the stem's output, and a step of
    // 1e-5 there switches max-pool and ReLU choices, so central differences miss by ~1% even on
    // torchvision's own DeepLabV3.)
    const std::vector<std::string> names = {"backbone.layer1.0.conv1.weight", "decoder.block1.0.weight",
                                            "decoder.block2.0.weight", "decoder.block2.4.weight",
                                            "segmentation_head.0.bias", "decoder.aspp.convs.1.0.weight",
                                            "backbone.layer4.1.bn2.bias", "backbone.layer2.0.downsample.0.weight",
                                            "classification_head.1.weight", "classification_head.1.bias"};
    std::size_t found = 0;
    m->visit([&](const auto& p) {
        if (std::find(names.begin(), names.end(), p.name) == names.end()) return;
        ++found;
        for (int k = 0; k < 3; ++k) {
            const std::size_t i = pick.below(p.count);
            const double g = p.grad[i], keep = p.value[i];
            p.value[i] = keep + h;
            const double lp = loss();
            p.value[i] = keep - h;
            const double lm = loss();
            p.value[i] = keep;
            INFO(p.name << "[" << i << "]: analytic " << g << " numeric " << (lp - lm) / (2 * h));
            CHECK(rel(g, (lp - lm) / (2 * h)) <= 1e-5);
        }
    });
    CHECK(found == names.size());
    INFO("worst input-gradient error " << worst);
    CHECK(worst <= 1e-5);
}
