// bench/profile_model.cpp — salt-profile: per-op, per-shape time of DeepLabV3-ResNet50 (1 channel,
// 128x128) on the simd backend, for inference and for a training step.
//
//   OMP_NUM_THREADS=2 build/bin/salt-profile [--mode=infer|train|all] [--batch=N] [--steps=N] [--clock=wall|cpu] [--bf16] [--winograd]
//
// How: the model is instantiated with a profiling backend `Profiled<Simd>`: it declares the simd
// backend's ops and memory, and each of its run overloads times the call and forwards it to the
// simd backend's. The layers are untouched, so the profile times exactly the code the simd model
// runs, plus one clock read per op. Convolutions are keyed by geometry and pass, with GFLOP/s of the work done (live taps only)
// and % of the vector units' limit for the threads in use, measured at start-up (fp32 FMA, or
// VDPBF16PS with --bf16; salt/backend/simd/peak.hpp); the other ops by kind
// and shape.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <time.h>

#include "salt/backend/simd/peak.hpp"
#include "salt/backend/simd/simd.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/train/loss.hpp"
#include "salt/train/optimizer.hpp"

namespace salt_prof {

struct Entry {
    double seconds = 0, flops = 0;
    long calls = 0;
    std::string group;
};
inline std::map<std::string, Entry>& table() {
    static std::map<std::string, Entry> t;
    return t;
}
inline std::string shape_str(salt::Shape s) {
    return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
}
// --clock=cpu: the calling thread's CPU time instead of wall time. With OMP_NUM_THREADS=1 every op
// runs on that thread, so this is the op's work, unaffected by other processes taking the cores
// (a profile that stays meaningful on a loaded machine; the shares, not the absolute times).
// The vector units' limit for the threads in use, measured in main() before profiling.
inline double& peak_value() {
    static double p = 0;
    return p;
}
inline double peak() { return peak_value(); }
inline bool& use_cpu_clock() {
    static bool cpu = false;
    return cpu;
}
inline double now() {
    if (!use_cpu_clock()) return omp_get_wtime();
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
struct Timer {
    std::string key, group;
    double flops, t0;
    Timer(std::string k, std::string g, double f = 0) : key(std::move(k)), group(std::move(g)), flops(f), t0(now()) {}
    ~Timer() {
        Entry& e = table()[key];
        e.seconds += now() - t0;
        e.flops += flops;
        e.calls += 1;
        e.group = group;
    }
};
inline std::string conv_key(const char* pass, salt::Shape in, int batch, const salt::Conv2dParams& p) {
    return std::string("conv ") + pass + " " + std::to_string(p.kernel) + "x" + std::to_string(p.kernel) +
           (p.stride > 1 ? "/s" + std::to_string(p.stride) : "") + (p.dilation > 1 ? " d" + std::to_string(p.dilation) : "") +
           " " + shape_str(in) + "->" + std::to_string(p.out_channels) + " b" + std::to_string(batch);
}
inline double conv_flops(salt::Shape in, int batch, const salt::Conv2dParams& p) {
    const salt::Shape out = salt::conv2d_out_shape(in, p);
    return 2.0 * batch * double(out.pixels()) * p.out_channels * salt::backend::simd::conv2d_live_taps(in, p).count() * in.c;
}

}  // namespace salt_prof

namespace salt_prof {

// Times every op of backend Inner: the same memory, the same declared ops, each run wrapped in a Timer.
template <class Inner>
struct Profiled {
    static constexpr const char* name = "simd (profiled)";
    static constexpr bool host_accessible = Inner::host_accessible;
    static constexpr salt::WeightLayout conv_weight_layout = Inner::conv_weight_layout;
    template <class T>
    static constexpr bool supports = Inner::template supports<T>;
    static constexpr salt::OpSet ops = Inner::ops;
    using options = typename Inner::options;
    struct device : Inner::device {
        using backend = Profiled;
        using Inner::device::device;
    };
    using inner_device = typename Inner::device;
    static void* allocate(device& d, std::size_t n) { return Inner::allocate(d, n); }
    static void deallocate(device& d, void* p) noexcept { Inner::deallocate(d, p); }
    static void copy_to_device(device& d, void* a, const void* b, std::size_t n) { Inner::copy_to_device(d, a, b, n); }
    static void copy_to_host(device& d, void* a, const void* b, std::size_t n) { Inner::copy_to_host(d, a, b, n); }
    static void copy(device& d, void* a, const void* b, std::size_t n) { Inner::copy(d, a, b, n); }
    static void fill_zero(device& d, void* p, std::size_t n) { Inner::fill_zero(d, p, n); }
    template <class T>
    static void fill(device& d, T* p, std::size_t n, T v) {
        Inner::fill(d, p, n, v);
    }
    static void synchronize(device& d) { Inner::synchronize(d); }

