// examples/salt/run_options.hpp — the options every model-running command shares (--threads,
// --bf16), turned into the RunOptions its compiled model builds its backend device from.
#pragma once

#include <omp.h>

#include "args.hpp"
#include "compiled_model.hpp"
#include "salt/backend/simd/device.hpp"

namespace salt::cli {

inline void add_run_options(Args& a) {
    a.option("threads", "N", "CPU threads (default: OMP_NUM_THREADS or all cores)", "0");
    a.flag("bf16", "bf16 matrix products (AVX512_BF16, fp32 sums) in the convolutions; see docs/performance.md");
}

inline RunOptions run_options(const Args& a) {
    RunOptions ro;
    ro.threads = int(a.get_int("threads", 0, 1024));
    ro.bf16 = a.has("bf16");
    if (ro.bf16 && !backend::simd::Device::bf16_available())
        throw UsageError("--bf16: this salt was built for a CPU without AVX512_BF16 (rebuild with -march=native on a "
                         "CPU that has it)");
    return ro;
}

// The thread count a run will use, for progress lines.
inline int threads_used(const RunOptions& ro) { return ro.threads > 0 ? ro.threads : omp_get_max_threads(); }

}  // namespace salt::cli
