// salt/backend/reference/reference.hpp — the reference backend: plain scalar C++ on the host.
//
// It is the oracle every other backend is checked against, so its kernels (salt/ops/, one op per
// file) are written for clarity, not speed, and are templated on the scalar type so gradient checks
// run them in double. It implements every op of the catalogue except the fused ones, which exist
// only as optimisations: a model on this backend runs layer by layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "salt/core/backend.hpp"
#include "salt/core/memory.hpp"
#include "salt/core/op_params.hpp"
#include "salt/ops/ops.hpp"

namespace salt::backend {

struct Reference {
    static constexpr const char* name = "reference";
    static constexpr bool host_accessible = true;
    static constexpr WeightLayout conv_weight_layout = WeightLayout::hwio;
    template <class T>
    static constexpr bool supports = std::is_same_v<T, float> || std::is_same_v<T, double>;

    struct options {};
    // Nothing to hold: the reference kernels are serial and allocate what they need.
    struct device {
        using backend = Reference;
        device() = default;
        explicit device(options) {}
    };

    static void* allocate(device&, std::size_t bytes) { return host_allocate(bytes); }
    static void deallocate(device&, void* p) noexcept { host_deallocate(p); }
    static void copy_to_device(device&, void* dst, const void* src, std::size_t bytes) {
        if (bytes) std::memcpy(dst, src, bytes);
    }
    static void copy_to_host(device&, void* dst, const void* src, std::size_t bytes) {
        if (bytes) std::memcpy(dst, src, bytes);
    }
    static void copy(device&, void* dst, const void* src, std::size_t bytes) {
        if (bytes && dst != src) std::memmove(dst, src, bytes);
    }
    static void fill_zero(device&, void* p, std::size_t bytes) {
        if (bytes) std::memset(p, 0, bytes);
    }
    template <class T>
    static void fill(device&, T* p, std::size_t n, T value) {
        for (std::size_t i = 0; i < n; ++i) p[i] = value;
    }
    static void synchronize(device&) {}

    static constexpr OpSet ops{
        Op::conv2d_forward,          Op::conv2d_backward_data,     Op::conv2d_backward_params,
        Op::batch_norm_forward_train, Op::batch_norm_forward_eval, Op::batch_norm_backward_train,
        Op::relu_forward,            Op::relu_backward,            Op::add_forward,
        Op::accumulate,              Op::sigmoid_forward,          Op::sigmoid_backward,
        Op::max_pool2d_forward,      Op::max_pool2d_backward,      Op::global_avg_pool_forward,
        Op::global_avg_pool_backward, Op::resize_bilinear_forward, Op::resize_bilinear_backward,
        Op::concat_channels_forward, Op::concat_channels_backward, Op::dropout_forward,
        Op::dropout_backward,        Op::adam_step,                Op::loss_bce_dice,
        Op::loss_lovasz,             Op::mask_stats,               Op::flip_width,
        Op::crop,                    Op::axpby,                    Op::threshold};

