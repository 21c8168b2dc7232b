// salt/backend/cuda/cuda_impl.cuh — the definitions behind cuda.hpp: the device (stream, cuDNN
// handle, caching allocator, convolution plans), the GPU executor that launches the custom kernels,
// and the backend's memory functions and ops.
//
// Include this file in exactly ONE translation unit of a program, compiled by nvcc
// (salt/backend/cuda/salt_cuda.cu is that unit; CMake's salt::cuda target builds it). It defines
// non-inline functions, so a second inclusion is a duplicate-symbol link error; every other
// translation unit includes only cuda.hpp (plain C++).
//
// Convolutions use cuDNN 9's legacy convolution API (cudnnConvolutionForward /
// BackwardData / BackwardFilter), deprecated in cuDNN 9 but present; docs/cuda.md says why it was
// chosen over the graph API. Per shape, a plan holds the descriptors (NHWC activations, KRSC = OHWI
// filters) and, per direction, the algorithm chosen once from cuDNN's heuristics (deterministic
// ones only; FMA math unless tf32) and its workspace size; the workspace comes from the arena at
// each call.
#pragma once

#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <cub/device/device_segmented_radix_sort.cuh>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "salt/backend/cuda/copy_plan.hpp"
#include "salt/backend/cuda/cuda.hpp"
#include "salt/backend/cuda/kernel_ops.hpp"
#include "salt/backend/cuda/launch.hpp"
#include "salt/ops/conv2d.hpp"

#if !defined(__CUDACC__)
#error "salt/backend/cuda/cuda_impl.cuh must be compiled by nvcc (include it in one .cu file)"
#endif

namespace salt::backend::cuda {

// ---- errors ---------------------------------------------------------------------------------------

namespace detail {
[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call) {
    throw std::runtime_error(std::string("salt cuda: ") + call + " failed: " + cudaGetErrorName(e) + ": " +
                             cudaGetErrorString(e));
}
inline void check(cudaError_t e, const char* call) {
    if (e != cudaSuccess) {
        (void)cudaGetLastError();  // clear a sticky launch error so the next call reports its own
        throw_cuda(e, call);
    }
}
inline void check(cudnnStatus_t s, const char* call) {
    if (s != CUDNN_STATUS_SUCCESS)
        throw std::runtime_error(std::string("salt cuda: ") + call + " failed: " + cudnnGetErrorString(s));
}
}  // namespace detail

// The call's own text names it in the error (the one macro of the backend: a function cannot see
// its argument's source).
#define SALT_CUDA_CHECK(call) ::salt::backend::cuda::detail::check((call), #call)

// ---- the kernel trampoline --------------------------------------------------------------------------

// Every custom kernel: the functor's phases, a block-wide barrier between them (launch.hpp).
template <class K>
__global__ void salt_kernel(const K k) {
    extern __shared__ __align__(16) unsigned char salt_shared[];
    ThreadIndex t;
    t.block = Extent{blockIdx.x, blockIdx.y, blockIdx.z};
    t.thread = Extent{threadIdx.x, threadIdx.y, threadIdx.z};
    t.grid_dim = Extent{gridDim.x, gridDim.y, gridDim.z};
    t.block_dim = Extent{blockDim.x, blockDim.y, blockDim.z};
    const int phases = k.phases();
    for (int p = 0; p < phases; ++p) {
        if (p > 0) __syncthreads();
        k(p, t, salt_shared);
    }
}

// ---- device state ---------------------------------------------------------------------------------

// cudaMalloc / cudaFree for the arena, on the device's GPU.
struct DeviceMemory {
    int device = 0;
    cudaStream_t stream = nullptr;
    void* allocate(std::size_t bytes) {
        SALT_CUDA_CHECK(cudaSetDevice(device));
        void* p = nullptr;
        const cudaError_t e = cudaMalloc(&p, bytes);
        if (e == cudaErrorMemoryAllocation) {
            (void)cudaGetLastError();
            return nullptr;
        }
        detail::check(e, "cudaMalloc");
        return p;
    }
    void free(void* p) noexcept { (void)cudaFree(p); }
    void synchronize() { SALT_CUDA_CHECK(cudaStreamSynchronize(stream)); }
};

// One convolution geometry: descriptors and, per direction, the algorithm and its workspace.
struct ConvPlan {
    cudnnTensorDescriptor_t x = nullptr, y = nullptr;
    cudnnFilterDescriptor_t w = nullptr;
    cudnnConvolutionDescriptor_t conv = nullptr;
    bool have_forward = false, have_data = false, have_filter = false;
    cudnnConvolutionFwdAlgo_t forward{};
    cudnnConvolutionBwdDataAlgo_t data{};
    cudnnConvolutionBwdFilterAlgo_t filter{};
    cudnnMathType_t forward_math{}, data_math{}, filter_math{};
    std::size_t forward_ws = 0, data_ws = 0, filter_ws = 0;

