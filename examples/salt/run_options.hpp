// examples/salt/run_options.hpp — the options every model-running command shares (--device,
// --threads, --bf16, --tf32), turned into the RunOptions its compiled model builds its backend device
// from. Bad values are usage errors (exit 2); a well-formed device that cannot be opened is checked
// later by check_device() (devices.hpp: exit 1, one line).
#pragma once

#include <omp.h>

#include <string>

#include "args.hpp"
#include "compiled_model.hpp"
#include "devices.hpp"
#include "salt/backend/simd/device.hpp"

namespace salt::cli {

inline void add_run_options(Args& a) {
    a.option("device", "DEV", "cpu, or cuda / cuda:N for NVIDIA GPU N (CUDA configurations: " +
                                  (cuda_built() ? cuda_configurations() : std::string("none, not built into this salt")) +
                                  ")", "cpu");
    a.option("threads", "N", "CPU threads (0: OMP_NUM_THREADS, else all cores); with --device cuda, the host's data preparation", "0");
    a.flag("bf16", "CPU only: bf16 matrix products (AVX512_BF16, fp32 sums) in the convolutions; see docs/performance.md");
    a.flag("winograd", "CPU only: forward 3x3 convolutions by Winograd F(2x2,3x3) where it pays (fp32; not with --bf16); see docs/performance.md");
    a.flag("tf32", "CUDA only: cuDNN may use TF32 tensor cores in the convolutions (faster; ~1e-3 relative error)");
}

// "cpu", "cuda", "cuda:N" -> the device fields of `ro`; anything else is a UsageError.
inline void parse_device(const std::string& spec, RunOptions& ro) {
    ro.device_spec = spec;
    if (spec == "cpu") {
        ro.device = DeviceKind::cpu;
        return;
    }
    if (spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
        if (!cuda_built())
            throw UsageError("--device " + spec + ": this salt was built without CUDA (configure with -DSALT_CUDA=ON, "
                             "which needs the CUDA toolkit and cuDNN 9)");
        ro.device = DeviceKind::cuda;
        ro.cuda_index = 0;
        if (spec.size() > 5) {
            const std::string n = spec.substr(5);
            if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos)
                throw UsageError("--device " + spec + ": the GPU number after 'cuda:' must be a non-negative integer");
            ro.cuda_index = std::stoi(n);
        } else if (spec.size() == 5) {  // "cuda:"
            throw UsageError("--device cuda: needs a GPU number after the colon (cuda:0, cuda:1, ...)");
        }
        return;
    }
    throw UsageError("--device must be cpu, cuda or cuda:N, got '" + spec + "'");
}

inline RunOptions run_options(const Args& a) {
    RunOptions ro;
    parse_device(a.get("device"), ro);
    ro.threads = int(a.get_int("threads", 0, 1024));
    ro.bf16 = a.has("bf16");
    ro.tf32 = a.has("tf32");
    ro.winograd = a.has("winograd");
    if (ro.device == DeviceKind::cuda && ro.winograd)
        throw UsageError("--winograd is for the CPU backend (cuDNN chooses its own convolution algorithms)");
    if (ro.bf16 && ro.winograd) throw UsageError("--winograd runs fp32 convolutions; it cannot be combined with --bf16");
    if (ro.device == DeviceKind::cuda && ro.bf16)
        throw UsageError("--bf16 is for the CPU backend; the CUDA backend runs fp32 (bf16 is not implemented there; "
                         "--tf32 gives tensor-core convolutions)");
    if (ro.device == DeviceKind::cpu && ro.tf32) throw UsageError("--tf32 is for --device cuda");
    if (ro.bf16 && !backend::simd::Device::bf16_available())
        throw UsageError("--bf16: this salt was built for a CPU without AVX512_BF16 (rebuild with -march=native on a "
                         "CPU that has it)");
    // On the GPU the model needs no CPU threads, but the data loader's preparation of batches does.
    if (ro.device == DeviceKind::cuda && ro.threads > 0) omp_set_num_threads(ro.threads);
    return ro;
}

}  // namespace salt::cli
