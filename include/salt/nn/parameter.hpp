// salt/nn/parameter.hpp — where a network's parameters live and how layers expose them.
//
// Storage: one ParamStore per network (a model, or a lone layer in a test), two allocations of the
// backend's memory: values = [decayed | not decayed | buffers] and gradients = [decayed | not
// decayed]. Conv weights are the decayed section; BN gamma/beta and biases the undecayed one; BN
// running statistics the buffers. Layers take their slices in a fixed order (bind()), each padded to
// 64 bytes so every tensor starts aligned. One store makes zeroing the gradients one fill, an
// Adam update two kernel launches, and host staging (initialisation, weights files) one copy each
// way.
//
// Exposure: visit(f) hands each nn::ParamRef (torchvision's state_dict name, PyTorch shape, the
// value and gradient pointers *in backend memory*, the kernel layout of conv weights) to loaders,
// savers, optimizers and summaries. Nothing outside salt/backend/ dereferences those pointers: host
// code reads and writes parameters through a HostParams image (download, edit, upload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "salt/core/backend.hpp"
#include "salt/core/memory.hpp"
#include "salt/core/shape.hpp"
#include "salt/core/tensor.hpp"

namespace salt::nn {

enum class ParamKind {
    conv_weight,          // kernel layout in salt (the backend's: HWIO or OHWI), OIHW in PyTorch
    conv_bias,
    bn_weight,            // gamma
    bn_bias,              // beta
    bn_running_mean,      // buffer
    bn_running_var,       // buffer
    bn_num_batches_tracked  // int64 buffer, kept on the host by its layer
};

enum class ParamSection { decay, no_decay, buffer };

// Element counts of each section (each tensor padded to 64 bytes).
struct ParamSizes {
    std::size_t decay = 0, no_decay = 0, buffers = 0;
    constexpr ParamSizes operator+(const ParamSizes& o) const {
        return {decay + o.decay, no_decay + o.no_decay, buffers + o.buffers};
    }
    constexpr ParamSizes& operator+=(const ParamSizes& o) { return *this = *this + o; }
    constexpr std::size_t trainable() const { return decay + no_decay; }
    constexpr std::size_t total() const { return decay + no_decay + buffers; }
    constexpr bool operator==(const ParamSizes&) const = default;
};
template <class T>
constexpr std::size_t padded_count(std::size_t n) {
    return align_up(n * sizeof(T)) / sizeof(T);
}
template <class T>
constexpr ParamSizes param_sizes_of(ParamSection s, std::size_t n) {
    ParamSizes r;
    (s == ParamSection::decay ? r.decay : s == ParamSection::no_decay ? r.no_decay : r.buffers) = padded_count<T>(n);
    return r;
}

template <class T>
struct ParamRef {
    std::string name;
    ParamKind kind;
    std::vector<std::int64_t> torch_shape;
    T* value = nullptr;           // backend memory; null for num_batches_tracked
    T* grad = nullptr;            // backend memory; null for buffers
    std::size_t count = 0;
    Conv2dParams conv{};          // geometry, for conv weights
    std::int64_t* counter = nullptr;  // num_batches_tracked (host)

    bool trainable() const { return grad != nullptr; }
    // Adam(W) conventionally skips weight decay on BN parameters and biases.
    bool decays() const { return kind == ParamKind::conv_weight; }
};

// What a layer's visit() calls for each of its parameters: a non-owning reference to the caller's
// callable (like a function_ref), valid for the duration of the visit. The layers take this one type
// rather than a template parameter, so each layer's visit is compiled once, not once per visitor.
template <class T>
class ParamVisitor {
public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, ParamVisitor> &&
                 std::is_invocable_v<F&, const ParamRef<T>&>)
    ParamVisitor(F&& f)  // NOLINT: implicit, so a lambda can be passed where a visitor is expected
        : callable_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* c, const ParamRef<T>& p) { (*static_cast<std::remove_reference_t<F>*>(c))(p); }) {}

    void operator()(const ParamRef<T>& p) const { call_(callable_, p); }

private:
    void* callable_;
    void (*call_)(void*, const ParamRef<T>&);
};

inline std::string join_name(const std::string& prefix, const char* leaf) {
    return prefix.empty() ? std::string(leaf) : prefix + "." + leaf;
}