    ConvPlan() = default;
    ConvPlan(const ConvPlan&) = delete;
    ConvPlan& operator=(const ConvPlan&) = delete;
    ~ConvPlan() {
        if (conv) cudnnDestroyConvolutionDescriptor(conv);
        if (w) cudnnDestroyFilterDescriptor(w);
        if (y) cudnnDestroyTensorDescriptor(y);
        if (x) cudnnDestroyTensorDescriptor(x);
    }
};

// (batch, h, w, cin, cout, kernel, stride, padding, dilation)
using ConvKey = std::tuple<int, int, int, int, int, int, int, int, int>;

}  // namespace salt::backend::cuda

struct salt::backend::cuda::Device::State {
    int index = 0;
    bool tf32 = false;
    bool sync_each_launch = false;
    cudaStream_t stream = nullptr;
    cudnnHandle_t cudnn = nullptr;
    CachingArena<DeviceMemory> arena;
    std::map<ConvKey, std::unique_ptr<ConvPlan>> plans;

    explicit State(const Options& o) : index(o.device), tf32(o.tf32) {
        const char* env = std::getenv("SALT_CUDA_SYNC");
        sync_each_launch = env && *env && std::strcmp(env, "0") != 0;
        SALT_CUDA_CHECK(cudaSetDevice(index));
        SALT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
        arena.source().device = index;
        arena.source().stream = stream;
        const cudnnStatus_t s = cudnnCreate(&cudnn);
        if (s != CUDNN_STATUS_SUCCESS) {
            cudaStreamDestroy(stream);
            detail::check(s, "cudnnCreate");
        }
        SALT_CUDA_CHECK(cudnnSetStream(cudnn, stream));
    }
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() {
        cudaSetDevice(index);
        cudaStreamSynchronize(stream);
        plans.clear();
        try {
            arena.release_all();
        } catch (...) {
        }
        if (cudnn) cudnnDestroy(cudnn);
        if (stream) cudaStreamDestroy(stream);
    }
};

namespace salt::backend::cuda {

// ---- the GPU executor (emulate.hpp describes the interface) ----------------------------------------

class GpuExecutor {
public:
    explicit GpuExecutor(Device& d) : d_(d), s_(d.state()) { SALT_CUDA_CHECK(cudaSetDevice(s_.index)); }

    const Tuning& tuning() const { return d_.tuning(); }
    cudaStream_t stream() const { return s_.stream; }

    template <class K>
    void launch(const char* name, const LaunchShape& sh, const K& k) {
        const dim3 grid(sh.grid.x, sh.grid.y, sh.grid.z), block(sh.block.x, sh.block.y, sh.block.z);
        salt_kernel<K><<<grid, block, sh.shared_bytes, s_.stream>>>(k);
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) launch_failed(name, e);
        if (s_.sync_each_launch) {
            const cudaError_t r = cudaStreamSynchronize(s_.stream);
            if (r != cudaSuccess) launch_failed(name, r);
        }
    }

    void* acquire(std::size_t bytes) { return s_.arena.allocate(bytes); }
    void release(void* p) { s_.arena.deallocate(p); }

