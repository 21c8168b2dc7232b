// Adam / AdamW against torch.optim (tests/fixtures/train/adam.safetensors): 5 steps with different
// gradients and a learning rate changed between steps, on a real salt module (Conv2d 3->4, 3x3,
// with bias, then BatchNorm2d: torch names conv.* / bn.* map to 0.* / 1.*), weight decay on the
// conv weight only (ParamRef::decays()), in torch as two parameter groups.
//
// Double: parameters after every step and the final moments to relative error 1e-6 per element
// (measured ~1e-16); floor 1e-12 for elements that are (nearly) zero.
// Float: salt rounds each of torch's tensor ops to float once (with torch's float-cast scalars);
// torch's float kernels may round inside an op too, so the two can differ by about an ulp
// (6e-8) per op, a few ops per step. Per element |a - r| <= 1e-6 |r| (a floor of 1e-9 max|r| only
// guards exact zeros); measured 1.6e-7 at worst over 5 steps, parameters and moments.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/backend/reference/reference.hpp"
#include "salt/nn/parameter.hpp"
#include "salt/nn/spec.hpp"
#include "salt/nn/sequential.hpp"  // after spec.hpp: it uses join_name without including parameter.hpp
#include "salt/nn/standalone.hpp"
#include "salt/ops/conv2d.hpp"
#include "salt/train/optimizer.hpp"
#include "train/train_fixture.hpp"

using namespace salt;
using namespace salt::train;

namespace {

using B = backend::Reference;
template <class T>
using Net = nn::Standalone<
    nn::Sequential<T, Shape{5, 5, 3}, B, nn::spec::conv<3, 4, 3, 1, 1, 1, true>, nn::spec::batch_norm>>;

std::string torch_name(const std::string& salt_name) {
    if (salt_name.rfind("0.", 0) == 0) return "conv." + salt_name.substr(2);
    if (salt_name.rfind("1.", 0) == 0) return "bn." + salt_name.substr(2);
    return salt_name;
}

template <class T>
std::vector<nn::ParamRef<T>> trainable(Net<T>& net) {
    std::vector<nn::ParamRef<T>> out;
    nn::visit_parameters(net, [&](const nn::ParamRef<T>& p) {
        if (p.trainable()) out.push_back(p);
    });
    return out;
}

// Writes torch-layout values into a parameter's value (or grad) array.
template <class T>
void put(const nn::ParamRef<T>& p, const std::vector<double>& torch_values, T* dst) {
    REQUIRE(torch_values.size() == p.count);
    std::vector<T> v(torch_values.begin(), torch_values.end());
    if (p.kind == nn::ParamKind::conv_weight) ops::conv2d_weight_from_oihw(salt::WeightLayout::hwio, p.conv, v.data(), dst);
    else std::copy(v.begin(), v.end(), dst);
}

// A parameter's values in torch's layout.
template <class T>
std::vector<T> get(const nn::ParamRef<T>& p, const T* src) {
    std::vector<T> v(p.count);
    if (p.kind == nn::ParamKind::conv_weight) ops::conv2d_weight_to_oihw(salt::WeightLayout::hwio, p.conv, src, v.data());
    else std::copy(src, src + p.count, v.begin());
    return v;
}

template <class T>
double tensor_error(const std::vector<T>& a, const std::vector<double>& r) {
    if constexpr (std::is_same_v<T, double>) return test::max_rel_error<double>(a, r, 1e-12);
    double scale = 0.0;
    for (double x : r) scale = std::max(scale, std::abs(x));
    return test::max_rel_error<T>(a, r, 1e-9 * scale);
}

template <class T>
void run_case(const std::string& name) {
    const auto f = test::train_fixture("adam.safetensors");
    const std::string tag = std::is_same_v<T, double> ? "f64" : "f32";
    const auto cfg = f.to_double(name + ".config");  // weight_decay, beta1, beta2, eps
    const auto lrs = f.to_double("lrs");
    AdamOptions o;
    o.weight_decay = cfg[0];
    o.beta1 = cfg[1];
    o.beta2 = cfg[2];
    o.eps = cfg[3];
    o.decoupled = name == "adamw";
    Net<T> net;
    const auto params = trainable(net);
    REQUIRE(params.size() == 4);
    for (const auto& p : params) put(p, f.to_double("init." + torch_name(p.name)), p.value);
    Adam<T, B> opt(net, o);
    REQUIRE(opt.parameter_count() == 4);
    double worst = 0.0;
    for (std::size_t s = 0; s < lrs.size(); ++s) {
        for (const auto& p : params) put(p, f.to_double("grad" + std::to_string(s) + "." + torch_name(p.name)), p.grad);
        opt.set_lr(lrs[s]);
        opt.step();
        for (const auto& p : params) {
            const auto ref = f.to_double(name + "." + tag + ".step" + std::to_string(s) + "." + torch_name(p.name));
            const double e = tensor_error(get(p, p.value), ref);
            INFO(name << " " << tag << " step " << s << " " << p.name << ": max rel err " << e);
            CHECK(e <= 1e-6);
            worst = std::max(worst, e);
        }
    }
    CHECK(opt.step_count() == std::int64_t(lrs.size()));
    // The moments, through the saved state (torch layout, as torch's exp_avg / exp_avg_sq).
    const auto st = io::SafetensorsFile::parse(opt.state_bytes());
    CHECK(st.to_int64("adam.step") == std::vector<std::int64_t>{5});
    for (const auto& p : params) {
        for (const char* mv : {"m", "v"}) {
            const auto ref = f.to_double(name + "." + tag + "." + mv + "." + torch_name(p.name));
            const auto& rec = st.at(std::string("adam.") + mv + "." + p.name);
            CHECK(rec.shape == p.torch_shape);
            CHECK(rec.dtype == (std::is_same_v<T, float> ? io::DType::F32 : io::DType::F64));
            const auto got = st.to_double(rec.name);
            const double e = tensor_error(std::vector<T>(got.begin(), got.end()), ref);
            INFO(name << " " << tag << " " << mv << " " << p.name << ": max rel err " << e);
            CHECK(e <= 1e-6);
            worst = std::max(worst, e);
        }
    }
    std::printf("  %-8s %s: max rel err over 5 steps and moments %.2e\n", name.c_str(), tag.c_str(), worst);
}

}  // namespace

