// salt bench [--batch N] [--reps R] [model options] [--device D] [--threads T] [--bf16] [--tf32]: times
// the full model as users run it — inference at batch 1 and at --batch, and a training step
// (forward, BCE+Dice, backward, Adam) at --batch — one line per case, on the model salt train trains
// by default unless the options (as salt train's and salt info's) name another compiled one; the
// comparisons with PyTorch (bench/compare_torch.py) use torchvision's own architecture,
// --output-stride 8 --classifier off. On the GPU every timed call ends with the device's
// synchronize(), so it is GPU time.
#include <omp.h>

#include <cstdio>
#include <string>

#include "commands.hpp"
#include "compiled_model.hpp"
#include "model_options.hpp"
#include "run_options.hpp"
#include "salt/backend/simd/peak.hpp"

namespace salt::cli {

Args bench_args() {
    Args a("bench", "Time a compiled DeepLabV3 (default: the model salt train trains): inference and a training step.");
    a.option("batch", "N", "batch for the batched inference and the training step", "8");
    a.option("reps", "R", "timed repetitions per case (the median is reported)", "5");
    a.option("size", "N", "input height and width (128 or 101)", std::to_string(models::kTrainDefault.height));
    a.option("output-stride", "S", "8 or 16 (torchvision's DeepLabV3, which the PyTorch comparisons run: 8 with --classifier off)",
             std::to_string(models::kTrainDefault.output_stride));
    Architecture default_architecture;
    default_architecture.classifier = models::kTrainDefault.classification_head;
    add_architecture_options(a, default_architecture);
    add_run_options(a);
    return a;
}

int cmd_bench(int argc, char** argv) {
    Args a = bench_args();
    a.parse(argc, argv);
    const int batch = int(a.get_int("batch", 2, 256)), reps = int(a.get_int("reps", 1, 1000));
    const RunOptions ro = run_options(a);
    const int size = int(a.get_int("size", 1, 4096)), os = int(a.get_int("output-stride", 1, 64));
    const Architecture arch = architecture_from([&](const char* k) { return a.get(k); });
    const auto& m = find_model_for(size, size, 1, os, arch, ro.device);
    check_device(ro);
    std::fprintf(stderr, "salt bench: %s, %s, %s, median of %d runs after one warm-up\n", config_name(m.config()).c_str(),
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
