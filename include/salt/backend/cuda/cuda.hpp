// salt/backend/cuda/cuda.hpp — the CUDA backend: fp32 on one NVIDIA GPU, convolutions through
// cuDNN 9, every other op a custom kernel (salt/backend/cuda/kernels/). See docs/cuda.md.
//
//   salt::backend::Cuda            the backend a model is instantiated with:
//                                  models::DeepLabV3<float, config, backend::Cuda>
//   salt::backend::cuda::Device    its execution context: one GPU, one stream, the cuDNN handle, a
//                                  caching stream-ordered allocator and the convolution plans
//   salt::backend::cuda::Options   {device index, tf32, bf16}
//   cuda::device_count(), available(), describe_devices()   what the machine has (never throw)
//
// This header is plain C++: it includes no CUDA header and any C++20 compiler can build a
// translation unit with it (the model, the trainer, the command-line tool). Everything it declares
// is defined in cuda_impl.cuh, which a program compiles in exactly ONE translation unit with nvcc —
// in CMake, link the salt::cuda target, which does that (salt_cuda.cu) and links cudart and cuDNN.
//
// Precision: fp32 throughout; cuDNN runs true fp32 (FMA math) unless Options::tf32 allows
// TensorFloat-32 tensor cores; every custom reduction sums in double (as the reference does).
// Synchronisation: ops are queued on the device's stream and return at once; the losses and
// mask_stats wait for their result (one synchronisation per call), copy_to_host waits for its data,
// copy_to_device for its source to have been read. Errors from the CUDA runtime, cuDNN or a kernel
// launch throw std::runtime_error naming the call and the error; an error inside a running kernel
// surfaces at the next checked call (set SALT_CUDA_SYNC=1 to synchronise and check after every
// launch while debugging).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "salt/backend/cuda/arena.hpp"
#include "salt/backend/cuda/op_sets.hpp"
#include "salt/backend/cuda/launch.hpp"
#include "salt/core/backend.hpp"
#include "salt/core/op_params.hpp"
#include "salt/core/shape.hpp"

namespace salt::backend {

struct Cuda;

namespace cuda {

struct Options {
    int device = 0;     // which GPU (cudaSetDevice numbering)
    bool tf32 = false;  // let cuDNN use TF32 tensor cores for the convolutions (faster, ~1e-3 relative)
    bool bf16 = false;  // bf16 convolution operands: not implemented yet; asking for it throws
};

// The number of usable CUDA devices; 0 when there is no driver, no device, or the runtime cannot
// start (never throws).
int device_count() noexcept;
inline bool available() noexcept { return device_count() > 0; }
// One line per device (index, name, compute capability, memory), or one line saying why there is
// none (the CUDA runtime's error), plus the runtime, driver and cuDNN versions. For `salt info`.
std::string describe_devices();

class Device {
public:
    using backend = salt::backend::Cuda;

    // Throws std::runtime_error with one clear message when there is no usable device (no driver,
    // no GPU, or options.device out of range), std::invalid_argument for options it cannot honour.
    explicit Device(Options o = {});
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    const Options& options() const { return options_; }
    int index() const { return options_.device; }
    // The cudaStream_t every op of this device is queued on.
    void* native_stream() const;

    // Launch parameters of the custom kernels (results do not depend on them; see launch.hpp).
    const Tuning& tuning() const { return tuning_; }
    void set_tuning(Tuning t) {
        check_tuning(t);
        tuning_ = t;
    }

    // The caching allocator: its counters, and giving its cached blocks back to the driver
    // (synchronises first).
    ArenaStatistics arena_statistics() const;
    void release_cached_memory();
    // How many convolution plans (shape x direction) have been built.
    std::size_t convolution_plans() const;

    struct State;  // the CUDA objects (cuda_impl.cuh)
    State& state() { return *state_; }

private:
    Options options_;
    Tuning tuning_;
    std::unique_ptr<State> state_;
};

}  // namespace cuda

struct Cuda {
    static constexpr const char* name = "cuda";
    static constexpr bool host_accessible = false;
    static constexpr WeightLayout conv_weight_layout = WeightLayout::ohwi;  // cuDNN's KRSC with NHWC
    template <class T>
    static constexpr bool supports = std::is_same_v<T, float>;
    using options = cuda::Options;
    using device = cuda::Device;

    static void* allocate(device&, std::size_t bytes);
    static void deallocate(device&, void* p) noexcept;
    static void copy_to_device(device&, void* dst, const void* src, std::size_t bytes);
    static void copy_to_host(device&, void* dst, const void* src, std::size_t bytes);
    static void copy(device&, void* dst, const void* src, std::size_t bytes);  // ranges may overlap
    static void fill_zero(device&, void* p, std::size_t bytes);
    template <class T>
    static void fill(device& d, T* p, std::size_t n, T value) {
        static_assert(std::is_trivially_copyable_v<T> &&
                          (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8),
                      "Cuda::fill: a trivially copyable element of 1, 2, 4 or 8 bytes");
        fill_pattern(d, p, n, &value, sizeof(T));
    }
    static void fill_pattern(device&, void* p, std::size_t n, const void* value, std::size_t value_bytes);
    static void synchronize(device&);

    static constexpr OpSet ops = cuda::kKernelOps | cuda::kConvOps;

