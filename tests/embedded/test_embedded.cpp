// The embedded inference path (salt/embedded/) against the model on the reference backend: the same
// weights (BatchNorm statistics randomised, so folding is exercised), packed by
// models::embedded_blob, run by code compiled with -fno-exceptions -fno-rtti
// (embedded_no_exceptions.cpp), with every heap allocation counted while it loads and runs.
//
// Tolerance: the embedded path folds BN into the weights (in double, rounded once to float) and sums
// in another order than the reference's conv + BN; both are fp32, so per layer they differ by a few
// ulps of each output's sum, and over a network of this depth the logits' relative L2 difference
// stays far below 1e-4 (measured: see the WARN lines); a wrong tap, stride, dilation, padding,
// bias, ordering or bilinear weight moves it to order 1.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "embedded_configs.hpp"
#include "salt/backend/reference/reference.hpp"
#include "salt/data/preprocess.hpp"
#include "salt/embedded/deeplabv3.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/models/export_embedded.hpp"
#include "salt/models/quantize_embedded.hpp"
#include "salt/embedded/openmp_parallel.hpp"
#include "backwards_runner.hpp"
#include "salt/models/weights.hpp"
#include "salt/train/inference.hpp"
#include "salt/train/postprocess.hpp"
#ifdef SALT_COUNT_ALLOCATIONS
#include "count_allocations.hpp"
#endif

using namespace salt;
using embedded::Status;

namespace {

double rel_l2(const std::vector<float>& got, const std::vector<float>& ref) {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double d = double(got[i]) - double(ref[i]);
        num += d * d, den += double(ref[i]) * double(ref[i]);
    }
    return std::sqrt(num / den);
}

// An aligned heap arena for the test (the example uses a static array).
struct TestArena {
    std::size_t bytes;
    std::unique_ptr<unsigned char, void (*)(void*)> mem;
    explicit TestArena(std::size_t n)
        : bytes(n), mem(static_cast<unsigned char*>(std::aligned_alloc(64, (n + 63) / 64 * 64)), std::free) {}
    embedded_test::Arena arena() const { return {mem.get(), bytes}; }
};

// A reference-backend model with torchvision's initialisation and randomised BN statistics and
// affine parameters, saved with the given pre- and post-processing, and its embedded blob.
template <models::DeepLabV3Config C>
struct Fixture {
    using Model = models::DeepLabV3<float, C, backend::Reference>;
    std::unique_ptr<Model> model;
    std::filesystem::path path;
    std::vector<unsigned char> blob;

    Fixture(std::uint64_t seed, const data::Preprocess& pre, const train::PostProcess& post) {
        model = std::make_unique<Model>(seed);
        auto host = model->parameters().download();
        std::mt19937 gen{unsigned(seed)};
        std::uniform_real_distribution<float> u(0.f, 1.f);
        nn::visit_parameters(*model, [&](const auto& p) {
            float lo = 0, hi = 0;
            switch (p.kind) {
                case nn::ParamKind::bn_weight: lo = 0.4f, hi = 1.2f; break;
                case nn::ParamKind::bn_bias: lo = -0.2f, hi = 0.2f; break;
                case nn::ParamKind::bn_running_mean: lo = -0.3f, hi = 0.3f; break;
                case nn::ParamKind::bn_running_var: lo = 0.5f, hi = 2.0f; break;
                default: return;
            }
            float* v = host.at(p.value);
            for (std::size_t i = 0; i < p.count; ++i) v[i] = lo + (hi - lo) * u(gen);
        });
        model->parameters().upload(host);
        path = std::filesystem::temp_directory_path() /
               ("salt_embedded_" + std::to_string(::getpid()) + "_" + std::to_string(C.height) + ".safetensors");
        auto meta = models::config_metadata<Model>();
        for (const auto& kv : pre.metadata()) meta.insert(kv);
        for (const auto& kv : post.metadata()) meta.insert(kv);
        models::save_weights(*model, path, meta);
        const embedded::Settings s{pre.norm.mean, pre.norm.std, post.threshold, post.gate, post.min_area, post.tta};
        blob = models::embedded_blob<C>(io::SafetensorsFile::read(path), s);
    }
    ~Fixture() { std::filesystem::remove(path); }

