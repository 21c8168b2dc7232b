// salt/interop/eigen.hpp — Eigen's tensors in and out of salt.
//
//   auto x = salt::interop::view<Model::in_shape>(images);      // a TensorView of the Eigen memory
//   salt::interop::copy<B>(device, model_output, results);      // salt samples into an Eigen tensor
//   salt::interop::upload<B>(device, images, device_input);     // an Eigen tensor into backend memory
//   auto m = salt::interop::eigen_map(salt_tensor);             // an Eigen::TensorMap of salt memory
//
// Works with Eigen::Tensor, Eigen::TensorFixedSize and Eigen::TensorMap of either (const or not).
// The layout rule is in salt/interop/layout.hpp: Eigen::RowMajor tensors are (N, H, W, C), (H, W, C)
// or (H, W); Eigen's default ColMajor tensors are the same dimensions reversed, (C, W, H, N) etc.
// Where the Eigen type's dimensions are fixed (TensorFixedSize), a mismatch is a compile error;
// otherwise a std::invalid_argument naming both shapes.
//
// view() makes no copy: the model on a host backend (reference, simd) reads the caller's memory.
// Everything that moves salt memory goes through backend B's own copies, as everywhere outside
// backend/ (docs/architecture.md), so copy() and upload() serve a device backend as well, and a map
// of salt memory exists only for a backend the host may touch.
//
// Needs Eigen 3.4's Tensor module on the include path (Debian: libeigen3-dev; the CMake target
// salt::eigen adds it). The core of salt does not depend on Eigen.
#pragma once

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <unsupported/Eigen/CXX11/Tensor>

#include "salt/core/tensor.hpp"
#include "salt/interop/layout.hpp"

namespace salt::interop {

// Eigen::Tensor, Eigen::TensorFixedSize, Eigen::TensorMap (possibly const): what the functions below take.
template <class E>
concept EigenTensor = requires(std::remove_const_t<E>& t) {
    typename std::remove_const_t<E>::Dimensions;
    std::remove_const_t<E>::NumIndices;
    std::remove_const_t<E>::Layout;
    t.data();
    t.dimension(0);
};

namespace detail {

template <class E>
inline constexpr Order eigen_order = (int(std::remove_const_t<E>::Layout) == int(Eigen::RowMajor)) ? Order::row_major
                                                                                                  : Order::col_major;

// Fixed dimensions of an Eigen::Sizes<...> (TensorFixedSize, or a TensorMap of one).
template <class D>
struct EigenFixedDims {
    static constexpr bool fixed = false;
};
template <std::ptrdiff_t... I>
struct EigenFixedDims<Eigen::Sizes<I...>> {
    static constexpr bool fixed = true;
    static constexpr std::size_t rank = sizeof...(I);
    static constexpr std::size_t dims[sizeof...(I) + 1] = {std::size_t(I)..., 0};
};

template <class E>
using EigenDims = EigenFixedDims<typename std::remove_const_t<E>::Dimensions>;

template <class E>
inline constexpr std::size_t eigen_rank = std::size_t(std::remove_const_t<E>::NumIndices);

template <class E, std::size_t... I>
std::array<std::size_t, sizeof...(I)> eigen_dims(const E& t, std::index_sequence<I...>) {
    return {std::size_t(t.dimension(I))...};
}

template <Shape S, class E>
int eigen_batch(const E& t) {
    constexpr std::size_t rank = eigen_rank<E>;
    static_assert(supported_rank(rank),
                  "salt::interop: an Eigen tensor holds salt samples only at rank 4 (a batch), 3 (one sample) "
                  "or 2 (one single-channel sample)");
    if constexpr (EigenDims<E>::fixed) {
        static_assert(holds_samples<S>(EigenDims<E>::dims, rank, eigen_order<E>),
                      "salt::interop: this fixed-size Eigen tensor's dimensions do not hold samples of the salt "
                      "shape: a RowMajor tensor needs (N, H, W, C), (H, W, C) or (H, W); a ColMajor one the "
                      "reverse, (C, W, H, N), (C, W, H) or (W, H)");
    }
    const auto dims = eigen_dims(t, std::make_index_sequence<rank>{});
    return batch_of<S>(dims.data(), rank, eigen_order<E>, "an Eigen tensor");
}

}  // namespace detail

// A salt view of an Eigen tensor's memory: samples of shape S, the batch from its dimensions.
// The element type follows the tensor's (const for a const tensor or a map of const).
template <Shape S, EigenTensor E>
auto view(E& t) {
    using T = std::remove_pointer_t<decltype(t.data())>;
    const int batch = detail::eigen_batch<S>(t);
    return TensorView<T, S>(t.data(), batch);
}

// An Eigen view of salt memory: rank 4, RowMajor, dimensions (N, H, W, C). Only for a backend whose
// memory the host may touch (reference, simd): B names it, so a device pointer is never mapped.
template <class B, class T, Shape S>
    requires(B::host_accessible)
auto eigen_map(TensorView<T, S> v) {
    using Map = Eigen::TensorMap<Eigen::Tensor<T, 4, Eigen::RowMajor>>;
    return Map(v.data(), v.batch(), S.h, S.w, S.c);
}
template <class T, Shape S, class B>
auto eigen_map(Tensor<T, S, B>& t) {
    return eigen_map<B>(t.view());
}

// Copies salt samples in backend B's memory (a model's output, on any backend, a device included)
// into the caller's Eigen tensor, which must hold exactly as many samples of shape S. The copy is the
// backend's own (a memcpy on the host backends).
template <class B, class T, Shape S, EigenTensor E>
void copy(typename B::device& dev, TensorView<T, S> from, E& to) {
    using Dst = std::remove_pointer_t<decltype(to.data())>;
    static_assert(!std::is_const_v<Dst>, "salt::interop::copy: the destination Eigen tensor is const");
    static_assert(std::is_same_v<std::remove_const_t<T>, Dst>,
                  "salt::interop::copy: the Eigen tensor's element type is not the salt view's");
    const int batch = detail::eigen_batch<S>(to);
    if (batch != from.batch())
        throw std::invalid_argument("salt::interop::copy: the Eigen tensor holds " + std::to_string(batch) +
                                    " samples, the salt view " + std::to_string(from.batch()));
    if (batch) B::copy_to_host(dev, to.data(), from.data(), std::size_t(batch) * S.size() * sizeof(Dst));
}

// Copies the caller's Eigen tensor into salt samples in backend B's memory (a model's input on a device
// backend; on a host backend view() needs no copy).
template <class B, class T, Shape S, EigenTensor E>
void upload(typename B::device& dev, const E& from, TensorView<T, S> to) {
    static_assert(!std::is_const_v<T>, "salt::interop::upload: the destination salt view is const");
    static_assert(std::is_same_v<T, std::remove_const_t<std::remove_pointer_t<decltype(from.data())>>>,
                  "salt::interop::upload: the Eigen tensor's element type is not the salt view's");
    const int batch = detail::eigen_batch<S>(from);
    if (batch != to.batch())
        throw std::invalid_argument("salt::interop::upload: the Eigen tensor holds " + std::to_string(batch) +
                                    " samples, the salt view " + std::to_string(to.batch()));
    if (batch) B::copy_to_device(dev, to.data(), from.data(), std::size_t(batch) * S.size() * sizeof(T));
}

}  // namespace salt::interop