    void to_host(void* dst, const void* src, std::size_t bytes) {
        if (!bytes) return;
        SALT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s_.stream));
        SALT_CUDA_CHECK(cudaStreamSynchronize(s_.stream));
    }
    void to_device(void* dst, const void* src, std::size_t bytes) {
        if (!bytes) return;
        SALT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s_.stream));
        // the source may be a caller's temporary (or pinned, where the copy is truly asynchronous)
        SALT_CUDA_CHECK(cudaStreamSynchronize(s_.stream));
    }
    void zero(void* p, std::size_t bytes) {
        if (bytes) SALT_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, s_.stream));
    }

    // cub's stable radix sort: keys descending, equal keys in input order (input index order here).
    void sort_descending(const double* keys_in, double* keys_out, const std::uint32_t* idx_in, std::uint32_t* idx_out,
                         int segments, std::size_t segment_size) {
        const std::size_t items = std::size_t(segments) * segment_size;
        if (items > 0x7fffffffu) throw std::length_error("salt cuda: more than 2^31 - 1 values to sort");
        auto offsets = scratch<int>(*this, std::size_t(segments) + 1);
        launch_each(*this, "loss_lovasz (sort offsets)", std::size_t(segments) + 1,
                    kernels::SegmentOffsets{offsets.get(), int(segment_size)});
        std::size_t temp_bytes = 0;
        SALT_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairsDescending(
            nullptr, temp_bytes, keys_in, keys_out, idx_in, idx_out, int(items), segments, offsets.get(),
            offsets.get() + 1, 0, int(sizeof(double) * 8), s_.stream));
        auto temp = scratch<unsigned char>(*this, std::max<std::size_t>(temp_bytes, 1));
        SALT_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairsDescending(
            temp.get(), temp_bytes, keys_in, keys_out, idx_in, idx_out, int(items), segments, offsets.get(),
            offsets.get() + 1, 0, int(sizeof(double) * 8), s_.stream));
    }

private:
    [[noreturn]] static void launch_failed(const char* name, cudaError_t e) {
        (void)cudaGetLastError();
        throw std::runtime_error(std::string("salt cuda: kernel of ") + name + " failed: " + cudaGetErrorName(e) +
                                 ": " + cudaGetErrorString(e));
    }
    Device& d_;
    Device::State& s_;
};

// ---- device queries ------------------------------------------------------------------------------

int device_count() noexcept {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return n;
}

std::string describe_devices() {
    std::string out;
    int runtime = 0, driver = 0;
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);
    auto version = [](int v) {
        return v ? std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10) : std::string("none");
    };
    const std::size_t v = cudnnGetVersion();  // major * 10000 + minor * 100 + patch
    const std::string cudnn_version =
        std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." + std::to_string(v % 100);
    out += "CUDA runtime " + version(runtime) + ", driver " + version(driver) + ", cuDNN " +
           cudnn_version + "\n";
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        return out + "no CUDA device: " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e) + "\n";
    }
    if (n == 0) return out + "no CUDA device\n";
    for (int i = 0; i < n; ++i) {
        cudaDeviceProp p{};
        if (cudaGetDeviceProperties(&p, i) != cudaSuccess) {
            (void)cudaGetLastError();
            out += "device " + std::to_string(i) + ": properties unavailable\n";
            continue;
        }
        out += "device " + std::to_string(i) + ": " + p.name + ", compute capability " + std::to_string(p.major) + "." +
               std::to_string(p.minor) + ", " + std::to_string(p.totalGlobalMem >> 20) + " MiB\n";
    }
    return out;
}

Device::Device(Options o) : options_(o) {
    if (o.bf16)
        throw std::invalid_argument(
            "salt cuda: bf16 convolutions are not implemented yet (Options::bf16); Options::tf32 gives tensor-core "
            "convolutions with fp32 storage");
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        throw std::runtime_error(std::string("salt cuda: no CUDA device is available (") + cudaGetErrorName(e) + ": " +
                                 cudaGetErrorString(e) + "); the CUDA backend needs an NVIDIA GPU and its driver");
    }
    if (n == 0)
        throw std::runtime_error(
            "salt cuda: no CUDA device is available; the CUDA backend needs an NVIDIA GPU and its driver");
    if (o.device < 0 || o.device >= n)
        throw std::runtime_error("salt cuda: there is no CUDA device " + std::to_string(o.device) +
                                 " (this machine has " + std::to_string(n) + ")");
    state_ = std::make_unique<State>(o);
}

Device::~Device() = default;

void* Device::native_stream() const { return state_->stream; }
ArenaStatistics Device::arena_statistics() const { return state_->arena.statistics(); }
void Device::release_cached_memory() {
    SALT_CUDA_CHECK(cudaSetDevice(state_->index));
    state_->arena.release_cached();
}
std::size_t Device::convolution_plans() const { return state_->plans.size(); }

// ---- convolutions --------------------------------------------------------------------------------