    // One overload per op, each the salt/ops kernel of that name.
    template <class T>
    static void run(op_t<Op::conv2d_forward>, device&, Shape in, int batch, const Conv2dParams& p, const T* x, const T* w,
                    const std::type_identity_t<T>* bias, T* y) {
        ops::conv2d_forward(in, batch, p, x, w, bias, y);
    }
    template <class T>
    static void run(op_t<Op::conv2d_backward_data>, device&, Shape in, int batch, const Conv2dParams& p, const T* dy,
                    const T* w, T* dx) {
        ops::conv2d_backward_data(in, batch, p, dy, w, dx);
    }
    template <class T>
    static void run(op_t<Op::conv2d_backward_params>, device&, Shape in, int batch, const Conv2dParams& p, const T* x,
                    const T* dy, T* dw, std::type_identity_t<T>* dbias) {
        ops::conv2d_backward_params(in, batch, p, x, dy, dw, dbias);
    }
    template <class T>
    static void run(op_t<Op::batch_norm_forward_train>, device&, Shape s, int batch, const BatchNormParams& bp,
                    const T* x, const T* gamma, const T* beta, T* running_mean, T* running_var, T* y, T* saved_mean,
                    T* saved_invstd) {
        ops::batch_norm_forward_train(s, batch, bp, x, gamma, beta, running_mean, running_var, y, saved_mean, saved_invstd);
    }
    template <class T>
    static void run(op_t<Op::batch_norm_forward_eval>, device&, Shape s, int batch, const BatchNormParams& bp,
                    const T* x, const T* gamma, const T* beta, const T* running_mean, const T* running_var, T* y) {
        ops::batch_norm_forward_eval(s, batch, bp, x, gamma, beta, running_mean, running_var, y);
    }
    template <class T>
    static void run(op_t<Op::batch_norm_backward_train>, device&, Shape s, int batch, const T* x, const T* dy,
                    const T* gamma, const T* saved_mean, const T* saved_invstd, T* dx, T* dgamma, T* dbeta) {
        ops::batch_norm_backward_train(s, batch, x, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta);
    }
    template <class T>
    static void run(op_t<Op::relu_forward>, device&, std::size_t n, const T* x, T* y) {
        ops::relu_forward(n, x, y);
    }
    template <class T>
    static void run(op_t<Op::relu_backward>, device&, std::size_t n, const T* y, const T* dy, T* dx) {
        ops::relu_backward(n, y, dy, dx);
    }
    template <class T>
    static void run(op_t<Op::add_forward>, device&, std::size_t n, const T* a, const T* b, T* y) {
        ops::add_forward(n, a, b, y);
    }
    template <class T>
    static void run(op_t<Op::accumulate>, device&, std::size_t n, const T* src, T* dst) {
        ops::accumulate(n, src, dst);
    }
    template <class T>
    static void run(op_t<Op::sigmoid_forward>, device&, std::size_t n, const T* x, T* y) {
        ops::sigmoid_forward(n, x, y);
    }
    template <class T>
    static void run(op_t<Op::sigmoid_backward>, device&, std::size_t n, const T* y, const T* dy, T* dx) {
        ops::sigmoid_backward(n, y, dy, dx);
    }
    template <class T>
    static void run(op_t<Op::max_pool2d_forward>, device&, Shape in, int batch, const Pool2dParams& p, const T* x, T* y,
                    std::int32_t* argmax) {
        ops::max_pool2d_forward(in, batch, p, x, y, argmax);
    }
    template <class T>
    static void run(op_t<Op::max_pool2d_backward>, device&, Shape in, int batch, const Pool2dParams& p, const T* dy,
                    const std::int32_t* argmax, T* dx) {
        ops::max_pool2d_backward(in, batch, p, dy, argmax, dx);
    }
    template <class T>
    static void run(op_t<Op::global_avg_pool_forward>, device&, Shape in, int batch, const T* x, T* y) {
        ops::global_avg_pool_forward(in, batch, x, y);
    }
    template <class T>
    static void run(op_t<Op::global_avg_pool_backward>, device&, Shape in, int batch, const T* dy, T* dx) {
        ops::global_avg_pool_backward(in, batch, dy, dx);
    }
    template <class T>
    static void run(op_t<Op::resize_bilinear_forward>, device&, Shape in, int batch, int out_h, int out_w,
                    bool align_corners, const T* x, T* y) {
        ops::resize_bilinear_forward(in, batch, out_h, out_w, align_corners, x, y);
    }
    template <class T>
    static void run(op_t<Op::resize_bilinear_backward>, device&, Shape in, int batch, int out_h, int out_w,
                    bool align_corners, const T* dy, T* dx) {
        ops::resize_bilinear_backward(in, batch, out_h, out_w, align_corners, dy, dx);
    }
    template <class T>
    static void run(op_t<Op::concat_channels_forward>, device&, std::size_t rows, std::span<const int> channels,
                    std::span<const T* const> inputs, T* y) {
        ops::concat_channels_forward(rows, channels, inputs, y);
    }
    template <class T>
    static void run(op_t<Op::concat_channels_backward>, device&, std::size_t rows, std::span<const int> channels,
                    const T* dy, std::span<T* const> dinputs) {
        ops::concat_channels_backward(rows, channels, dy, dinputs);
    }
    template <class T>
    static void run(op_t<Op::dropout_forward>, device&, std::size_t n, double p, std::uint64_t seed, const T* x, T* y,
                    std::uint8_t* mask) {
        ops::dropout_forward(n, p, seed, x, y, mask);
    }
    template <class T>
    static void run(op_t<Op::dropout_backward>, device&, std::size_t n, double p, const std::uint8_t* mask, const T* dy,
                    T* dx) {
        ops::dropout_backward(n, p, mask, dy, dx);
    }
    template <class T>
    static void run(op_t<Op::adam_step>, device&, std::size_t n, const AdamStep& s, bool decay, T* param, const T* grad,
                    T* m, T* v) {
        ops::adam_step(n, s, decay, param, grad, m, v);
    }
    template <class T>
    static double run(op_t<Op::loss_bce_dice>, device&, const MapGeometry& g, const BceDiceWeights& w, const T* logits,
                      const T* targets, T* grad) {
        return ops::loss_bce_dice(g, w, logits, targets, grad);
    }
    template <class T>
    static double run(op_t<Op::loss_lovasz>, device&, const MapGeometry& g, const T* logits, const T* targets, T* grad) {
        return ops::loss_lovasz(g, logits, targets, grad);
    }
    template <class T>
    static void run(op_t<Op::mask_stats>, device&, const MapGeometry& g, const T* logits, const T* truth,
                    std::span<const double> thresholds, MaskCounts* out) {
        ops::mask_stats(g, logits, truth, thresholds, out);
    }
    template <class T>
    static void run(op_t<Op::flip_width>, device&, Shape s, int batch, const T* x, T* y) {
        ops::flip_width(s, batch, x, y);
    }
    template <class T>
    static void run(op_t<Op::crop>, device&, Shape in, int batch, const Region& r, const T* x, T* y) {
        ops::crop(in, batch, r, x, y);
    }
    template <class T>
    static void run(op_t<Op::axpby>, device&, std::size_t n, std::type_identity_t<T> a, const T* x,
                    std::type_identity_t<T> b, T* y) {
        ops::axpby(n, a, x, b, y);
    }
    template <class T>
    static void run(op_t<Op::threshold>, device&, std::size_t n, const T* x, std::type_identity_t<T> t,
                    std::uint8_t* mask) {
        ops::threshold(n, x, t, mask);
    }
};

static_assert(Backend<Reference>);

}  // namespace salt::backend
