// salt/core/tensor.hpp — NHWC activations with a compile-time per-sample shape and a run-time batch.
//
// TensorView<T, S> is a non-owning (pointer, batch) pair; it says nothing about where the pointer
// lives. Buffer<T, B> owns `count` elements of backend B's memory and Tensor<T, S, B> a batch of
// shape-S samples in one; both move data to and from the host only through B's copies. Element
// (n, y, x, c) sits at ((n*H + y)*W + x)*C + c: channels last, so a 1x1 convolution is a GEMM over
// the tensor as it lies.
#pragma once

#include <cassert>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "salt/core/memory.hpp"
#include "salt/core/shape.hpp"

namespace salt {

template <class T, Shape S>
class TensorView {
    static_assert(S.valid(), "TensorView: every per-sample extent (height, width, channels) must be positive");

public:
    using value_type = T;
    static constexpr Shape shape = S;
    static constexpr std::size_t sample_size = S.size();

    TensorView() = default;
    TensorView(T* data, int batch) : data_(data), batch_(batch) {}
    // A view of non-const elements converts to a view of const elements.
    template <class U>
        requires(std::is_same_v<const U, T> && !std::is_same_v<U, T>)
    TensorView(TensorView<U, S> other) : data_(other.data()), batch_(other.batch()) {}

    T* data() const { return data_; }
    int batch() const { return batch_; }
    std::size_t size() const { return sample_size * std::size_t(batch_); }
    std::size_t bytes() const { return size() * sizeof(T); }

    static constexpr std::size_t offset(int n, int y, int x, int c) {
        return ((std::size_t(n) * S.h + std::size_t(y)) * S.w + std::size_t(x)) * S.c + std::size_t(c);
    }
    // Element access on the host: only for views of host memory (a host array, or a host-accessible
    // backend's tensor in a test).
    T& operator()(int n, int y, int x, int c) const {
        assert(n >= 0 && n < batch_ && y >= 0 && y < S.h && x >= 0 && x < S.w && c >= 0 && c < S.c);
        return data_[offset(n, y, x, c)];
    }
    // Sample n as a batch-of-one view.
    TensorView sample(int n) const { return TensorView(data_ + sample_size * std::size_t(n), 1); }

private:
    T* data_ = nullptr;
    int batch_ = 0;
};

// `count` elements of backend memory, zeroed at construction (by the backend).
template <class T, class B>
class Buffer {
public:
    using device_type = typename B::device;
    Buffer() = default;
    Buffer(device_type& dev, std::size_t count) : block_(dev, count * sizeof(T)), count_(count) {
        if (count_) B::fill_zero(dev, block_.data(), count_ * sizeof(T));
    }

    T* data() { return static_cast<T*>(block_.data()); }
    const T* data() const { return static_cast<const T*>(block_.data()); }
    std::size_t size() const { return count_; }
    device_type& device() const { return *block_.device(); }

    // Host <-> backend, whole buffer. `upload` checks the size.
    void upload(std::span<const T> host) {
        if (host.size() != count_)
            throw std::invalid_argument("salt::Buffer::upload: " + std::to_string(host.size()) +
                                        " host elements for a buffer of " + std::to_string(count_));
        if (count_) B::copy_to_device(device(), data(), host.data(), count_ * sizeof(T));
    }
    std::vector<T> download() const {
        std::vector<T> h(count_);
        if (count_) B::copy_to_host(device(), h.data(), data(), count_ * sizeof(T));
        return h;
    }
    // Direct host access, for backends whose memory the host may touch.
    std::span<T> host_span()
        requires(B::host_accessible)
    {
        return {data(), count_};
    }

private:
    Block<B> block_;
    std::size_t count_ = 0;
};

template <class T, Shape S, class B>
class Tensor {
public:
    using device_type = typename B::device;
    static constexpr Shape shape = S;
    static constexpr std::size_t sample_size = S.size();

    Tensor() = default;
    Tensor(device_type& dev, int batch) : buf_(dev, sample_size * std::size_t(batch)), batch_(batch) {}

    T* data() { return buf_.data(); }
    const T* data() const { return buf_.data(); }
    int batch() const { return batch_; }
    std::size_t size() const { return buf_.size(); }

    TensorView<T, S> view() { return {data(), batch_}; }
    TensorView<const T, S> view() const { return {data(), batch_}; }
    // The first n samples (n <= batch()).
    TensorView<T, S> first(int n) {
        assert(n >= 0 && n <= batch_);
        return {data(), n};
    }

    // Host <-> backend. `upload` may fill only the first `n` samples (a last, partial batch).
    void upload(std::span<const T> host) {
        if (host.size() > size() || host.size() % sample_size != 0)
            throw std::invalid_argument("salt::Tensor::upload: " + std::to_string(host.size()) +
                                        " host elements do not make whole samples of a tensor of " +
                                        std::to_string(size()));
        if (!host.empty()) B::copy_to_device(buf_.device(), data(), host.data(), host.size() * sizeof(T));
    }
    std::vector<T> download() const { return buf_.download(); }

private:
    Buffer<T, B> buf_;
    int batch_ = 0;
};

// Copies n elements of backend memory to a host vector (results coming out of a device).
template <class B, class T>
std::vector<std::remove_const_t<T>> download(typename B::device& dev, T* p, std::size_t n) {
    std::vector<std::remove_const_t<T>> h(n);
    if (n) B::copy_to_host(dev, h.data(), p, n * sizeof(T));
    return h;
}
// Copies a host span into backend memory.
template <class B, class T>
void upload(typename B::device& dev, T* dst, std::span<const T> host) {
    if (!host.empty()) B::copy_to_device(dev, dst, host.data(), host.size() * sizeof(T));
}

}  // namespace salt