namespace detail {

inline constexpr std::size_t kMaxConvWorkspace = std::size_t(1) << 30;

inline ConvPlan& conv_plan(Device& d, Shape in, int batch, const Conv2dParams& p) {
    auto& s = d.state();
    const ConvKey key{batch, in.h, in.w, in.c, p.out_channels, p.kernel, p.stride, p.padding, p.dilation};
    auto it = s.plans.find(key);
    if (it != s.plans.end()) return *it->second;
    auto plan = std::make_unique<ConvPlan>();
    const Shape out = conv2d_out_shape(in, p);
    SALT_CUDA_CHECK(cudnnCreateTensorDescriptor(&plan->x));
    SALT_CUDA_CHECK(cudnnCreateTensorDescriptor(&plan->y));
    SALT_CUDA_CHECK(cudnnCreateFilterDescriptor(&plan->w));
    SALT_CUDA_CHECK(cudnnCreateConvolutionDescriptor(&plan->conv));
    SALT_CUDA_CHECK(cudnnSetTensor4dDescriptor(plan->x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, batch, in.c, in.h, in.w));
    SALT_CUDA_CHECK(
        cudnnSetTensor4dDescriptor(plan->y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, batch, out.c, out.h, out.w));
    SALT_CUDA_CHECK(cudnnSetFilter4dDescriptor(plan->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, p.out_channels, in.c,
                                               p.kernel, p.kernel));
    SALT_CUDA_CHECK(cudnnSetConvolution2dDescriptor(plan->conv, p.padding, p.padding, p.stride, p.stride, p.dilation,
                                                    p.dilation, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    SALT_CUDA_CHECK(cudnnSetConvolutionMathType(plan->conv, s.tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    int n = 0, c = 0, h = 0, w = 0;
    SALT_CUDA_CHECK(cudnnGetConvolution2dForwardOutputDim(plan->conv, plan->x, plan->w, &n, &c, &h, &w));
    if (n != batch || c != out.c || h != out.h || w != out.w)
        throw std::logic_error("salt cuda: cuDNN's output shape " + std::to_string(h) + "x" + std::to_string(w) + "x" +
                               std::to_string(c) + " differs from salt's " + std::to_string(out.h) + "x" +
                               std::to_string(out.w) + "x" + std::to_string(out.c));
    ConvPlan& ref = *plan;
    s.plans.emplace(key, std::move(plan));
    return ref;
}

// Whether an algorithm cuDNN proposes is acceptable: it runs, is deterministic, fits the workspace
// limit, and (without tf32) does not use tensor cores.
template <class Perf>
bool acceptable(const Perf& perf, bool tf32) {
    if (perf.status != CUDNN_STATUS_SUCCESS) return false;
    if (perf.determinism != CUDNN_DETERMINISTIC) return false;
    if (perf.memory > kMaxConvWorkspace) return false;
    return tf32 || perf.mathType == CUDNN_FMA_MATH || perf.mathType == CUDNN_DEFAULT_MATH;
}
inline cudnnMathType_t math_for(cudnnMathType_t proposed, bool tf32) { return tf32 ? proposed : CUDNN_FMA_MATH; }

[[noreturn]] inline void no_algorithm(const char* what, Shape in, int batch, const Conv2dParams& p) {
    throw std::runtime_error(std::string("salt cuda: cuDNN proposes no deterministic ") + what +
                             " algorithm for input " + std::to_string(batch) + "x" + std::to_string(in.h) + "x" +
                             std::to_string(in.w) + "x" + std::to_string(in.c) + ", kernel " +
                             std::to_string(p.kernel) + ", stride " + std::to_string(p.stride) + ", dilation " +
                             std::to_string(p.dilation) + ", " + std::to_string(p.out_channels) + " outputs");
}

inline void choose_forward(Device& d, ConvPlan& plan, Shape in, int batch, const Conv2dParams& p) {
    auto& s = d.state();
    int count = 0, returned = 0;
    SALT_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(s.cudnn, &count));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(std::size_t(std::max(count, 1)));
    SALT_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(s.cudnn, plan.x, plan.w, plan.conv, plan.y, count, &returned,
                                                           perf.data()));
    for (int i = 0; i < returned; ++i)
        if (acceptable(perf[std::size_t(i)], s.tf32)) {
            plan.forward = perf[std::size_t(i)].algo;
            plan.forward_math = math_for(perf[std::size_t(i)].mathType, s.tf32);
            SALT_CUDA_CHECK(cudnnSetConvolutionMathType(plan.conv, plan.forward_math));
            SALT_CUDA_CHECK(cudnnGetConvolutionForwardWorkspaceSize(s.cudnn, plan.x, plan.w, plan.conv, plan.y,
                                                                    plan.forward, &plan.forward_ws));
            plan.have_forward = true;
            return;
        }
    no_algorithm("forward", in, batch, p);
}

inline void choose_data(Device& d, ConvPlan& plan, Shape in, int batch, const Conv2dParams& p) {
    auto& s = d.state();
    int count = 0, returned = 0;
    SALT_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(s.cudnn, &count));
    std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(std::size_t(std::max(count, 1)));
    SALT_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(s.cudnn, plan.w, plan.y, plan.conv, plan.x, count,
                                                                &returned, perf.data()));
    for (int i = 0; i < returned; ++i)
        if (acceptable(perf[std::size_t(i)], s.tf32)) {
            plan.data = perf[std::size_t(i)].algo;
            plan.data_math = math_for(perf[std::size_t(i)].mathType, s.tf32);
            SALT_CUDA_CHECK(cudnnSetConvolutionMathType(plan.conv, plan.data_math));
            SALT_CUDA_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(s.cudnn, plan.w, plan.y, plan.conv, plan.x,
                                                                         plan.data, &plan.data_ws));
            plan.have_data = true;
            return;
        }
    no_algorithm("backward-data", in, batch, p);
}