TEST_CASE("Adam and AdamW match torch.optim step by step (double)", "[train][optimizer]") {
    for (const char* c : {"adam", "adam_l2", "adamw"}) run_case<double>(c);
}

TEST_CASE("Adam and AdamW match torch.optim step by step (float)", "[train][optimizer]") {
    for (const char* c : {"adam", "adam_l2", "adamw"}) run_case<float>(c);
}

TEST_CASE("Adam skips buffers and decays only conv weights", "[train][optimizer]") {
    Net<double> net;
    AdamOptions o;
    o.weight_decay = 0.5;
    o.decoupled = true;
    AdamW<double, B> opt(net, o);
    REQUIRE(opt.parameter_count() == 4);
    CHECK(opt.parameter(0).name == "0.weight");
    CHECK(opt.parameter(3).name == "1.bias");
    std::vector<nn::ParamRef<double>> all;
    nn::visit_parameters(net, [&](const nn::ParamRef<double>& p) { all.push_back(p); });
    for (auto& p : all)
        if (p.value) std::fill_n(p.value, p.count, 1.0);
    opt.zero_grad();
    opt.step();  // zero gradients: only the decoupled decay moves anything
    for (auto& p : all) {
        if (!p.value) continue;
        const double expect = p.decays() ? 1.0 - 1e-3 * 0.5 : 1.0;
        for (std::size_t i = 0; i < p.count; ++i) CHECK(p.value[i] == expect);
    }
}