    // The reference: eval-mode logits over `region` and the classifier's probability (1 without).
    std::pair<std::vector<float>, double> reference(const std::vector<float>& input, const std::vector<float>& mirrored,
                                                    Region region) {
        train::Predictor<Model> pred(*model, 1);
        pred.predict(input, mirrored, 1, region);
        const double p = C.classification_head ? pred.image_probabilities().at(0) : 1.0;
        return {pred.logits(), p};
    }
};

std::vector<float> random_input(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> d(0.f, 1.f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(gen);
    return v;
}

// A smooth image with structure (so masks have edges), values 0..255.
io::Image8 test_image(int w, int h, unsigned seed) {
    io::Image8 img(w, h, 1);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u(0, 1);
    const double fx = 0.05 + 0.2 * u(gen), fy = 0.05 + 0.2 * u(gen), ph = 6.3 * u(gen);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.pixels[std::size_t(y) * std::size_t(w) + std::size_t(x)] =
                std::uint8_t(std::clamp(127.5 + 100 * std::sin(fx * x + fy * y * y * 0.1 + ph) + 20 * (u(gen) - 0.5), 0.0, 255.0));
    return img;
}

}  // namespace

TEST_CASE("embedded: the arena size is a compile-time constant that covers weights and activations", "[embedded]") {
    using Net = embedded::DeepLabV3<embedded_test::kBasic>;
    static_assert(Net::arena_bytes > Net::weights_bytes);
    constexpr std::size_t params = models::DeepLabV3<float, embedded_test::kBasic, backend::Reference>::parameter_count();
    // Folded: every conv weight and one bias per output channel; BN's four vectors are gone. The
    // largest activation is the ASPP concatenation (4 x 4 x 1280 at 64 / 16) or the stem's 32 x 32 x 64.
    CHECK(Net::weight_floats < params);
    CHECK(Net::buffer_bytes >= 32 * 32 * 64 * sizeof(float));
    CHECK(embedded_test::basic_arena_bytes() == Net::arena_bytes);
    // salt train's default model (ResNet-50, 128 x 128, output stride 16, image classifier) and
    // torchvision's (output stride 8, no classifier): same weights but the classifier's 2049, and
    // output stride 8's largest map (layer4, 16 x 16 x 2048) is four times output stride 16's.
    using Default = embedded::DeepLabV3<models::kTrainDefault>;
    using Torchvision = embedded::DeepLabV3<models::DeepLabV3Config{}>;
    WARN("salt train's default model arena: " << Default::arena_bytes << " bytes (" << Default::weights_bytes << " weights, "
                                              << Default::activation_bytes << " activations); torchvision's: "
                                              << Torchvision::arena_bytes << " (" << Torchvision::weights_bytes << ", "
                                              << Torchvision::activation_bytes << ")");
    CHECK(Default::weights_bytes > 150'000'000);
    CHECK(Default::weight_floats == Torchvision::weight_floats + 2048 + 1);
    CHECK(Torchvision::buffer_bytes >= 16 * 16 * 2048 * sizeof(float));
    CHECK(Default::buffer_bytes < Torchvision::buffer_bytes);
}

// Runs `forward` (one of embedded_no_exceptions.cpp's functions) on a random input and compares its
// logits (and, with the classifier, its probability) with the reference model's.
template <models::DeepLabV3Config C, class Forward>
void check_forward(const char* what, std::uint64_t seed, std::size_t arena_bytes, Forward forward) {
    Fixture<C> f(seed, data::Preprocess{.size = C.height}, train::PostProcess{});
    const auto input = random_input(std::size_t(C.height) * C.width, unsigned(seed) + 4);
    const auto [ref, prob] = f.reference(input, {}, Region{0, 0, C.height, C.width});
    TestArena arena(arena_bytes);
    std::vector<float> logits(std::size_t(C.height) * C.width);
    float cls = 0;
    REQUIRE(forward(arena.arena(), f.blob, input.data(), logits.data(), &cls) == 0);
    const double e = rel_l2(logits, ref);
    WARN(what << " logits: relative L2 difference " << e);
    CHECK(e < 1e-4);
    if constexpr (C.classification_head) CHECK(std::abs(1.0 / (1.0 + std::exp(-double(cls))) - prob) < 1e-5);
}