inline void choose_filter(Device& d, ConvPlan& plan, Shape in, int batch, const Conv2dParams& p) {
    auto& s = d.state();
    int count = 0, returned = 0;
    SALT_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(s.cudnn, &count));
    std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(std::size_t(std::max(count, 1)));
    SALT_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(s.cudnn, plan.x, plan.y, plan.conv, plan.w, count,
                                                                  &returned, perf.data()));
    for (int i = 0; i < returned; ++i)
        if (acceptable(perf[std::size_t(i)], s.tf32)) {
            plan.filter = perf[std::size_t(i)].algo;
            plan.filter_math = math_for(perf[std::size_t(i)].mathType, s.tf32);
            SALT_CUDA_CHECK(cudnnSetConvolutionMathType(plan.conv, plan.filter_math));
            SALT_CUDA_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(s.cudnn, plan.x, plan.y, plan.conv, plan.w,
                                                                           plan.filter, &plan.filter_ws));
            plan.have_filter = true;
            return;
        }
    no_algorithm("backward-filter", in, batch, p);
}

// y = conv(x, w) (no bias), through the plan's forward algorithm.
inline void conv_forward(Device& d, GpuExecutor& ex, Shape in, int batch, const Conv2dParams& p, const float* x,
                         const float* w, float* y) {
    ConvPlan& plan = conv_plan(d, in, batch, p);
    if (!plan.have_forward) choose_forward(d, plan, in, batch, p);
    auto ws = scratch<unsigned char>(ex, plan.forward_ws);
    const float one = 1.f, zero = 0.f;
    SALT_CUDA_CHECK(cudnnSetConvolutionMathType(plan.conv, plan.forward_math));
    SALT_CUDA_CHECK(cudnnConvolutionForward(d.state().cudnn, &one, plan.x, x, plan.w, w, plan.conv, plan.forward,
                                            ws.get(), plan.forward_ws, &zero, plan.y, y));
}

inline void check_conv(const char* op, Shape in, int batch, const Conv2dParams& p) {
    ops::detail::check_conv2d(op, in, batch, p);
    if (std::size_t(batch) * std::max(in.size(), conv2d_out_shape(in, p).size()) > 0x7fffffffu)
        ops::detail::fail(op, "tensors of 2^31 or more elements are beyond cuDNN's 32-bit descriptors");
}

}  // namespace detail
}  // namespace salt::backend::cuda

// ---- the backend's functions ------------------------------------------------------------------------