TEST_CASE("Adam state round-trips and resumes bit for bit", "[train][optimizer]") {
    const auto f = test::train_fixture("adam.safetensors");
    auto setup = [&](Net<float>& net) {
        for (const auto& p : trainable(net)) put(p, f.to_double("init." + torch_name(p.name)), p.value);
    };
    auto grads = [&](Net<float>& net, int s) {
        for (const auto& p : trainable(net)) put(p, f.to_double("grad" + std::to_string(s) + "." + torch_name(p.name)), p.grad);
    };
    AdamOptions o;
    o.weight_decay = 0.01;
    Net<float> a, b;
    setup(a);
    setup(b);
    Adam<float, B> oa(a, o), ob(b, o);
    for (int s = 0; s < 3; ++s) {
        grads(a, s), oa.step();
        grads(b, s), ob.step();
    }
    const auto bytes = ob.state_bytes();
    // A fresh optimizer on a copy of b's parameters, resumed from the bytes.
    Net<float> c;
    const auto pb = trainable(b), pc = trainable(c);
    for (std::size_t i = 0; i < pb.size(); ++i) std::copy_n(pb[i].value, pb[i].count, pc[i].value);
    Adam<float, B> oc(c, o);
    oc.load_state_bytes(bytes);
    CHECK(oc.step_count() == 3);
    for (int s = 3; s < 5; ++s) {
        grads(a, s), oa.step();
        grads(c, s), oc.step();
    }
    const auto pa = trainable(a);
    for (std::size_t i = 0; i < pa.size(); ++i)
        for (std::size_t j = 0; j < pa[i].count; ++j) CHECK(pa[i].value[j] == pc[i].value[j]);
    CHECK(oa.state_bytes() == oc.state_bytes());

    // Through a safetensors writer with another prefix, next to other tensors.
    io::SafetensorsWriter w;
    w.add_f32("something.else", {1}, pa[0].value);
    oa.save(w, "opt");
    Adam<float, B> od(c, o);
    od.load(io::SafetensorsFile::parse(w.serialize()), "opt");
    CHECK(od.state_bytes("opt") == oa.state_bytes("opt"));
}

TEST_CASE("Adam state loading rejects mismatched files and leaves the state unchanged", "[train][optimizer]") {
    Net<float> net;
    Adam<float, B> opt(net, {});
    opt.zero_grad();
    opt.step();
    const auto good = opt.state_bytes();
    const auto before = opt.state_bytes();
    auto with = [&](auto edit) {
        const auto src = io::SafetensorsFile::parse(good);
        io::SafetensorsWriter w;
        for (auto t : src.tensors()) {
            if (edit(t)) w.add(std::move(t));
        }
        return w.serialize();
    };
    // Missing a moment.
    auto bytes = with([](io::TensorRecord& t) { return t.name != "adam.v.1.weight"; });
    CHECK_THROWS_WITH(opt.load_state_bytes(bytes), Catch::Contains("adam.v.1.weight") && Catch::Contains("missing"));
    // Wrong shape.
    bytes = with([](io::TensorRecord& t) {
        if (t.name == "adam.m.0.weight") t.shape = {4, 27};
        return true;
    });
    CHECK_THROWS_WITH(opt.load_state_bytes(bytes), Catch::Contains("adam.m.0.weight") && Catch::Contains("[4, 27]") &&
                                                       Catch::Contains("[4, 3, 3, 3]"));
    // An unknown tensor under the prefix (another model).
    bytes = with([](io::TensorRecord& t) {
        if (t.name == "adam.m.1.bias") t.name = "adam.m.2.bias";
        return true;
    });
    CHECK_THROWS_WITH(opt.load_state_bytes(bytes), Catch::Contains("adam.m.1.bias") && Catch::Contains("missing"));
    // Wrong dtype of the step.
    bytes = with([](io::TensorRecord& t) {
        if (t.name == "adam.step") t.dtype = io::DType::F64;
        return true;
    });
    CHECK_THROWS_WITH(opt.load_state_bytes(bytes), Catch::Contains("adam.step") && Catch::Contains("I64"));
    // Extra tensor under the prefix.
    {
        auto src = io::SafetensorsFile::parse(good);
        io::SafetensorsWriter w;
        for (auto t : src.tensors()) w.add(std::move(t));
        const float x = 0;
        w.add_f32("adam.m.head.weight", {1}, &x);
        CHECK_THROWS_WITH(opt.load_state_bytes(w.serialize()), Catch::Contains("adam.m.head.weight"));
    }
    // Wrong prefix.
    CHECK_THROWS_WITH(opt.load_state_bytes(good, "sgd"), Catch::Contains("sgd.step"));
    CHECK(opt.state_bytes() == before);
    CHECK_THROWS_AS((Adam<float, B>(net, AdamOptions{.lr = 1e-3, .beta1 = 1.0})), std::invalid_argument);
}