    using f = float;
    // cuDNN
    static void run(op_t<Op::conv2d_forward>, device&, Shape in, int batch, const Conv2dParams& p, const f* x, const f* w,
                    const f* bias, f* y);
    static void run(op_t<Op::conv2d_backward_data>, device&, Shape in, int batch, const Conv2dParams& p, const f* dy,
                    const f* w, f* dx);
    static void run(op_t<Op::conv2d_backward_params>, device&, Shape in, int batch, const Conv2dParams& p, const f* x,
                    const f* dy, f* dw, f* dbias);
    static void run(op_t<Op::conv2d_bn_forward_eval>, device&, Shape in, int batch, const Conv2dParams& p, const f* x,
                    const f* w, const f* bias, const BatchNormParams& bp, const f* gamma, const f* beta,
                    const f* running_mean, const f* running_var, const f* residual, bool relu, f* y);
    // custom kernels (cuda::KernelOps)
    static void run(op_t<Op::batch_norm_forward_train>, device&, Shape s, int batch, const BatchNormParams& bp,
                    const f* x, const f* gamma, const f* beta, f* running_mean, f* running_var, f* y, f* saved_mean,
                    f* saved_invstd);
    static void run(op_t<Op::batch_norm_relu_forward_train>, device&, Shape s, int batch, const BatchNormParams& bp,
                    const f* x, const f* gamma, const f* beta, f* running_mean, f* running_var, f* y, f* saved_mean,
                    f* saved_invstd);
    static void run(op_t<Op::batch_norm_forward_eval>, device&, Shape s, int batch, const BatchNormParams& bp,
                    const f* x, const f* gamma, const f* beta, const f* running_mean, const f* running_var, f* y);
    static void run(op_t<Op::batch_norm_backward_train>, device&, Shape s, int batch, const f* x, const f* dy,
                    const f* gamma, const f* saved_mean, const f* saved_invstd, f* dx, f* dgamma, f* dbeta);
    static void run(op_t<Op::batch_norm_relu_backward_train>, device&, Shape s, int batch, const f* x, const f* y,
                    const f* dy, const f* gamma, const f* saved_mean, const f* saved_invstd, f* dx, f* dgamma,
                    f* dbeta);
    static void run(op_t<Op::relu_forward>, device&, std::size_t n, const f* x, f* y);
    static void run(op_t<Op::relu_backward>, device&, std::size_t n, const f* y, const f* dy, f* dx);
    static void run(op_t<Op::add_forward>, device&, std::size_t n, const f* a, const f* b, f* y);
    static void run(op_t<Op::accumulate>, device&, std::size_t n, const f* src, f* dst);
    static void run(op_t<Op::sigmoid_forward>, device&, std::size_t n, const f* x, f* y);
    static void run(op_t<Op::sigmoid_backward>, device&, std::size_t n, const f* y, const f* dy, f* dx);
    static void run(op_t<Op::max_pool2d_forward>, device&, Shape in, int batch, const Pool2dParams& p, const f* x, f* y,
                    std::int32_t* argmax);
    static void run(op_t<Op::max_pool2d_backward>, device&, Shape in, int batch, const Pool2dParams& p, const f* dy,
                    const std::int32_t* argmax, f* dx);
    static void run(op_t<Op::global_avg_pool_forward>, device&, Shape in, int batch, const f* x, f* y);
    static void run(op_t<Op::global_avg_pool_backward>, device&, Shape in, int batch, const f* dy, f* dx);
    static void run(op_t<Op::resize_bilinear_forward>, device&, Shape in, int batch, int out_h, int out_w,
                    bool align_corners, const f* x, f* y);
    static void run(op_t<Op::resize_bilinear_backward>, device&, Shape in, int batch, int out_h, int out_w,
                    bool align_corners, const f* dy, f* dx);
    static void run(op_t<Op::concat_channels_forward>, device&, std::size_t rows, std::span<const int> channels,
                    std::span<const f* const> inputs, f* y);
    static void run(op_t<Op::concat_channels_backward>, device&, std::size_t rows, std::span<const int> channels,
                    const f* dy, std::span<f* const> dinputs);
    static void run(op_t<Op::dropout_forward>, device&, std::size_t n, double p, std::uint64_t seed, const f* x, f* y,
                    std::uint8_t* mask);
    static void run(op_t<Op::dropout_backward>, device&, std::size_t n, double p, const std::uint8_t* mask, const f* dy,
                    f* dx);
    static void run(op_t<Op::adam_step>, device&, std::size_t n, const AdamStep& s, bool decay, f* param, const f* grad,
                    f* m, f* v);
    static double run(op_t<Op::loss_bce_dice>, device&, const MapGeometry& g, const BceDiceWeights& w, const f* logits,
                      const f* targets, f* grad);
    static double run(op_t<Op::loss_lovasz>, device&, const MapGeometry& g, const f* logits, const f* targets, f* grad);
    static void run(op_t<Op::mask_stats>, device&, const MapGeometry& g, const f* logits, const f* truth,
                    std::span<const double> thresholds, MaskCounts* out);
    static void run(op_t<Op::flip_width>, device&, Shape s, int batch, const f* x, f* y);
    static void run(op_t<Op::crop>, device&, Shape in, int batch, const Region& r, const f* x, f* y);
    static void run(op_t<Op::axpby>, device&, std::size_t n, f a, const f* x, f b, f* y);
    static void run(op_t<Op::threshold>, device&, std::size_t n, const f* x, f t, std::uint8_t* mask);
};

static_assert(Backend<Cuda>);

}  // namespace salt::backend