    template <salt::Op O, class... A>
    static decltype(auto) run(salt::op_t<O> op, device& d, A&&... a) {
        Timer t(key<O>(a...), group<O>(), flops<O>(a...));
        return Inner::run(op, static_cast<inner_device&>(d), std::forward<A>(a)...);
    }

private:
    static constexpr bool is_conv(salt::Op o) {
        return o == salt::Op::conv2d_forward || o == salt::Op::conv2d_backward_data ||
               o == salt::Op::conv2d_backward_params || o == salt::Op::conv2d_bn_forward_eval;
    }
    template <salt::Op O>
    static const char* group() {
        switch (O) {
            case salt::Op::conv2d_forward: return "conv fwd";
            case salt::Op::conv2d_backward_data: return "conv bwd data";
            case salt::Op::conv2d_backward_params: return "conv bwd weight";
            case salt::Op::conv2d_bn_forward_eval: return "conv fwd (+bn/add/relu)";
            case salt::Op::batch_norm_forward_train:
            case salt::Op::batch_norm_forward_eval:
            case salt::Op::batch_norm_backward_train: return "batch norm";
            case salt::Op::batch_norm_relu_forward_train:
            case salt::Op::batch_norm_relu_backward_train: return "batch norm (+relu)";
            case salt::Op::adam_step: return "optimizer";
            case salt::Op::loss_bce_dice:
            case salt::Op::loss_lovasz: return "loss";
            default: return salt::op_name(O).data();
        }
    }
    // Convolutions by geometry and pass; every other op by its name and, when its first argument is
    // a Shape, that shape, else its element count.
    template <salt::Op O, class A0, class... A>
    static std::string key(const A0& a0, const A&... a) {
        if constexpr (is_conv(O)) {
            const auto args = std::forward_as_tuple(a0, a...);
            const char* pass = O == salt::Op::conv2d_forward ? "fwd " : O == salt::Op::conv2d_backward_data ? "bwdD"
                               : O == salt::Op::conv2d_backward_params ? "bwdW" : "fwd+bn";
            return conv_key(pass, std::get<0>(args), std::get<1>(args), std::get<2>(args));
        } else if constexpr (std::is_same_v<std::decay_t<A0>, salt::Shape>) {
            return std::string(salt::op_name(O)) + " " + shape_str(a0);
        } else if constexpr (std::is_integral_v<std::decay_t<A0>>) {
            return std::string(salt::op_name(O)) + " n=" + std::to_string(a0);
        } else {
            return std::string(salt::op_name(O));
        }
    }
    template <salt::Op O, class A0, class... A>
    static double flops(const A0& a0, const A&... a) {
        if constexpr (is_conv(O)) {
            const auto args = std::forward_as_tuple(a0, a...);
            return conv_flops(std::get<0>(args), std::get<1>(args), std::get<2>(args));
        } else {
            return 0.0;
        }
    }
};

}  // namespace salt_prof

namespace {

using B = salt_prof::Profiled<salt::backend::Simd>;
using Model = salt::models::DeepLabV3<float, {.in_channels = 1}, B>;
bool g_bf16 = false;
bool g_winograd = false;
using salt::nn::Mode;

std::vector<float> input(int batch) {
    salt::Rng rng(7);
    std::vector<float> v(Model::in_shape.size() * batch);
    for (auto& x : v) x = float(2.0 * rng.uniform() - 1.0);
    return v;
}

// One inference pass or one training step (BCE + Dice, backward, Adam; as bench_model.cpp).
double run(Model& model, salt::Workspace<B>& ws, const salt::Tensor<float, Model::in_shape, B>& x, int batch, bool train,
           salt::train::Adam<float, B>& adam, const salt::Tensor<float, Model::out_shape, B>& target) {
    salt::Rng rng(1);
    const double t0 = salt_prof::now();
    ws.reset();
    salt::nn::Context<B> ctx{ws, train ? Mode::train : Mode::eval, &rng};
    auto o = model.forward(x.view(), ctx);
    if (train) {
        auto dout = ctx.template take<float, Model::out_shape>(batch);
        const salt::MapGeometry g{batch, Model::out_shape.h, Model::out_shape.w, {0, 0, Model::out_shape.h, Model::out_shape.w}};
        salt::train::compute_loss(model.device(), salt::train::LossKind::bce_dice, g, static_cast<const float*>(o.out.data()),
                                  target.data(), dout.data());
        model.backward(dout, ctx);
        adam.step();
        salt_prof::Timer t("zero_grad", "optimizer");
        adam.zero_grad();
    }
    return salt_prof::now() - t0;
}

void profile(int batch, bool train, int steps) {
    auto model = std::make_unique<Model>(42, B::options{.threads = 0, .bf16 = g_bf16, .winograd = g_winograd});
    auto& dev = model->device();
    salt::Workspace<B> ws(dev, Model::workspace_bytes(batch, train ? Mode::train : Mode::eval));
    salt::Tensor<float, Model::in_shape, B> x(dev, batch);
    x.upload(input(batch));
    std::vector<float> t(Model::out_shape.size() * batch);
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = float((i * 2654435761u >> 7) & 1u);
    salt::Tensor<float, Model::out_shape, B> target(dev, batch);
    target.upload(t);
    salt::train::Adam<float, B> adam(*model, salt::train::AdamOptions{});
    run(*model, ws, x, batch, train, adam, target);  // warm-up (packing buffers, scratch, page faults)
    salt_prof::table().clear();
    std::vector<double> walls;
    for (int s = 0; s < steps; ++s) walls.push_back(run(*model, ws, x, batch, train, adam, target));
    std::sort(walls.begin(), walls.end());
    const double wall = walls[walls.size() / 2];
    double wall_sum = 0;
    for (double w : walls) wall_sum += w;
    std::printf("\n== %s, batch %d: median %.1f ms over %d steps (mean %.1f ms), workspace %.1f MiB ==\n",
                train ? "train step" : "inference", batch, wall * 1e3, steps, wall_sum / steps * 1e3,
                double(Model::workspace_bytes(batch, train ? Mode::train : Mode::eval)) / (1 << 20));
    // Per group.
    std::map<std::string, std::pair<double, double>> groups;
    double total = 0, conv_flops = 0, conv_time = 0;
    for (auto& [k, e] : salt_prof::table()) {
        groups[e.group].first += e.seconds / steps;
        groups[e.group].second += e.flops / steps;
        total += e.seconds / steps;
        if (e.flops > 0) conv_flops += e.flops / steps, conv_time += e.seconds / steps;
    }
    std::printf("%-22s %10s %7s %9s %7s\n", "group", "ms/step", "share", "GFLOP/s", "%peak");
    for (auto& [g, v] : groups)
        std::printf("%-22s %10.2f %6.1f%% %9.1f %6.1f%%\n", g.c_str(), v.first * 1e3, 100 * v.first / (wall_sum / steps),
                    v.second > 0 ? v.second / v.first * 1e-9 : 0.0, v.second > 0 ? v.second / v.first * 1e-9 * 100 / salt_prof::peak() : 0.0);
    std::printf("%-22s %10.2f %6.1f%%\n", "(not in an op)", (wall_sum / steps - total) * 1e3,
                100 * (1 - total / (wall_sum / steps)));
    std::printf("all convs: %.2f GFLOP/step at %.1f GFLOP/s (%.1f%% of the %.0f GFLOP/s measured limit)\n",
                conv_flops * 1e-9, conv_flops / conv_time * 1e-9, conv_flops / conv_time * 1e-9 * 100 / salt_prof::peak(), salt_prof::peak());
    // Per op and shape, slowest first.
    std::vector<std::pair<std::string, salt_prof::Entry>> rows(salt_prof::table().begin(), salt_prof::table().end());
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second.seconds > b.second.seconds; });
    std::printf("%-56s %6s %10s %6s %9s %7s\n", "op and shape", "calls", "ms/step", "share", "GFLOP/s", "%peak");
    for (auto& [k, e] : rows) {
        const double sec = e.seconds / steps;
        if (sec * 1e3 < 0.05) continue;
        const double gf = e.flops > 0 ? e.flops / e.seconds * 1e-9 : 0.0;
        std::printf("%-56s %6ld %10.2f %5.1f%% %9.1f %6.1f%%\n", k.c_str(), e.calls / steps, sec * 1e3,
                    100 * sec / (wall_sum / steps), gf, gf * 100 / salt_prof::peak());
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = "all";
    int batch = 0, steps = 5;
    for (int i = 1; i < argc; ++i) {
        if (!std::strncmp(argv[i], "--mode=", 7)) mode = argv[i] + 7;
        else if (!std::strncmp(argv[i], "--batch=", 8)) batch = std::atoi(argv[i] + 8);
        else if (!std::strncmp(argv[i], "--steps=", 8)) steps = std::max(1, std::atoi(argv[i] + 8));
        else if (!std::strcmp(argv[i], "--clock=cpu")) salt_prof::use_cpu_clock() = true;
        else if (!std::strcmp(argv[i], "--bf16")) g_bf16 = true;
        else if (!std::strcmp(argv[i], "--winograd")) g_winograd = true;
        else if (!std::strcmp(argv[i], "--clock=wall")) salt_prof::use_cpu_clock() = false;
        else {
            std::fprintf(stderr, "usage: salt-profile [--mode=infer|train|all] [--batch=N] [--steps=N] [--clock=wall|cpu] [--bf16] [--winograd]\n");
            return 2;
        }
    }
    if (salt_prof::use_cpu_clock() && omp_get_max_threads() != 1) {
        std::fprintf(stderr, "salt-profile: --clock=cpu measures the calling thread only: run it with OMP_NUM_THREADS=1\n");
        return 2;
    }
    std::printf("salt-profile: DeepLabV3-ResNet50, 1x128x128, simd backend (%s GEMMs%s), %d OpenMP threads, %s time\n",
                g_bf16 ? "bf16" : "fp32", g_winograd ? ", Winograd 3x3" : "", omp_get_max_threads(),
                salt_prof::use_cpu_clock() ? "thread CPU" : "wall");
    if (g_bf16 && g_winograd) {
        std::fprintf(stderr, "salt-profile: --winograd runs fp32 convolutions; not with --bf16\n");
        return 2;
    }
    if (g_bf16 && !salt::backend::simd::kHaveBf16Gemm) {
        std::fprintf(stderr, "salt-profile: --bf16 needs a build with AVX512_BF16\n");
        return 2;
    }
    const auto limit = salt::backend::simd::measure_peak(omp_get_max_threads());
    salt_prof::peak_value() = g_bf16 ? limit.bf16_gflops : limit.fp32_gflops;
    std::printf("peak, measured now on %d threads (%s): fp32 FMA %.1f GFLOP/s, bf16 VDPBF16PS %.1f GFLOP/s; "
                "%%peak below is of the %s figure\n",
                limit.threads, limit.vector_isa.c_str(), limit.fp32_gflops, limit.bf16_gflops, g_bf16 ? "bf16" : "fp32");
    if (mode == "infer" || mode == "all") {
        if (batch) profile(batch, false, steps);
        else profile(1, false, steps), profile(8, false, steps);
    }
    if (mode == "train" || mode == "all") profile(batch ? batch : 8, true, steps);
    return 0;
}
