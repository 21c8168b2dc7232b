// salt bench [--batch N] [--reps R] [--device D] [--threads T] [--bf16] [--tf32]: times the full model
// as users run it — inference at batch 1 and at --batch, and a training step (forward, BCE+Dice,
// backward, Adam) at --batch — on the compiled 1-channel 128x128 output-stride-8 model, one line per
// case. On the GPU every timed call ends with the device's synchronize(), so it is GPU time.
#include <omp.h>

#include <cstdio>
#include <string>

#include "commands.hpp"
#include "compiled_model.hpp"
#include "run_options.hpp"
#include "salt/backend/simd/peak.hpp"

namespace salt::cli {

Args bench_args() {
    Args a("bench", "Time DeepLabV3-ResNet50 (1 channel, 128x128, output stride 8): inference and a training step.");
    a.option("batch", "N", "batch for the batched inference and the training step", "8");
    a.option("reps", "R", "timed repetitions per case (the median is reported)", "5");
    add_run_options(a);
    return a;
}

int cmd_bench(int argc, char** argv) {
    Args a = bench_args();
    a.parse(argc, argv);
    const int batch = int(a.get_int("batch", 2, 256)), reps = int(a.get_int("reps", 1, 1000));
    const RunOptions ro = run_options(a);
    const auto& m = find_compiled_model(128, 128, 1, 8, ro.device);
    check_device(ro);
    std::fprintf(stderr, "salt bench: DeepLabV3-ResNet50, 1x128x128, %s, %s, median of %d runs after one warm-up\n",
                 device_summary(ro).c_str(), ro.bf16 ? "bf16 GEMMs" : ro.tf32 ? "TF32 convolutions" : "fp32", reps);
    if (ro.device == DeviceKind::cpu) {
        // The vector units' limit on this machine now (never a constant: CPUs differ), to read the
        // timings against; salt-bench and salt-profile print their %peak of the same measurement.
        const auto p = backend::simd::measure_peak(ro.threads > 0 ? ro.threads : omp_get_max_threads());
        std::fprintf(stderr, "  vector units' limit, measured now on %d threads (%s): fp32 FMA %.1f GFLOP/s, bf16 %s, int8 %s\n",
                     p.threads, p.vector_isa.c_str(), p.fp32_gflops,
                     p.bf16_gflops > 0 ? (std::to_string(int(p.bf16_gflops + 0.5)) + " GFLOP/s").c_str()
                                       : "not in this build",
                     p.int8_gops > 0 ? (std::to_string(int(p.int8_gops + 0.5)) + " GOP/s (" + p.int8_isa + ")").c_str()
                                     : "no VNNI in this build");
    }
    auto line = [&](const char* what, int b, double s) {
        std::printf("%-34s batch %3d  %9.1f ms  %8.2f images/s\n", what, b, s * 1e3, double(b) / s);
        std::fflush(stdout);
    };
    std::fprintf(stderr, "  inference, batch 1 ...\n");
    line("inference", 1, m.time_forward(1, reps, ro));
    std::fprintf(stderr, "  inference, batch %d ...\n", batch);
    line("inference", batch, m.time_forward(batch, reps, ro));
    std::fprintf(stderr, "  training step, batch %d ...\n", batch);
    line("training step (fwd+BCE+Dice+bwd+Adam)", batch, m.time_train_step(batch, reps, ro));
    return 0;
}

}  // namespace salt::cli
