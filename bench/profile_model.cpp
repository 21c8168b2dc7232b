// bench/profile_model.cpp — salt-profile: per-op, per-shape time of DeepLabV3-ResNet50 (1 channel,
// 128x128) on the simd backend, for inference and for a training step.
//
//   OMP_NUM_THREADS=2 build/bin/salt-profile [--mode=infer|train|all] [--batch=N] [--steps=N] [--clock=wall|cpu] [--bf16]
//
// How: the model is instantiated with a profiling tag `prof` derived from backend::simd. Every op
// the layers call is overloaded here for `prof` (an exact match on the tag, so it wins over the
// simd and reference kernels) to time the call and forward it to the simd kernel (or, where the
// simd backend has none, to the reference one through the usual derived-to-base rule). The layers
// are untouched, so the profile times exactly the code the simd model runs, plus one clock read per
// op. Convolutions are keyed by geometry and pass, with GFLOP/s of the work done (live taps only)
// and % of the FMA limit (117 GFLOP/s per core in use, see bench_common.hpp); the other ops by kind
// and shape.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <time.h>

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
// The FMA units' limit of the cores in use (bench_common.hpp): 117 GFLOP/s per core, 2 cores.
inline double peak() { return 117.0 * std::min(2, omp_get_max_threads()); }
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
    return 2.0 * batch * double(out.pixels()) * p.out_channels * salt::backend::conv2d_live_taps(in, p).count() * in.c;
}

}  // namespace salt_prof

namespace salt::backend {
struct prof : simd {
    static constexpr const char* name = "simd (profiled)";
};
}  // namespace salt::backend