namespace salt::backend {

void* Cuda::allocate(device& d, std::size_t bytes) { return d.state().arena.allocate(bytes); }
void Cuda::deallocate(device& d, void* p) noexcept {
    try {
        d.state().arena.deallocate(p);
    } catch (...) {
        // a pointer the arena did not hand out: nothing sensible to do in a noexcept path
    }
}
void Cuda::copy_to_device(device& d, void* dst, const void* src, std::size_t bytes) {
    cuda::GpuExecutor(d).to_device(dst, src, bytes);
}
void Cuda::copy_to_host(device& d, void* dst, const void* src, std::size_t bytes) {
    cuda::GpuExecutor(d).to_host(dst, src, bytes);
}
void Cuda::copy(device& d, void* dst, const void* src, std::size_t bytes) {
    cuda::GpuExecutor ex(d);
    const cuda::CopyPlan plan = cuda::plan_copy(dst, src, bytes);
    if (plan.via_scratch) {
        auto tmp = cuda::scratch<unsigned char>(ex, bytes);
        SALT_CUDA_CHECK(cudaMemcpyAsync(tmp.get(), src, bytes, cudaMemcpyDeviceToDevice, ex.stream()));
        SALT_CUDA_CHECK(cudaMemcpyAsync(dst, tmp.get(), bytes, cudaMemcpyDeviceToDevice, ex.stream()));
        return;
    }
    for (const cuda::CopyChunk& c : plan.chunks)
        SALT_CUDA_CHECK(cudaMemcpyAsync(static_cast<unsigned char*>(dst) + c.dst_offset,
                                        static_cast<const unsigned char*>(src) + c.src_offset, c.bytes,
                                        cudaMemcpyDeviceToDevice, ex.stream()));
}
void Cuda::fill_zero(device& d, void* p, std::size_t bytes) { cuda::GpuExecutor(d).zero(p, bytes); }
void Cuda::fill_pattern(device& d, void* p, std::size_t n, const void* value, std::size_t value_bytes) {
    if (n == 0) return;
    cuda::GpuExecutor ex(d);
    switch (value_bytes) {
        case 1: {
            unsigned char v;
            std::memcpy(&v, value, 1);
            SALT_CUDA_CHECK(cudaMemsetAsync(p, v, n, ex.stream()));
            return;
        }
        case 2: {
            std::uint16_t v;
            std::memcpy(&v, value, 2);
            return cuda::fill(ex, static_cast<std::uint16_t*>(p), n, v);
        }
        case 4: {
            std::uint32_t v;
            std::memcpy(&v, value, 4);
            return cuda::fill(ex, static_cast<std::uint32_t*>(p), n, v);
        }
        case 8: {
            std::uint64_t v;
            std::memcpy(&v, value, 8);
            return cuda::fill(ex, static_cast<std::uint64_t*>(p), n, v);
        }
        default:
            throw std::invalid_argument("salt cuda: fill supports elements of 1, 2, 4 or 8 bytes");
    }
}
void Cuda::synchronize(device& d) {
    SALT_CUDA_CHECK(cudaSetDevice(d.index()));
    SALT_CUDA_CHECK(cudaStreamSynchronize(d.state().stream));
}

// cuDNN convolutions (NHWC, KRSC) plus the custom bias / epilogue kernels.
void Cuda::run(op_t<Op::conv2d_forward>, device& d, Shape in, int batch, const Conv2dParams& p, const f* x, const f* w,
               const f* bias, f* y) {
    constexpr const char* op = "conv2d_forward";
    cuda::detail::check_conv(op, in, batch, p);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, w, "w");
    ops::detail::check_ptr(op, y, "y");
    if (p.bias && bias == nullptr) ops::detail::fail(op, "params.bias is true but the bias pointer is null");
    cuda::GpuExecutor ex(d);
    cuda::detail::conv_forward(d, ex, in, batch, p, x, w, y);
    if (bias) cuda::conv_add_bias(ex, std::size_t(batch) * conv2d_out_shape(in, p).size(), p.out_channels, bias, y);
}

void Cuda::run(op_t<Op::conv2d_backward_data>, device& d, Shape in, int batch, const Conv2dParams& p, const f* dy,
               const f* w, f* dx) {
    constexpr const char* op = "conv2d_backward_data";
    cuda::detail::check_conv(op, in, batch, p);
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, w, "w");
    ops::detail::check_ptr(op, dx, "dx");
    cuda::GpuExecutor ex(d);
    cuda::ConvPlan& plan = cuda::detail::conv_plan(d, in, batch, p);
    if (!plan.have_data) cuda::detail::choose_data(d, plan, in, batch, p);
    auto ws = cuda::scratch<unsigned char>(ex, plan.data_ws);
    const float one = 1.f, zero = 0.f;
    SALT_CUDA_CHECK(cudnnSetConvolutionMathType(plan.conv, plan.data_math));
    SALT_CUDA_CHECK(cudnnConvolutionBackwardData(d.state().cudnn, &one, plan.w, w, plan.y, dy, plan.conv, plan.data,
                                                 ws.get(), plan.data_ws, &zero, plan.x, dx));
}

