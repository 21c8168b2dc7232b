// salt/core/tensor.hpp — NHWC activations with a compile-time per-sample shape and a run-time batch.
//
// TensorView<T, S> is a non-owning (pointer, batch) pair; Tensor<T, S, Memory> owns aligned storage
// obtained from a memory policy (the backend's). Parameters, whose sizes do not have an NHWC meaning,
// live in Buffer<T, Memory>. Element (n, y, x, c) sits at ((n*H + y)*W + x)*C + c: channels last, so
// a 1x1 convolution is a GEMM over the tensor as it lies.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <span>
#include <utility>

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
    std::span<T> span() const { return {data_, size()}; }

    static constexpr std::size_t offset(int n, int y, int x, int c) {
        return ((std::size_t(n) * S.h + std::size_t(y)) * S.w + std::size_t(x)) * S.c + std::size_t(c);
    }
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

template <class T, class Memory = host_memory>
class Buffer {
public:
    Buffer() = default;
    explicit Buffer(std::size_t count) : block_(count * sizeof(T)), count_(count) {
        std::fill_n(data(), count_, T(0));
    }
    T* data() { return static_cast<T*>(block_.data()); }
    const T* data() const { return static_cast<const T*>(block_.data()); }
    std::size_t size() const { return count_; }
    std::span<T> span() { return {data(), count_}; }
    std::span<const T> span() const { return {data(), count_}; }
    T& operator[](std::size_t i) { return data()[i]; }
    const T& operator[](std::size_t i) const { return data()[i]; }

private:
    Block<Memory> block_;
    std::size_t count_ = 0;
};

template <class T, Shape S, class Memory = host_memory>
class Tensor {
public:
    static constexpr Shape shape = S;
    static constexpr std::size_t sample_size = S.size();

    Tensor() = default;
    explicit Tensor(int batch) : buf_(sample_size * std::size_t(batch)), batch_(batch) {}

    T* data() { return buf_.data(); }
    const T* data() const { return buf_.data(); }
    int batch() const { return batch_; }
    std::size_t size() const { return buf_.size(); }

    TensorView<T, S> view() { return {data(), batch_}; }
    TensorView<const T, S> view() const { return {data(), batch_}; }
    operator TensorView<T, S>() { return view(); }
    operator TensorView<const T, S>() const { return view(); }

    T& operator()(int n, int y, int x, int c) { return view()(n, y, x, c); }
    const T& operator()(int n, int y, int x, int c) const { return view()(n, y, x, c); }

private:
    Buffer<T, Memory> buf_;
    int batch_ = 0;
};

}  // namespace salt