TEST_CASE("embedded: forward matches the reference model (BasicBlocks, OS16, classifier)", "[embedded]") {
    check_forward<embedded_test::kBasic>("BasicBlock OS16", 7, embedded_test::basic_arena_bytes(),
                                         [](auto a, const auto& blob, const float* in, float* out, float* cls) {
                                             return embedded_test::basic_forward(a, blob.data(), blob.size(), in, out, cls);
                                         });
}

TEST_CASE("embedded: forward matches the reference model (Bottlenecks, OS8, odd size)", "[embedded]") {
    check_forward<embedded_test::kBottleneck>("Bottleneck OS8", 3, embedded_test::bottleneck_arena_bytes(),
                                              [](auto a, const auto& blob, const float* in, float* out, float*) {
                                                  return embedded_test::bottleneck_forward(a, blob.data(), blob.size(), in, out);
                                              });
}

TEST_CASE("embedded: segment() makes the mask salt's predictor makes (padding, normalisation, TTA, threshold, gate)", "[embedded]") {
    constexpr auto C = embedded_test::kBasic;
    const data::Preprocess pre{.size = 64, .norm = {.mean = 0.45f, .std = 0.21f}};
    const io::Image8 img = test_image(51, 47, 2);
    const Region region = pre.image_region(img.width, img.height);
    std::vector<float> in(std::size_t(C.height) * C.width), mir(in.size());

    // First the plain logits, to put the threshold at their median (half the pixels salt).
    double median_prob = 0.5, image_prob = 1.0;
    {
        Fixture<C> probe(9, pre, train::PostProcess{});
        data::prepare_input(img, 0.f, pre, in);
        data::prepare_input(img, 0.f, pre, mir, true);
        auto [l, p] = probe.reference(in, mir, region);
        std::nth_element(l.begin(), l.begin() + std::ptrdiff_t(l.size() / 2), l.end());
        median_prob = 1.0 / (1.0 + std::exp(-double(l[l.size() / 2])));
        image_prob = p;
    }
    struct Case {
        const char* what;
        train::PostProcess post;
    };
    const Case cases[] = {
        {"threshold at the median, TTA", {.threshold = median_prob, .min_area = 0, .tta = true, .gate = 0.0}},
        {"no TTA", {.threshold = median_prob, .min_area = 0, .tta = false, .gate = 0.0}},
        {"minimum area above the mask's area", {.threshold = median_prob, .min_area = 51 * 47, .tta = true, .gate = 0.0}},
        {"gate above the image's probability", {.threshold = median_prob, .min_area = 0, .tta = true,
                                                .gate = std::min(0.999, image_prob + 0.01)}},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        Fixture<C> f(9, pre, c.post);
        data::prepare_input(img, 0.f, pre, in);
        data::prepare_input(img, 0.f, pre, mir, true);
        const auto [ref_logits, p] = f.reference(in, c.post.tta ? mir : std::vector<float>{}, region);
        const auto ref_mask = train::postprocessed_mask(ref_logits, c.post, p);
        TestArena arena(embedded_test::basic_arena_bytes());
        std::vector<std::uint8_t> mask(img.pixels.size(), 7);
        REQUIRE(embedded_test::basic_segment(arena.arena(), f.blob.data(), f.blob.size(), img.pixels.data(), img.width,
                                             img.height, mask.data()) == 0);
        // Pixels whose logit is within 1e-4 of the threshold may go either way; none others.
        const double t = c.post.logit_threshold();
        long salt = 0, differ = 0, near = 0;
        for (std::size_t i = 0; i < mask.size(); ++i) {
            salt += ref_mask[i];
            if (mask[i] != ref_mask[i]) {
                if (std::abs(double(ref_logits[i]) - t) < 1e-4) ++near;
                else ++differ;
            }
        }
        CHECK(differ == 0);
        CHECK(near <= 2);
        if (c.post.min_area > 0 || c.post.gate > 0) CHECK(salt == 0);
        else CHECK((salt > long(mask.size()) / 4 && salt < long(mask.size()) * 3 / 4));
    }
}