namespace salt::ops {

using salt::backend::prof;

inline void conv2d_forward(prof, Shape in, int batch, const Conv2dParams& p, const float* x, const float* w,
                           const float* bias, float* y) {
    salt_prof::Timer t(salt_prof::conv_key("fwd ", in, batch, p), "conv fwd", salt_prof::conv_flops(in, batch, p));
    conv2d_forward(backend::simd{}, in, batch, p, x, w, bias, y);
}
inline void conv2d_backward_data(prof, Shape in, int batch, const Conv2dParams& p, const float* dy, const float* w,
                                 float* dx) {
    salt_prof::Timer t(salt_prof::conv_key("bwdD", in, batch, p), "conv bwd data", salt_prof::conv_flops(in, batch, p));
    conv2d_backward_data(backend::simd{}, in, batch, p, dy, w, dx);
}
inline void conv2d_backward_params(prof, Shape in, int batch, const Conv2dParams& p, const float* x, const float* dy,
                                   float* dw, float* dbias) {
    salt_prof::Timer t(salt_prof::conv_key("bwdW", in, batch, p), "conv bwd weight", salt_prof::conv_flops(in, batch, p));
    conv2d_backward_params(backend::simd{}, in, batch, p, x, dy, dw, dbias);
}

inline void conv2d_bn_forward_eval(prof, Shape in, int batch, const Conv2dParams& p, const float* x, const float* w,
                                   const float* bias, const BatchNormParams& bp, const float* gamma, const float* beta,
                                   const float* running_mean, const float* running_var, const float* residual,
                                   bool relu, float* y) {
    salt_prof::Timer t(salt_prof::conv_key("fwd+bn", in, batch, p), "conv fwd (+bn/add/relu)",
                       salt_prof::conv_flops(in, batch, p));
    conv2d_bn_forward_eval(backend::simd{}, in, batch, p, x, w, bias, bp, gamma, beta, running_mean, running_var,
                           residual, relu, y);
}

// Every other op: keyed by its name and, when its first argument is a Shape, that shape; otherwise
// by the element count.
template <class A0>
std::string prof_arg_key(const A0& a0) {
    if constexpr (std::is_same_v<std::decay_t<A0>, Shape>) return salt_prof::shape_str(a0);
    else if constexpr (std::is_integral_v<std::decay_t<A0>>) return "n=" + std::to_string(a0);
    else return "";
}
#define SALT_PROF_OP(op, group)                                                                      \
    template <class A0, class... A>                                                                  \
    void op(prof, A0&& a0, A&&... a) {                                                               \
        salt_prof::Timer t(std::string(#op) + " " + prof_arg_key(a0), group);                        \
        op(backend::simd{}, std::forward<A0>(a0), std::forward<A>(a)...);                            \
    }
SALT_PROF_OP(batch_norm_forward_train, "batch norm")
SALT_PROF_OP(batch_norm_forward_eval, "batch norm")
SALT_PROF_OP(batch_norm_backward_train, "batch norm")
SALT_PROF_OP(batch_norm_relu_forward_train, "batch norm (+relu)")
SALT_PROF_OP(batch_norm_relu_backward_train, "batch norm (+relu)")
SALT_PROF_OP(relu_forward, "relu")
SALT_PROF_OP(relu_backward, "relu")
SALT_PROF_OP(add_forward, "add/accumulate")
SALT_PROF_OP(accumulate, "add/accumulate")
SALT_PROF_OP(max_pool2d_forward, "pool")
SALT_PROF_OP(max_pool2d_backward, "pool")
SALT_PROF_OP(global_avg_pool_forward, "pool")
SALT_PROF_OP(global_avg_pool_backward, "pool")
SALT_PROF_OP(concat_channels_forward, "concat")
SALT_PROF_OP(concat_channels_backward, "concat")
SALT_PROF_OP(resize_bilinear_forward, "resize")
SALT_PROF_OP(resize_bilinear_backward, "resize")
SALT_PROF_OP(dropout_forward, "dropout")
SALT_PROF_OP(dropout_backward, "dropout")
SALT_PROF_OP(sigmoid_forward, "sigmoid")
SALT_PROF_OP(sigmoid_backward, "sigmoid")
#undef SALT_PROF_OP

}  // namespace salt::ops

namespace {

using Model = salt::models::DeepLabV3<float, {.in_channels = 1}, salt::backend::prof>;
using salt::nn::Mode;

std::vector<float> input(int batch) {
    salt::Rng rng(7);
    std::vector<float> v(Model::in_shape.size() * batch);
    for (auto& x : v) x = float(2.0 * rng.uniform() - 1.0);
    return v;
}

// One inference pass or one training step (BCE + Dice, backward, Adam; as bench_model.cpp).
double run(Model& model, salt::Workspace<salt::host_memory>& ws, const std::vector<float>& x, int batch, bool train,
           salt::train::Adam<float>& adam, const std::vector<float>& target) {
    salt::Rng rng(1);
    const double t0 = salt_prof::now();
    ws.reset();
    salt::nn::Context<salt::backend::prof> ctx{ws, train ? Mode::train : Mode::eval, &rng};
    auto o = model.forward(salt::TensorView<const float, Model::in_shape>(x.data(), batch), ctx);
    if (train) {
        auto dout = ctx.template take<float, Model::out_shape>(batch);
        {
            salt_prof::Timer t("loss (salt::train::bce_dice)", "loss");
            salt::train::bce_dice(std::span<const float>(o.out.data(), o.out.size()), target,
                                  std::span<float>(dout.data(), dout.size()), batch);
        }
        model.backward(dout, ctx);
        salt_prof::Timer t("optimizer (salt::train::Adam step + zero_grad)", "optimizer");
        adam.step();
        adam.zero_grad();
    }
    return salt_prof::now() - t0;
}

void profile(int batch, bool train, int steps) {
    auto model = std::make_unique<Model>(42);
    salt::Workspace<salt::host_memory> ws(Model::workspace_bytes(batch, train ? Mode::train : Mode::eval));
    const auto x = input(batch);
    std::vector<float> target(Model::out_shape.size() * batch);
    for (std::size_t i = 0; i < target.size(); ++i) target[i] = float((i * 2654435761u >> 7) & 1u);
    salt::train::Adam<float> adam(*model, salt::train::AdamOptions{});
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
    std::printf("all convs: %.2f GFLOP/step at %.1f GFLOP/s (%.1f%% of the %.0f GFLOP/s FMA limit)\n",
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
        else if (!std::strcmp(argv[i], "--bf16")) salt::backend::simd_kernels::set_gemm_bf16(true);
        else if (!std::strcmp(argv[i], "--clock=wall")) salt_prof::use_cpu_clock() = false;
        else {
            std::fprintf(stderr, "usage: salt-profile [--mode=infer|train|all] [--batch=N] [--steps=N] [--clock=wall|cpu] [--bf16]\n");
            return 2;
        }
    }
    if (salt_prof::use_cpu_clock() && omp_get_max_threads() != 1) {
        std::fprintf(stderr, "salt-profile: --clock=cpu measures the calling thread only: run it with OMP_NUM_THREADS=1\n");
        return 2;
    }
    std::printf("salt-profile: DeepLabV3-ResNet50, 1x128x128, simd backend (%s GEMMs), %d OpenMP threads, %s time\n",
                salt::backend::simd_kernels::gemm_bf16() ? "bf16" : "fp32", omp_get_max_threads(),
                salt_prof::use_cpu_clock() ? "thread CPU" : "wall");
    if (mode == "infer" || mode == "all") {
        if (batch) profile(batch, false, steps);
        else profile(1, false, steps), profile(8, false, steps);
    }
    if (mode == "train" || mode == "all") profile(batch ? batch : 8, true, steps);
    return 0;
}
