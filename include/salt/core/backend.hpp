// salt/core/backend.hpp — what a backend is: memory, execution, and a declared set of ops.
//
// A backend is a class type B (one per folder under salt/backend/, e.g. backend::Simd) with
//
//   name                      static constexpr const char*
//   device                    its execution context: threads and scratch (CPU), stream, library
//                             handles and caching allocator (CUDA). Built from B::options; owned by a
//                             model (Model::device()) or by whoever runs ops; never global.
//   host_accessible           whether the host may dereference the backend's pointers
//   conv_weight_layout        the in-memory layout of convolution weights it wants (HWIO or OHWI)
//   allocate / deallocate     backend memory (64-byte aligned at least)
//   copy_to_device / copy_to_host / copy (backend to backend; may overlap, like memmove)
//   fill_zero, fill<T>        set bytes to 0 / elements to a value
//   synchronize               wait until everything queued on the device has finished
//   supports<T>               whether it runs scalar type T (float; the reference also double)
//   ops                       the OpSet it implements, and for each of them an overload
//                             `static R run(op_t<Op::x>, device&, args...)`
//
// Every operation on tensor data outside salt/backend/ goes through these: layers and the trainer
// call `salt::run<Op::x>(device, args...)`, which forwards to B::run when B declares Op::x and is
// otherwise a compile error naming the backend and the op. There is no fallback from one backend
// to another's kernels: a backend that wants the reference kernel for an op says so in its own
// run overload.
//
// The op catalogue below is the contract; docs/backends.md describes every op's arguments and
// results, and tests/backend/test_backend_ops.cpp runs each op a backend declares against the
// reference backend.
#pragma once

#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>

namespace salt {

// One enumerator per kernel family. Arguments (T is the scalar, float or double; pointers are
// backend memory unless marked "host"):
enum class Op : int {
    // Layers: see salt/ops/<name>.hpp for each op's exact semantics.
    conv2d_forward,            // (Shape in, int batch, Conv2dParams, const T* x, const T* w, const T* bias?, T* y)
    conv2d_backward_data,      // (Shape in, int batch, Conv2dParams, const T* dy, const T* w, T* dx)
    conv2d_backward_params,    // (Shape in, int batch, Conv2dParams, const T* x, const T* dy, T* dw +=, T* dbias? +=)
    batch_norm_forward_train,  // (Shape, int batch, BatchNormParams, x, gamma, beta, running_mean, running_var, y, saved_mean, saved_invstd)
    batch_norm_forward_eval,   // (Shape, int batch, BatchNormParams, x, gamma, beta, running_mean, running_var, y)
    batch_norm_backward_train, // (Shape, int batch, x, dy, gamma, saved_mean, saved_invstd, dx, dgamma +=, dbeta +=)
    relu_forward,              // (size_t n, const T* x, T* y)                 y may alias x
    relu_backward,             // (size_t n, const T* y, const T* dy, T* dx)   dx may alias dy
    add_forward,               // (size_t n, const T* a, const T* b, T* y)     y may alias a or b
    accumulate,                // (size_t n, const T* src, T* dst)             dst += src
    sigmoid_forward,           // (size_t n, const T* x, T* y)
    sigmoid_backward,          // (size_t n, const T* y, const T* dy, T* dx)
    max_pool2d_forward,        // (Shape in, int batch, Pool2dParams, const T* x, T* y, int32_t* argmax)
    max_pool2d_backward,       // (Shape in, int batch, Pool2dParams, const T* dy, const int32_t* argmax, T* dx)
    global_avg_pool_forward,   // (Shape in, int batch, const T* x, T* y)
    global_avg_pool_backward,  // (Shape in, int batch, const T* dy, T* dx)
    resize_bilinear_forward,   // (Shape in, int batch, int out_h, int out_w, bool align_corners, const T* x, T* y)
    resize_bilinear_backward,  // (Shape in, int batch, int out_h, int out_w, bool align_corners, const T* dy, T* dx)
    concat_channels_forward,   // (size_t rows, span<const int> channels (host), span<const T* const> inputs (host array), T* y)
    concat_channels_backward,  // (size_t rows, span<const int> channels (host), const T* dy, span<T* const> dinputs (host array))
    dropout_forward,           // (size_t n, double p, uint64_t seed, const T* x, T* y, uint8_t* mask)   y may alias x
    dropout_backward,          // (size_t n, double p, const uint8_t* mask, const T* dy, T* dx)          dx may alias dy
    // Fused layer ops (optional: a layer uses them when the backend declares them, else the
    // separate ops above).
    conv2d_bn_forward_eval,         // (Shape in, int batch, Conv2dParams, x, w, bias?, BatchNormParams, gamma, beta, running_mean, running_var, const T* residual?, bool relu, T* y)
    batch_norm_relu_forward_train,  // as batch_norm_forward_train, then ReLU
    batch_norm_relu_backward_train, // (Shape, int batch, x, y, dy, gamma, saved_mean, saved_invstd, dx, dgamma +=, dbeta +=)
    // Training and inference.
    adam_step,          // (size_t n, AdamStep, bool decay, T* param, const T* grad, T* m, T* v)
    loss_bce_dice,      // (MapGeometry, BceDiceWeights, const T* logits, const T* targets, T* grad?) -> double (host)
    loss_lovasz,        // (MapGeometry, const T* logits, const T* targets, T* grad?) -> double (host)
    mask_stats,         // (MapGeometry, const T* logits, const T* truth, span<const double> thresholds (host), MaskCounts* out (host, batch x thresholds))
    flip_width,         // (Shape, int batch, const T* x, T* y)     y[n, r, c] = x[n, r, W-1-c]; y must not alias x
    crop,               // (Shape in, int batch, Region, const T* x, T* y)   y has shape {region.h, region.w, in.c}
    axpby,              // (size_t n, T a, const T* x, T b, T* y)   y = a x + b y
    threshold,          // (size_t n, const T* x, T t, uint8_t* mask)   mask = x > t
    count_
};

inline constexpr int kOpCount = int(Op::count_);
static_assert(kOpCount <= 64, "OpSet holds at most 64 ops");

inline constexpr std::array<std::string_view, kOpCount> kOpNames{
    "conv2d_forward", "conv2d_backward_data", "conv2d_backward_params", "batch_norm_forward_train",
    "batch_norm_forward_eval", "batch_norm_backward_train", "relu_forward", "relu_backward", "add_forward",
    "accumulate", "sigmoid_forward", "sigmoid_backward", "max_pool2d_forward", "max_pool2d_backward",
    "global_avg_pool_forward", "global_avg_pool_backward", "resize_bilinear_forward", "resize_bilinear_backward",
    "concat_channels_forward", "concat_channels_backward", "dropout_forward", "dropout_backward",
    "conv2d_bn_forward_eval", "batch_norm_relu_forward_train", "batch_norm_relu_backward_train", "adam_step",
    "loss_bce_dice", "loss_lovasz", "mask_stats", "flip_width", "crop", "axpby", "threshold"};

constexpr std::string_view op_name(Op o) { return kOpNames[std::size_t(o)]; }

// A set of ops, usable at compile time (a layer's needs, a backend's declaration) and as a template
// argument (a structural type: its one member is public).
struct OpSet {
    constexpr OpSet() = default;
    constexpr OpSet(std::initializer_list<Op> ops) {
        for (Op o : ops) bits_ |= bit(o);
    }
    constexpr bool has(Op o) const { return (bits_ & bit(o)) != 0; }
    constexpr bool contains(OpSet o) const { return (o.bits_ & ~bits_) == 0; }
    constexpr OpSet operator|(OpSet o) const { return from_bits(bits_ | o.bits_); }
    constexpr OpSet& operator|=(OpSet o) { return bits_ |= o.bits_, *this; }
    constexpr int size() const { return std::popcount(bits_); }
    constexpr bool operator==(const OpSet&) const = default;

