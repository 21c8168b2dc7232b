// Device emulation without a device: the model, the trainer, inference with test-time augmentation,
// weights files and checkpoints run on Guarded<Simd> (guarded_backend.hpp), whose memory the host
// cannot touch outside the backend's own calls. Each scenario must run without a fault and give the
// simd backend's results bit for bit.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "data/tgs_fixture.hpp"
#include "device_emulation/guarded_backend.hpp"
#include "salt/backend/simd/simd.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/models/weights.hpp"
#include "salt/train/inference.hpp"
#include "salt/train/trainer.hpp"

using namespace salt;
using S = backend::Simd;
using G = test::Guarded<backend::Simd>;
constexpr models::DeepLabV3Config kCfg{.height = 32, .width = 32, .in_channels = 1};
constexpr models::DeepLabV3Config kAux{.height = 32, .width = 32, .in_channels = 1, .output_stride = 16, .aux = true};

namespace {

std::vector<float> values(auto& model) { return model.parameters().download().values(); }

std::filesystem::path fresh_dir(const std::string& name) {
    auto d = std::filesystem::temp_directory_path() / ("salt_guarded_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    return d;
}

// Two training steps (forward, BCE+Dice on the main output and Lovasz on the aux output when there
// is one, backward, Adam) from seed 5; returns the losses, the last input gradient and the parameters.
template <class B, models::DeepLabV3Config C>
std::tuple<std::vector<double>, std::vector<float>, std::vector<float>> train_steps() {
    using M = models::DeepLabV3<float, C, B>;
    auto m = std::make_unique<M>(5);
    auto& dev = m->device();
    const int n = 2;
    Workspace<B> ws(dev, M::workspace_bytes(n, nn::Mode::train));
    Rng data(9);
    std::vector<float> x(M::in_shape.size() * n), t(M::out_shape.size() * n);
    for (auto& v : x) v = float(data.normal());
    for (auto& v : t) v = data.uniform() < 0.4 ? 1.f : 0.f;
    Tensor<float, M::in_shape, B> xt(dev, n);
    Tensor<float, M::out_shape, B> tt(dev, n);
    xt.upload(x);
    tt.upload(t);
    train::Adam<float, B> adam(*m, train::AdamOptions{.lr = 1e-3, .weight_decay = 1e-4, .decoupled = true});
    const MapGeometry g{n, M::out_shape.h, M::out_shape.w, Region{3, 2, 27, 28}};
    std::vector<double> losses;
    std::vector<float> dx;
    Rng drop(1);
    for (int step = 0; step < 2; ++step) {
        ws.reset();
        adam.zero_grad();
        nn::Context<B> ctx{ws, nn::Mode::train, &drop};
        auto o = m->forward(xt.view(), ctx);
        auto dy = ctx.template take<float, M::out_shape>(n);
        losses.push_back(train::compute_loss(dev, train::LossKind::bce_dice, g, static_cast<const float*>(o.out.data()),
                                             static_cast<const float*>(tt.data()), dy.data()));
        TensorView<float, M::out_shape> daux;
        if constexpr (C.aux) {
            daux = ctx.template take<float, M::out_shape>(n);
            losses.push_back(train::compute_loss(dev, train::LossKind::lovasz, g, static_cast<const float*>(o.aux.data()),
                                                 static_cast<const float*>(tt.data()), daux.data()));
        }
        auto gx = m->backward(dy, ctx, daux);
        dx = download<B>(dev, gx.data(), gx.size());
        adam.step();
    }
    return {losses, dx, values(*m)};
}

}  // namespace

TEST_CASE("guarded memory: a host access outside the backend's calls faults", "[device_emulation]") {
    // The guard itself, so the other tests could fail: a child process reads a guarded buffer.
    G::device dev;
    Buffer<float, G> b(dev, 1000);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::signal(SIGSEGV, SIG_DFL);  // not Catch's handler: the child must just die of it
        volatile float v = b.data()[10];  // must fault
        (void)v;
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGSEGV);
    // Through the backend the same memory is fine.
    std::vector<float> h(1000, 2.5f);
    b.upload(h);
    CHECK(b.download() == h);
}

TEST_CASE("guarded memory: training steps equal the simd backend's bit for bit", "[device_emulation]") {
    {
        const auto [ls, dxs, ps] = train_steps<S, kCfg>();
        const auto [lg, dxg, pg] = train_steps<G, kCfg>();
        CHECK(ls == lg);
        CHECK(dxs == dxg);
        const bool same = ps == pg;  // (not CHECK(ps == pg): Catch would print both vectors)
        CHECK(same);
    }
    {  // output stride 16, the aux head with its own loss (Lovasz)
        const auto [ls, dxs, ps] = train_steps<S, kAux>();
        const auto [lg, dxg, pg] = train_steps<G, kAux>();
        CHECK(ls == lg);
        CHECK(dxs == dxg);
        const bool same = ps == pg;
        CHECK(same);
    }
}