TEST_CASE("embedded: bad arenas and bad blobs are errors by return value, and leave no model", "[embedded]") {
    constexpr auto C = embedded_test::kBasic;
    Fixture<C> f(1, data::Preprocess{.size = 64}, train::PostProcess{});
    TestArena arena(embedded_test::basic_arena_bytes() + 64);
    auto a = arena.arena();
    const auto* blob = f.blob.data();
    const std::size_t n = f.blob.size();
    CHECK(embedded_test::basic_load(a, blob, n) == int(Status::ok));
    CHECK(embedded_test::basic_load({a.data, a.bytes - 65}, blob, n) == int(Status::arena_too_small));
    CHECK(embedded_test::basic_load({static_cast<unsigned char*>(a.data) + 4, a.bytes - 4}, blob, n) ==
          int(Status::arena_misaligned));
    CHECK(embedded_test::basic_load(a, blob, 100) == int(Status::weights_truncated));
    CHECK(embedded_test::basic_load(a, blob, n - 4) == int(Status::weights_truncated));
    auto edited = [&](auto edit) {
        std::vector<unsigned char> b = f.blob;
        edit(b);
        return embedded_test::basic_load(a, b.data(), b.size());
    };
    CHECK(edited([](auto& b) { b[0] = 'X'; }) == int(Status::weights_not_salt));
    CHECK(edited([](auto& b) { b[8] = 9; }) == int(Status::weights_version));
    CHECK(edited([](auto& b) { std::swap(b[12], b[15]); }) == int(Status::weights_byte_order));
    CHECK(edited([](auto& b) { b[4 * embedded::format::height] = 65; }) == int(Status::weights_other_model));
    CHECK(edited([](auto& b) { b.push_back(0); }) == int(Status::weights_size));
    CHECK(edited([](auto& b) {
              const float nan = std::nanf("");
              std::memcpy(b.data() + b.size() - 8, &nan, 4);
          }) == int(Status::weights_not_finite));
    CHECK(edited([](auto& b) {
              const float zero = 0.f;
              std::memcpy(b.data() + 4 * embedded::format::stddev, &zero, 4);
          }) == int(Status::weights_not_finite));
    // A blob of another configuration.
    Fixture<embedded_test::kBottleneck> other(1, data::Preprocess{.size = 45}, train::PostProcess{});
    CHECK(embedded_test::basic_load(a, other.blob.data(), other.blob.size()) == int(Status::weights_other_model));
    // Images larger than the model, or empty.
    std::vector<std::uint8_t> img(65 * 65, 100), mask(65 * 65);
    CHECK(embedded_test::basic_segment(a, blob, n, img.data(), 65, 10, mask.data()) == int(Status::image_size));
    CHECK(embedded_test::basic_segment(a, blob, n, img.data(), 0, 10, mask.data()) == int(Status::image_size));
    // Before a successful load.
    {
        embedded::DeepLabV3<C> net(a.data, a.bytes);
        std::vector<float> in(64 * 64), out(64 * 64);
        CHECK(net.forward(in.data(), out.data()) == Status::not_loaded);
        CHECK(std::string(embedded::message(Status::not_loaded)).find("load") != std::string::npos);
    }
}

// ---- int8 ----------------------------------------------------------------------------------------

namespace {

// An fp32 blob and its int8 blob, calibrated on `calibration` images.
template <models::DeepLabV3Config C>
std::vector<unsigned char> int8_blob(const std::vector<unsigned char>& fp32, const std::vector<io::Image8>& calibration,
                                     models::Int8Calibration* seen = nullptr) {
    std::vector<const io::Image8*> ptrs;
    for (const auto& img : calibration) ptrs.push_back(&img);
    const auto cal = models::calibrate_embedded<C>(fp32, ptrs);
    if (seen) *seen = cal;
    return models::quantize_embedded<C>(fp32, cal);
}

}  // namespace

TEST_CASE("embedded int8: the arena holds a quarter of fp32's weights", "[embedded][int8]") {
    using F = embedded::DeepLabV3<models::kTrainDefault>;
    using Q = embedded::DeepLabV3<models::kTrainDefault, embedded::Precision::int8>;
    WARN("salt train's default model, int8: arena " << Q::arena_bytes << " bytes (" << Q::weights_bytes << " weights, "
                                                   << Q::activation_bytes << " activations); fp32: " << F::arena_bytes);
    // int8 weights plus two floats (scale, bias) per output channel of each quantised conv; the fp32
    // rest (stem, pooled-map convs, the last conv) is small.
    CHECK(Q::weights_bytes < F::weights_bytes / 3);
    CHECK(Q::weights_bytes > F::weights_bytes / 5);
    CHECK(Q::activation_bytes > F::activation_bytes);  // + the 8-bit copy of a quantised conv's input
    CHECK(embedded_test::basic_int8_arena_bytes() == embedded::DeepLabV3<embedded_test::kBasic, embedded::Precision::int8>::arena_bytes);
}

