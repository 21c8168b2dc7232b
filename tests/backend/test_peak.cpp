// The vector units' limit measured at run time (salt/backend/simd/peak.hpp), on each instruction set
// this file is compiled for (backend_ops, backend_ops_avx2, backend_ops_sse4_2). Rates are not
// judged here (speed lives in the benchmarks); what is checked is what a caller relies on.
#include <cmath>
#include <cstdio>
#include <string>

#include <catch2/catch.hpp>
#include <omp.h>

#include "salt/backend/simd/peak.hpp"

using namespace salt::backend::simd;

TEST_CASE("peak: measured for the threads asked, fp32 always, bf16 and int8 exactly when the build has them", "[backend][peak]") {
    for (int threads : {1, 2}) {
        const PeakRate p = measure_peak(threads, 0.02);
        // For the record (ctest -V): what this machine gives on this build's instruction set.
        std::printf("peak, %d thread(s), %s: fp32 %.1f GFLOP/s, bf16 %.1f GFLOP/s, int8 %.1f GOP/s (%s)\n", p.threads,
                    p.vector_isa.c_str(), p.fp32_gflops, p.bf16_gflops, p.int8_gops,
                    p.int8_isa.empty() ? "no VNNI in this build" : p.int8_isa.c_str());
        CHECK(p.threads == threads);
        CHECK(std::isfinite(p.fp32_gflops));
        CHECK(p.fp32_gflops > 0);
        if (kHaveBf16Gemm) {
            CHECK(std::isfinite(p.bf16_gflops));
            CHECK(p.bf16_gflops > 0);
        } else {
            CHECK(p.bf16_gflops == 0);
        }
        if (kHaveVnniPeak) {
            CHECK(std::isfinite(p.int8_gops));
            CHECK(p.int8_gops > 0);
            CHECK(p.int8_isa.find("vnni") != std::string::npos);
        } else {
            CHECK(p.int8_gops == 0);
            CHECK(p.int8_isa.empty());
        }
        // The figure names the vector width it ran on.
        CHECK(p.vector_isa.find(std::to_string(kLanes) + " fp32 lanes") != std::string::npos);
    }
}

TEST_CASE("peak: the default is OpenMP's thread count", "[backend][peak]") {
    CHECK(measure_peak(0, 0.01).threads == omp_get_max_threads());
}