void Cuda::run(op_t<Op::conv2d_backward_params>, device& d, Shape in, int batch, const Conv2dParams& p, const f* x,
               const f* dy, f* dw, f* dbias) {
    constexpr const char* op = "conv2d_backward_params";
    cuda::detail::check_conv(op, in, batch, p);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, dy, "dy");
    ops::detail::check_ptr(op, dw, "dw");
    cuda::GpuExecutor ex(d);
    cuda::ConvPlan& plan = cuda::detail::conv_plan(d, in, batch, p);
    if (!plan.have_filter) cuda::detail::choose_filter(d, plan, in, batch, p);
    auto ws = cuda::scratch<unsigned char>(ex, plan.filter_ws);
    const float one = 1.f;  // beta = 1: dw += (the op accumulates)
    SALT_CUDA_CHECK(cudnnSetConvolutionMathType(plan.conv, plan.filter_math));
    SALT_CUDA_CHECK(cudnnConvolutionBackwardFilter(d.state().cudnn, &one, plan.x, x, plan.y, dy, plan.conv, plan.filter,
                                                   ws.get(), plan.filter_ws, &one, plan.w, dw));
    if (dbias)
        cuda::conv_accumulate_bias_grad(ex, std::size_t(batch) * conv2d_out_shape(in, p).pixels(), p.out_channels, dy,
                                        dbias);
}

void Cuda::run(op_t<Op::conv2d_bn_forward_eval>, device& d, Shape in, int batch, const Conv2dParams& p, const f* x,
               const f* w, const f* bias, const BatchNormParams& bp, const f* gamma, const f* beta,
               const f* running_mean, const f* running_var, const f* residual, bool relu, f* y) {
    constexpr const char* op = "conv2d_bn_forward_eval";
    cuda::detail::check_conv(op, in, batch, p);
    ops::detail::check_ptr(op, x, "x");
    ops::detail::check_ptr(op, w, "w");
    if (p.bias && bias == nullptr) ops::detail::fail(op, "params.bias is true but the bias pointer is null");
    cuda::GpuExecutor ex(d);
    cuda::detail::conv_forward(d, ex, in, batch, p, x, w, y);
    cuda::conv_bn_epilogue(ex, std::size_t(batch) * conv2d_out_shape(in, p).size(), p.out_channels, bias, bp, gamma,
                           beta, running_mean, running_var, residual, relu, y);
}