// The int8 model against the fp32 one on the same weights: quantisation error only. Bound: a
// quantised conv rounds each input to a step of max/255 (an error of RMS step/sqrt(12), 0.11% of the
// maximum) and each weight to a step of its channel's max|w|/127 (0.23% of it); relative to the RMS
// of a layer's inputs and weights (here within ~3x of their maxima) that is well under 1% per conv,
// and the errors of successive convs are independent, so they do not add up linearly. The logits'
// relative L2 difference is allowed 1% (measured 0.13% and 0.21%: see the WARN lines); a wrong
// scale, layout, channel or tap moves it to order 1.
template <models::DeepLabV3Config C, class Forward8>
void check_int8_forward(const char* what, std::uint64_t seed, std::size_t arena_bytes, Forward8 forward8) {
    const data::Preprocess pre{.size = C.height, .norm = {.mean = 0.45f, .std = 0.21f}};
    Fixture<C> f(seed, pre, train::PostProcess{});
    std::vector<io::Image8> calibration;
    for (unsigned i = 0; i < 4; ++i) calibration.push_back(test_image(C.width - 13, C.height - 13, 20 + i));
    models::Int8Calibration cal;
    const auto blob8 = int8_blob<C>(f.blob, calibration, &cal);
    CHECK(cal.images == 4);
    // Every quantised conv's input is non-negative (a ReLU's output) and was not all zero.
    struct Each : embedded::ConvVisitor {
        const models::Int8Calibration& cal;
        int index = 0, quantised = 0, bad = 0;
        bool conv(const embedded::ConvStep& s) {
            if (embedded::runs_int8(s)) {
                ++quantised;
                bad += !(cal.input_min[std::size_t(index)] >= 0.f && cal.input_max[std::size_t(index)] > 0.f);
            }
            ++index;
            return true;
        }
    } each{{}, cal};
    embedded::walk<C>(each);
    CHECK(each.quantised == embedded::footprint<C>().int8_convs);
    CHECK(each.quantised > 10);
    CHECK(each.bad == 0);

    const io::Image8 img = test_image(C.width - 13, C.height - 13, 99);  // not a calibration image
    std::vector<float> input(std::size_t(C.height) * C.width);
    data::prepare_input(img, 0.f, pre, input);
    const auto [ref, prob] = f.reference(input, {}, Region{0, 0, C.height, C.width});
    TestArena arena(arena_bytes);
    std::vector<float> logits(input.size());
    float cls = 0;
    REQUIRE(forward8(arena.arena(), blob8, input.data(), logits.data(), &cls) == 0);
    const double e = rel_l2(logits, ref);
    WARN(what << " int8 logits against fp32: relative L2 difference " << e << " (kernel: " << embedded::kernels::int8_kernel_name()
              << ")");
    CHECK(e < 0.01);
    CHECK(e > 0.0);  // the int8 path did run
    if constexpr (C.classification_head) CHECK(std::abs(1.0 / (1.0 + std::exp(-double(cls))) - prob) < 0.01);
}

TEST_CASE("embedded int8: the quantised model follows the fp32 one (BasicBlocks, OS16, classifier)", "[embedded][int8]") {
    check_int8_forward<embedded_test::kBasic>("BasicBlock OS16", 7, embedded_test::basic_int8_arena_bytes(),
                                              [](auto a, const auto& blob, const float* in, float* out, float* cls) {
                                                  return embedded_test::basic_int8_forward(a, blob.data(), blob.size(), in, out, cls);
                                              });
}

TEST_CASE("embedded int8: the quantised model follows the fp32 one (Bottlenecks, OS8, odd size)", "[embedded][int8]") {
    check_int8_forward<embedded_test::kBottleneck>("Bottleneck OS8", 3, embedded_test::bottleneck_int8_arena_bytes(),
                                                   [](auto a, const auto& blob, const float* in, float* out, float*) {
                                                       return embedded_test::bottleneck_int8_forward(a, blob.data(), blob.size(), in, out);
                                                   });
}