    static constexpr std::uint64_t bit(Op o) { return std::uint64_t(1) << int(o); }
    static constexpr OpSet from_bits(std::uint64_t b) {
        OpSet s;
        s.bits_ = b;
        return s;
    }
    std::uint64_t bits_ = 0;
};

// The tag an op's run overload is selected by.
template <Op O>
struct op_t {
    static constexpr Op value = O;
};

// What every backend provides besides its ops (see the top of this file).
enum class WeightLayout { hwio, ohwi };

template <class B>
concept Backend = requires(typename B::device& d, void* p, const void* q, std::size_t n, float* f) {
    { B::name } -> std::convertible_to<const char*>;
    { B::ops } -> std::convertible_to<OpSet>;
    { B::host_accessible } -> std::convertible_to<bool>;
    { B::conv_weight_layout } -> std::convertible_to<WeightLayout>;
    { B::template supports<float> } -> std::convertible_to<bool>;
    typename B::options;
    { B::allocate(d, n) } -> std::same_as<void*>;
    B::deallocate(d, p);
    B::copy_to_device(d, p, q, n);
    B::copy_to_host(d, p, q, n);
    B::copy(d, p, q, n);
    B::fill_zero(d, p, n);
    B::fill(d, f, n, 1.0f);
    B::synchronize(d);
} && std::same_as<typename B::device::backend, B>;

namespace check {
// The one place a missing op is reported. The compiler's "[with Backend = ...; salt::Op O = ...]"
// line names both; the message says what to do.
template <class Backend, Op O>
constexpr bool backend_implements_op() {
    static_assert(Backend::ops.has(O),
                  "salt: this backend does not implement an op that is used here (the backend and the op are named "
                  "in the 'with Backend = ..., O = salt::Op::...' line); implement it in the backend's folder and "
                  "add it to the backend's `ops`, or choose a backend that has it");
    return Backend::ops.has(O);
}

// The scalar type a network is instantiated with.
template <class Backend, class Scalar>
constexpr bool backend_supports_scalar() {
    static_assert(Backend::template supports<Scalar>,
                  "salt: this backend does not run this scalar type (see 'with Backend = ..., Scalar = ...'); the "
                  "simd and CUDA backends run float, the reference backend float and double");
    return Backend::template supports<Scalar>;
}

// Every op of `needed`, each reported on its own when missing.
template <class Backend, OpSet needed, Op O>
constexpr bool backend_implements_if_needed() {
    if constexpr (needed.has(O)) return backend_implements_op<Backend, O>();
    else return true;
}
template <class Backend, OpSet needed>
constexpr bool backend_implements() {
    return []<int... I>(std::integer_sequence<int, I...>) {
        return (true && ... && backend_implements_if_needed<Backend, needed, Op(I)>());
    }(std::make_integer_sequence<int, kOpCount>{});
}
}  // namespace check

// Runs op O on the device's backend. The only way code outside salt/backend/ reaches a kernel.
template <Op O, class Device, class... A>
decltype(auto) run(Device& dev, A&&... a) {
    using B = typename Device::backend;
    if constexpr (B::ops.has(O)) {
        return B::run(op_t<O>{}, dev, std::forward<A>(a)...);
    } else {
        static_assert(check::backend_implements_op<B, O>());
    }
}

// Whether a backend declares an op (the layers choose fused paths with it).
template <class B, Op O>
inline constexpr bool has_op = B::ops.has(O);

}  // namespace salt
