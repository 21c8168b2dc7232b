// bench/bench_gemm.cpp — salt's packed SGEMM against Eigen's on the model's GEMM shapes.
// Args: M, N, K, op (0: C = A*B, the conv forward; 1: C = A*B^T, the data gradient;
//                   2: C += A^T*B, the weight gradient).
// Eigen runs with OpenMP too (it is compiled with -fopenmp), on the same thread count.
#include <Eigen/Core>

#include "bench_common.hpp"
#include "salt/backend/simd/gemm.hpp"

namespace {

namespace sk = salt::backend::simd;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void BM_Gemm_salt(benchmark::State& state) {
    const int M = int(state.range(0)), N = int(state.range(1)), K = int(state.range(2)), op = int(state.range(3));
    auto a = salt_bench::random_vec(std::size_t(M) * K, 1), b = salt_bench::random_vec(std::size_t(K) * N, 2);
    std::vector<float> c(std::size_t(M) * N);
    static sk::Device dev;
    for (auto _ : state) {
        if (op == 0) sk::sgemm(dev, false, false, M, N, K, a.data(), K, b.data(), N, c.data(), N, false);
        else if (op == 1) sk::sgemm(dev, false, true, M, N, K, a.data(), K, b.data(), K, c.data(), N, false);
        else sk::sgemm(dev, true, false, M, N, K, a.data(), M, b.data(), N, c.data(), N, true);
        benchmark::DoNotOptimize(c.data());
    }
    salt_bench::set_flops(state, 2.0 * M * double(N) * K);
}

void BM_Gemm_eigen(benchmark::State& state) {
    const int M = int(state.range(0)), N = int(state.range(1)), K = int(state.range(2)), op = int(state.range(3));
    auto av = salt_bench::random_vec(std::size_t(M) * K, 1), bv = salt_bench::random_vec(std::size_t(K) * N, 2);
    std::vector<float> cv(std::size_t(M) * N);
    Eigen::Map<RowMat> C(cv.data(), M, N);
    for (auto _ : state) {
        if (op == 0) {
            Eigen::Map<const RowMat> A(av.data(), M, K), B(bv.data(), K, N);
            C.noalias() = A * B;
        } else if (op == 1) {
            Eigen::Map<const RowMat> A(av.data(), M, K), B(bv.data(), N, K);
            C.noalias() = A * B.transpose();
        } else {
            Eigen::Map<const RowMat> A(av.data(), K, M), B(bv.data(), K, N);
            C.noalias() += A.transpose() * B;
        }
        benchmark::DoNotOptimize(cv.data());
    }
    salt_bench::set_flops(state, 2.0 * M * double(N) * K);
}

// The model's shapes at 128x128, batch 8 (M = 8*16*16 = 2048 or 8*32*32 = 8192 pixels):
//   layer4 3x3 (K = 512*9), layer3 3x3 (K = 256*9), ASPP 1x1 / layer4 1x1 (K = 2048, 1024),
//   layer1 3x3 at 32x32 (M = 8192, K = 64*9), and the 2048^3 square that defines the peak.
void shapes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"M", "N", "K", "op"});
    for (int op : {0, 1, 2}) {
        b->Args({2048, 512, 4608, op});
        b->Args({2048, 256, 2304, op});
        b->Args({2048, 256, 2048, op});
        b->Args({2048, 512, 1024, op});
        b->Args({8192, 64, 576, op});
    }
    b->Args({2048, 2048, 2048, 0});
    b->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

BENCHMARK(BM_Gemm_salt)->Apply(shapes);
BENCHMARK(BM_Gemm_eigen)->Apply(shapes);