// The model with its convolutions cut into tasks (set_parallel) against the same model on one thread:
// the same logits, bit for bit, for fp32 and int8, whether the tasks run backwards on one thread (a
// cut that missed, repeated or made a task read another's output would change bits) or on OpenMP threads.
namespace {
using embedded_test::BackwardsRunner;

template <class Net>
void check_parallel_same_bits(const std::vector<unsigned char>& blob, const std::vector<float>& input) {
    TestArena arena(Net::arena_bytes);
    Net net(arena.mem.get(), arena.bytes);
    REQUIRE(net.load(blob.data(), blob.size()) == Status::ok);
    std::vector<float> one(input.size()), cut(input.size());
    float cls1 = 0.f, cls2 = 0.f;
    REQUIRE(net.forward(input.data(), one.data(), &cls1) == Status::ok);
    BackwardsRunner backwards;
    int threads = 2;
    const embedded::Parallel runners[] = {{&BackwardsRunner::run, &backwards, 2}, {&BackwardsRunner::run, &backwards, 5},
                                          embedded::openmp_parallel(threads)};
    for (const auto& par : runners) {
        INFO((par.run == &BackwardsRunner::run ? "backwards on one thread" : "OpenMP") << ", " << par.workers << " workers, "
                                                                                      << (Net::precision == embedded::Precision::int8 ? "int8" : "fp32"));
        net.set_parallel(par);
        std::fill(cut.begin(), cut.end(), -1.f);
        REQUIRE(net.forward(input.data(), cut.data(), &cls2) == Status::ok);
        CHECK(std::memcmp(one.data(), cut.data(), one.size() * sizeof(float)) == 0);
        CHECK(std::memcmp(&cls1, &cls2, sizeof cls1) == 0);
    }
    CHECK(backwards.tasks > 2 * embedded::footprint<Net::config>().convs);  // the convolutions were cut
#ifdef _OPENMP
    CHECK(threads == 2);
#endif
}
}  // namespace

TEST_CASE("embedded: convolutions cut into tasks for several threads give the same bits as one thread", "[embedded][parallel]") {
    constexpr auto C = embedded_test::kBottleneck;
    const data::Preprocess pre{.size = C.height, .norm = {.mean = 0.45f, .std = 0.21f}};
    Fixture<C> f(5, pre, train::PostProcess{});
    const io::Image8 img = test_image(C.width - 13, C.height - 13, 41);
    std::vector<float> input(std::size_t(C.height) * C.width);
    data::prepare_input(img, 0.f, pre, input);
    check_parallel_same_bits<embedded::DeepLabV3<C>>(f.blob, input);
    std::vector<io::Image8> calibration;
    for (unsigned i = 0; i < 2; ++i) calibration.push_back(test_image(C.width - 13, C.height - 13, 60 + i));
    check_parallel_same_bits<embedded::DeepLabV3<C, embedded::Precision::int8>>(int8_blob<C>(f.blob, calibration), input);
}