TEST_CASE("guarded memory: inference with test-time augmentation equals the simd backend's", "[device_emulation]") {
    using MS = models::DeepLabV3<float, kCfg, S>;
    using MG = models::DeepLabV3<float, kCfg, G>;
    auto ms = std::make_unique<MS>(3);
    auto mg = std::make_unique<MG>(3);
    train::Predictor<MS> ps(*ms, 3);
    train::Predictor<MG> pg(*mg, 3);
    Rng r(4);
    std::vector<float> x(MS::in_shape.size() * 3), xm(x.size()), truth(27 * 25 * 3);
    for (auto& v : x) v = float(r.normal());
    for (auto& v : xm) v = float(r.normal());
    for (auto& v : truth) v = r.uniform() < 0.5 ? 1.f : 0.f;
    const Region reg{2, 4, 27, 25};
    ps.predict(x, xm, 3, reg);
    pg.predict(x, xm, 3, reg);
    CHECK(ps.logits() == pg.logits());
    CHECK(ps.probabilities() == pg.probabilities());
    CHECK(ps.masks(0.3f) == pg.masks(0.3f));
    const std::vector<double> th{0.0, 1.0};
    CHECK(ps.stats(truth, th) == pg.stats(truth, th));
    // without TTA too
    const std::span<const float> two(x.data(), MS::in_shape.size() * 2);
    ps.predict(two, {}, 2, reg);
    pg.predict(two, {}, 2, reg);
    CHECK(ps.logits() == pg.logits());
}

TEST_CASE("guarded memory: weights save and load through host staging", "[device_emulation]") {
    using MS = models::DeepLabV3<float, kCfg, S>;
    using MG = models::DeepLabV3<float, kCfg, G>;
    auto mg = std::make_unique<MG>(8);
    const auto path = fresh_dir("weights").string() + ".safetensors";
    models::save_weights(*mg, path, models::config_metadata<MG>());
    auto ms = std::make_unique<MS>();
    models::load_weights(*ms, path);
    CHECK(values(*ms) == values(*mg));
    auto mg2 = std::make_unique<MG>();
    models::load_weights(*mg2, path);
    CHECK(values(*mg2) == values(*mg));
    std::filesystem::remove(path);
}

TEST_CASE("guarded memory: the trainer's checkpoints resume to the simd backend's weights", "[device_emulation]") {
    using MS = models::DeepLabV3<float, kCfg, S>;
    using MG = models::DeepLabV3<float, kCfg, G>;
    test::TempTgs tgs(32, 4, "guarded");
    data::TgsOptions to;
    to.root = tgs.root;
    const auto ds = data::load_tgs(to);
    auto tiny = [](const std::filesystem::path& out) {
        train::TrainOptions o;
        o.out = out;
        o.epochs = 3;
        o.batch = 4;
        o.val_fraction = 0.25;
        o.max_steps_per_epoch = 2;
        o.seed = 11;
        o.progress = false;
        o.loss_on_image_only = true;
        return o;
    };
    const auto a = fresh_dir("simd");
    {
        train::Trainer<MS> t(ds, tiny(a));
        t.run();
    }
    const auto b = fresh_dir("guarded");
    {
        auto opt = tiny(b);
        opt.after_epoch = [](int epoch) {
            if (epoch == 1) throw std::runtime_error("simulated kill after epoch 1");
        };
        train::Trainer<MG> t(ds, opt);
        CHECK_THROWS_WITH(t.run(), Catch::Contains("simulated kill"));
    }
    {
        auto opt = tiny(b);
        opt.resume = true;
        train::Trainer<MG> t(ds, opt);
        const auto r = t.run();
        CHECK(r.history.size() == 3);
    }
    const auto ca = io::SafetensorsFile::read(a / "last.ckpt"), cb = io::SafetensorsFile::read(b / "last.ckpt");
    std::size_t compared = 0;
    for (const auto& name : ca.names()) {
        if (ca.at(name).dtype != io::DType::F32) continue;
        const bool same = ca.to_float(name) == cb.to_float(name);
        INFO(name);
        CHECK(same);
        ++compared;
    }
    CHECK(compared > 300);
    // The logs agree in everything but the timings (the last two columns).
    auto metrics = [](const std::filesystem::path& log) {
        std::vector<std::string> rows;
        std::istringstream in(io::read_file_text(log));
        for (std::string line; std::getline(in, line);) {
            std::size_t cut = line.size();
            for (int k = 0; k < 2 && cut != std::string::npos; ++k) cut = line.rfind(',', cut - 1);
            rows.push_back(line.substr(0, cut));
        }
        return rows;
    };
    const auto la = metrics(a / "log.csv"), lb = metrics(b / "log.csv");
    CHECK(la.size() == 4);
    CHECK(la == lb);
    std::filesystem::remove_all(a);
    std::filesystem::remove_all(b);
}