// A value pointer and its gradient (null for buffers).
template <class T>
struct ParamSlice {
    T* value = nullptr;
    T* grad = nullptr;
};

// Hands out the slices of a store in binding order.
template <class T>
class ParamBinder {
public:
    ParamBinder(T* values, T* grads, ParamSizes sizes) : values_(values), grads_(grads), sizes_(sizes) {}
    ParamSlice<T> take(ParamSection s, std::size_t n) {
        const std::size_t len = padded_count<T>(n);
        std::size_t base = 0, cap = 0, *next = nullptr;
        switch (s) {
            case ParamSection::decay: base = 0, cap = sizes_.decay, next = &decay_; break;
            case ParamSection::no_decay: base = sizes_.decay, cap = sizes_.no_decay, next = &no_decay_; break;
            case ParamSection::buffer: base = sizes_.trainable(), cap = sizes_.buffers, next = &buffers_; break;
        }
        if (*next + len > cap)
            throw std::logic_error("salt::nn::ParamBinder: the layers take more parameters than they declared");
        ParamSlice<T> r{values_ + base + *next, s == ParamSection::buffer ? nullptr : grads_ + base + *next};
        *next += len;
        return r;
    }
    // Everything declared was taken (checked by the owner after binding).
    bool complete() const { return decay_ == sizes_.decay && no_decay_ == sizes_.no_decay && buffers_ == sizes_.buffers; }

private:
    T* values_;
    T* grads_;
    ParamSizes sizes_;
    std::size_t decay_ = 0, no_decay_ = 0, buffers_ = 0;
};

// A host copy of a store's values: layers initialise into it, weights files are read into and
// written from it; at(p) is the host element that mirrors backend pointer p.
template <class T>
class HostParams {
public:
    HostParams(const T* device_base, std::vector<T> values) : base_(device_base), values_(std::move(values)) {}
    T* at(const T* device_ptr) {
        const std::ptrdiff_t off = device_ptr - base_;
        if (off < 0 || std::size_t(off) >= values_.size())
            throw std::logic_error("salt::nn::HostParams: a pointer outside the parameter store");
        return values_.data() + off;
    }
    std::span<T> span(const T* device_ptr, std::size_t n) { return {at(device_ptr), n}; }
    std::vector<T>& values() { return values_; }
    const std::vector<T>& values() const { return values_; }

private:
    const T* base_;
    std::vector<T> values_;
};

template <class T, class B>
class ParamStore {
public:
    using device_type = typename B::device;
    ParamStore() = default;
    ParamStore(device_type& dev, ParamSizes sizes)
        : dev_(&dev), sizes_(sizes), values_(dev, sizes.total()), grads_(dev, sizes.trainable()) {}

    ParamBinder<T> binder() { return {values_.data(), grads_.data(), sizes_}; }
    const ParamSizes& sizes() const { return sizes_; }
    device_type& device() const { return *dev_; }

    T* values() { return values_.data(); }
    T* grads() { return grads_.data(); }
    // The three sections as (pointer, count): what an optimizer updates.
    T* decay_values() { return values_.data(); }
    T* decay_grads() { return grads_.data(); }
    T* no_decay_values() { return values_.data() + sizes_.decay; }
    T* no_decay_grads() { return grads_.data() + sizes_.decay; }

    void zero_grad() {
        if (sizes_.trainable()) B::fill_zero(*dev_, grads_.data(), sizes_.trainable() * sizeof(T));
    }

    HostParams<T> download() const { return {values_.data(), values_.download()}; }
    void upload(const HostParams<T>& h) { values_.upload(h.values()); }
    HostParams<T> download_grads() const { return {grads_.data(), grads_.download()}; }

private:
    device_type* dev_ = nullptr;
    ParamSizes sizes_{};
    Buffer<T, B> values_;
    Buffer<T, B> grads_;
};

// Visits the parameters of a model (visit(f)) or of a layer (visit(prefix, f)) alike.
template <class Module, class F>
void visit_parameters(Module& m, F&& f) {
    if constexpr (requires { m.visit(f); }) m.visit(f);
    else m.visit(std::string(), f);
}

}  // namespace salt::nn