// The custom kernels: cuda::KernelOps, the overload set the host emulation runs too.
void Cuda::run(op_t<Op::batch_norm_forward_train> tag, device& d, Shape s, int batch, const BatchNormParams& bp,
               const f* x, const f* gamma, const f* beta, f* running_mean, f* running_var, f* y, f* saved_mean,
               f* saved_invstd) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, s, batch, bp, x, gamma, beta, running_mean, running_var, y,
                                            saved_mean, saved_invstd);
}
void Cuda::run(op_t<Op::batch_norm_relu_forward_train> tag, device& d, Shape s, int batch, const BatchNormParams& bp,
               const f* x, const f* gamma, const f* beta, f* running_mean, f* running_var, f* y, f* saved_mean,
               f* saved_invstd) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, s, batch, bp, x, gamma, beta, running_mean, running_var, y,
                                            saved_mean, saved_invstd);
}
void Cuda::run(op_t<Op::batch_norm_forward_eval> tag, device& d, Shape s, int batch, const BatchNormParams& bp,
               const f* x, const f* gamma, const f* beta, const f* running_mean, const f* running_var, f* y) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, s, batch, bp, x, gamma, beta, running_mean, running_var, y);
}
void Cuda::run(op_t<Op::batch_norm_backward_train> tag, device& d, Shape s, int batch, const f* x, const f* dy,
               const f* gamma, const f* saved_mean, const f* saved_invstd, f* dx, f* dgamma, f* dbeta) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, s, batch, x, dy, gamma, saved_mean, saved_invstd, dx, dgamma,
                                            dbeta);
}
void Cuda::run(op_t<Op::batch_norm_relu_backward_train> tag, device& d, Shape s, int batch, const f* x, const f* y,
               const f* dy, const f* gamma, const f* saved_mean, const f* saved_invstd, f* dx, f* dgamma, f* dbeta) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, s, batch, x, y, dy, gamma, saved_mean, saved_invstd, dx, dgamma,
                                            dbeta);
}
void Cuda::run(op_t<Op::relu_forward> tag, device& d, std::size_t n, const f* x, f* y) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, x, y);
}
void Cuda::run(op_t<Op::relu_backward> tag, device& d, std::size_t n, const f* y, const f* dy, f* dx) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, y, dy, dx);
}
void Cuda::run(op_t<Op::add_forward> tag, device& d, std::size_t n, const f* a, const f* b, f* y) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, a, b, y);
}
void Cuda::run(op_t<Op::accumulate> tag, device& d, std::size_t n, const f* src, f* dst) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, src, dst);
}
void Cuda::run(op_t<Op::sigmoid_forward> tag, device& d, std::size_t n, const f* x, f* y) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, x, y);
}
void Cuda::run(op_t<Op::sigmoid_backward> tag, device& d, std::size_t n, const f* y, const f* dy, f* dx) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, y, dy, dx);
}
void Cuda::run(op_t<Op::max_pool2d_forward> tag, device& d, Shape in, int batch, const Pool2dParams& p, const f* x,
               f* y, std::int32_t* argmax) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, in, batch, p, x, y, argmax);
}
void Cuda::run(op_t<Op::max_pool2d_backward> tag, device& d, Shape in, int batch, const Pool2dParams& p, const f* dy,
               const std::int32_t* argmax, f* dx) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, in, batch, p, dy, argmax, dx);
}
void Cuda::run(op_t<Op::global_avg_pool_forward> tag, device& d, Shape in, int batch, const f* x, f* y) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, in, batch, x, y);
}
void Cuda::run(op_t<Op::global_avg_pool_backward> tag, device& d, Shape in, int batch, const f* dy, f* dx) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, in, batch, dy, dx);
}
void Cuda::run(op_t<Op::resize_bilinear_forward> tag, device& d, Shape in, int batch, int out_h, int out_w,
               bool align_corners, const f* x, f* y) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, in, batch, out_h, out_w, align_corners, x, y);
}
void Cuda::run(op_t<Op::resize_bilinear_backward> tag, device& d, Shape in, int batch, int out_h, int out_w,
               bool align_corners, const f* dy, f* dx) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, in, batch, out_h, out_w, align_corners, dy, dx);
}
void Cuda::run(op_t<Op::concat_channels_forward> tag, device& d, std::size_t rows, std::span<const int> channels,
               std::span<const f* const> inputs, f* y) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, rows, channels, inputs, y);
}
void Cuda::run(op_t<Op::concat_channels_backward> tag, device& d, std::size_t rows, std::span<const int> channels,
               const f* dy, std::span<f* const> dinputs) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, rows, channels, dy, dinputs);
}
void Cuda::run(op_t<Op::dropout_forward> tag, device& d, std::size_t n, double p, std::uint64_t seed, const f* x, f* y,
               std::uint8_t* mask) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, p, seed, x, y, mask);
}
void Cuda::run(op_t<Op::dropout_backward> tag, device& d, std::size_t n, double p, const std::uint8_t* mask,
               const f* dy, f* dx) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, p, mask, dy, dx);
}
void Cuda::run(op_t<Op::adam_step> tag, device& d, std::size_t n, const AdamStep& s, bool decay, f* param,
               const f* grad, f* m, f* v) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, s, decay, param, grad, m, v);
}
double Cuda::run(op_t<Op::loss_bce_dice> tag, device& d, const MapGeometry& g, const BceDiceWeights& w, const f* logits,
                 const f* targets, f* grad) {
    cuda::GpuExecutor ex(d);
    return cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, g, w, logits, targets, grad);
}
double Cuda::run(op_t<Op::loss_lovasz> tag, device& d, const MapGeometry& g, const f* logits, const f* targets,
                 f* grad) {
    cuda::GpuExecutor ex(d);
    return cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, g, logits, targets, grad);
}
void Cuda::run(op_t<Op::mask_stats> tag, device& d, const MapGeometry& g, const f* logits, const f* truth,
               std::span<const double> thresholds, MaskCounts* out) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, g, logits, truth, thresholds, out);
}
void Cuda::run(op_t<Op::flip_width> tag, device& d, Shape s, int batch, const f* x, f* y) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, s, batch, x, y);
}
void Cuda::run(op_t<Op::crop> tag, device& d, Shape in, int batch, const Region& r, const f* x, f* y) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, in, batch, r, x, y);
}
void Cuda::run(op_t<Op::axpby> tag, device& d, std::size_t n, f a, const f* x, f b, f* y) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, a, x, b, y);
}
void Cuda::run(op_t<Op::threshold> tag, device& d, std::size_t n, const f* x, f t, std::uint8_t* mask) {
    cuda::GpuExecutor ex(d);
    cuda::KernelOps<cuda::GpuExecutor>::run(tag, ex, n, x, t, mask);
}

}  // namespace salt::backend