TEST_CASE("embedded int8: blobs of the other precision and bad scales are refused by return value", "[embedded][int8]") {
    constexpr auto C = embedded_test::kBasic;
    Fixture<C> f(5, data::Preprocess{.size = 64}, train::PostProcess{});
    const auto blob8 = int8_blob<C>(f.blob, {test_image(51, 51, 1)});
    TestArena arena(std::max(embedded_test::basic_int8_arena_bytes(), embedded_test::basic_arena_bytes()));
    auto a = arena.arena();
    CHECK(embedded_test::basic_int8_load(a, blob8.data(), blob8.size()) == int(Status::ok));
    CHECK(embedded_test::basic_int8_load(a, f.blob.data(), f.blob.size()) == int(Status::weights_precision));
    CHECK(embedded_test::basic_load(a, blob8.data(), blob8.size()) == int(Status::weights_precision));
    CHECK(embedded_test::basic_int8_load({a.data, embedded_test::basic_int8_arena_bytes() - 1}, blob8.data(), blob8.size()) ==
          int(Status::arena_too_small));
    CHECK(embedded_test::basic_int8_load(a, blob8.data(), blob8.size() - 1) == int(Status::weights_truncated));
    // The first quantised conv's part: its input scale, then its first weight scale.
    struct First : embedded::ConvVisitor {
        std::size_t offset = 0;
        bool found = false;
        bool conv(const embedded::ConvStep& s) {
            if (!found && embedded::runs_int8(s)) found = true;
            else if (!found) offset += embedded::part_bytes(s, embedded::Precision::int8);
            return true;
        }
    } first;
    embedded::walk<C>(first);
    REQUIRE(first.found);
    const std::size_t part = embedded::format::kHeaderBytes + first.offset;
    for (const float bad : {0.f, -1.f, std::nanf("")})
        for (const std::size_t at : {part, part + 64}) {
            std::vector<unsigned char> b = blob8;
            std::memcpy(b.data() + at, &bad, 4);
            INFO("value " << bad << " at byte " << at);
            CHECK(embedded_test::basic_int8_load(a, b.data(), b.size()) == int(Status::weights_not_finite));
        }
    CHECK(std::string(embedded::message(Status::weights_precision)).find("salt quantize") != std::string::npos);
}

#ifdef SALT_COUNT_ALLOCATIONS
TEST_CASE("embedded: loading and running allocate nothing on the heap", "[embedded]") {
    constexpr auto C = embedded_test::kBasic;
    Fixture<C> f(4, data::Preprocess{.size = 64}, train::PostProcess{.tta = true});
    TestArena arena(embedded_test::basic_arena_bytes());
    const auto input = random_input(std::size_t(C.height) * C.width, 3);
    std::vector<float> logits(input.size());
    const io::Image8 img = test_image(51, 51, 4);
    std::vector<std::uint8_t> mask(img.pixels.size());
    float cls = 0;

    // The counter works: an allocation while counting is seen.
    embedded_test::allocations = 0;
    embedded_test::counting = true;
    {
        auto* p = new std::vector<int>(100);
        delete p;
    }
    embedded_test::counting = false;
    REQUIRE(embedded_test::allocations.load() >= 2);

    embedded_test::allocations = 0;
    embedded_test::counting = true;
    const int s1 = embedded_test::basic_forward(arena.arena(), f.blob.data(), f.blob.size(), input.data(), logits.data(), &cls);
    const int s2 = embedded_test::basic_segment(arena.arena(), f.blob.data(), f.blob.size(), img.pixels.data(), img.width,
                                                img.height, mask.data());
    const int s3 = embedded_test::bottleneck_forward({arena.mem.get(), 1}, f.blob.data(), f.blob.size(), input.data(), logits.data());
    embedded_test::counting = false;
    CHECK(s1 == 0);
    CHECK(s2 == 0);
    CHECK(s3 == int(Status::arena_too_small));
    CHECK(embedded_test::allocations.load() == 0);

    // The int8 precision (its blob made on the heap before counting).
    const auto blob8 = int8_blob<C>(f.blob, {test_image(51, 51, 5)});
    TestArena arena8(embedded_test::basic_int8_arena_bytes());
    embedded_test::allocations = 0;
    embedded_test::counting = true;
    const int t1 = embedded_test::basic_int8_forward(arena8.arena(), blob8.data(), blob8.size(), input.data(), logits.data(), &cls);
    const int t2 = embedded_test::basic_int8_segment(arena8.arena(), blob8.data(), blob8.size(), img.pixels.data(), img.width,
                                                     img.height, mask.data());
    embedded_test::counting = false;
    CHECK(t1 == 0);
    CHECK(t2 == 0);
    CHECK(embedded_test::allocations.load() == 0);

    // Cut into tasks for a caller's workers (here run on this thread): the cutting allocates nothing either.
    BackwardsRunner runner;
    embedded_test::allocations = 0;
    embedded_test::counting = true;
    const int t3 = embedded_test::basic_int8_forward_tasks(arena8.arena(), blob8.data(), blob8.size(), input.data(), logits.data(),
                                                           embedded::Parallel{&BackwardsRunner::run, &runner, 3});
    embedded_test::counting = false;
    CHECK(t3 == 0);
    CHECK(runner.tasks > 0);
    CHECK(embedded_test::allocations.load() == 0);
}
#endif
