// salt/interop/xtensor.hpp — xtensor's containers in and out of salt.
//
//   auto x = salt::interop::view<Model::in_shape>(images);      // a TensorView of the container's memory
//   salt::interop::copy<B>(device, model_output, results);      // salt samples into a container
//   salt::interop::upload<B>(device, images, device_input);     // a container into backend memory
//   auto m = salt::interop::xtensor_map(salt_tensor);           // an xtensor adaptor of salt memory
//
// Works with xt::xtensor, xt::xtensor_fixed, xt::xarray and the adaptors xt::adapt returns (any
// container with data(), shape(), strides() and layout()). The layout rule is in
// salt/interop/layout.hpp: row-major containers (xtensor's default) are (N, H, W, C), (H, W, C) or
// (H, W); column-major ones are those dimensions reversed. A container with a dynamic layout is read by
// its strides; one that is not dense in either order (a strided view) is refused. Where the shape is
// fixed (xt::xtensor_fixed) a mismatch is a compile error; otherwise a std::invalid_argument naming
// both shapes.
//
// view() makes no copy; copy() and upload() go through backend B's copies, and a map of salt memory
// exists only for a backend the host may touch (as in salt/interop/eigen.hpp).
// Needs xtensor (Debian: xtensor-dev; the CMake target salt::xtensor adds it). The core of salt does
// not depend on xtensor.
#pragma once

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xfixed.hpp>
#include <xtensor/xlayout.hpp>

#include "salt/core/tensor.hpp"
#include "salt/interop/layout.hpp"

namespace salt::interop {

// xtensor containers and adaptors (possibly const): what the functions below take.
template <class E>
concept XtensorContainer = requires(const std::remove_const_t<E>& t) {
    typename std::remove_const_t<E>::shape_type;
    std::remove_const_t<E>::static_layout;
    t.data();
    t.shape();
    t.strides();
    t.layout();
    t.dimension();
};

namespace detail {

template <class S>
struct XtFixedShape {
    static constexpr bool fixed = false;
};
template <std::size_t... X>
struct XtFixedShape<xt::fixed_shape<X...>> {
    static constexpr bool fixed = true;
    static constexpr std::size_t rank = sizeof...(X);
    static constexpr std::size_t dims[sizeof...(X) + 1] = {X..., 0};
};

template <class E>
using XtShape = XtFixedShape<typename std::remove_const_t<E>::shape_type>;

template <class E>
constexpr Order xt_static_order() {
    return std::remove_const_t<E>::static_layout == xt::layout_type::column_major ? Order::col_major
                                                                                  : Order::row_major;
}

// The order in which the container's memory is dense, or throws.
template <class E>
Order xt_order(const E& t, const std::size_t* dims, std::size_t rank) {
    std::vector<std::ptrdiff_t> strides(rank);
    for (std::size_t i = 0; i < rank; ++i) strides[i] = std::ptrdiff_t(t.strides()[i]);
    const xt::layout_type l = t.layout();
    if (l == xt::layout_type::row_major || l == xt::layout_type::column_major) {
        const Order o = l == xt::layout_type::row_major ? Order::row_major : Order::col_major;
        if (dense(dims, strides.data(), rank, o)) return o;
    }
    if (dense(dims, strides.data(), rank, Order::row_major)) return Order::row_major;
    if (dense(dims, strides.data(), rank, Order::col_major)) return Order::col_major;
    throw std::invalid_argument("salt::interop: an xtensor container of dimensions " + dims_text(dims, rank) +
                                " is not dense in row-major or column-major order (a strided view?): salt "
                                "can view only contiguous memory; copy it into an xt::xtensor first");
}

template <Shape S, class E>
int xt_batch(const E& t) {
    using X = XtShape<E>;
    if constexpr (X::fixed) {
        static_assert(supported_rank(X::rank),
                      "salt::interop: an xtensor container holds salt samples only at rank 4 (a batch), 3 (one "
                      "sample) or 2 (one single-channel sample)");
        static_assert(holds_samples<S>(X::dims, X::rank, xt_static_order<E>()),
                      "salt::interop: this xt::xtensor_fixed's shape does not hold samples of the salt shape: a "
                      "row-major one needs (N, H, W, C), (H, W, C) or (H, W); a column-major one the reverse");
    }
    const std::size_t rank = t.dimension();
    std::vector<std::size_t> dims(rank);
    for (std::size_t i = 0; i < rank; ++i) dims[i] = std::size_t(t.shape()[i]);
    if (!supported_rank(rank)) return batch_of<S>(dims.data(), rank, Order::row_major, "an xtensor container");
    const Order o = xt_order(t, dims.data(), rank);
    return batch_of<S>(dims.data(), rank, o, std::string("an xtensor container (") + order_name(o) + ")");
}

}  // namespace detail

// A salt view of an xtensor container's memory: samples of shape S, the batch from its shape.
template <Shape S, XtensorContainer E>
auto view(E& t) {
    using T = std::remove_pointer_t<decltype(t.data())>;
    const int batch = detail::xt_batch<S>(t);
    return TensorView<T, S>(t.data(), batch);
}

// An xtensor adaptor over salt memory: rank 4, row-major, shape (N, H, W, C), not owning. Only for a
// backend whose memory the host may touch (reference, simd): B names it.
template <class B, class T, Shape S>
    requires(B::host_accessible)
auto xtensor_map(TensorView<T, S> v) {
    const std::array<std::size_t, 4> shape{std::size_t(v.batch()), std::size_t(S.h), std::size_t(S.w),
                                           std::size_t(S.c)};
    return xt::adapt(v.data(), v.size(), xt::no_ownership(), shape);
}
template <class T, Shape S, class B>
auto xtensor_map(Tensor<T, S, B>& t) {
    return xtensor_map<B>(t.view());
}

// Copies salt samples in backend B's memory (a model's output, on any backend, a device included)
// into the caller's xtensor container, which must hold exactly as many samples of shape S. The copy is the
// backend's own (a memcpy on the host backends).
template <class B, class T, Shape S, XtensorContainer E>
void copy(typename B::device& dev, TensorView<T, S> from, E& to) {
    using Dst = std::remove_pointer_t<decltype(to.data())>;
    static_assert(!std::is_const_v<Dst>, "salt::interop::copy: the destination xtensor container is const");
    static_assert(std::is_same_v<std::remove_const_t<T>, Dst>,
                  "salt::interop::copy: the xtensor container's element type is not the salt view's");
    const int batch = detail::xt_batch<S>(to);
    if (batch != from.batch())
        throw std::invalid_argument("salt::interop::copy: the xtensor container holds " + std::to_string(batch) +
                                    " samples, the salt view " + std::to_string(from.batch()));
    if (batch) B::copy_to_host(dev, to.data(), from.data(), std::size_t(batch) * S.size() * sizeof(Dst));
}

// Copies the caller's xtensor container into salt samples in backend B's memory (a model's input on a device
// backend; on a host backend view() needs no copy).
template <class B, class T, Shape S, XtensorContainer E>
void upload(typename B::device& dev, const E& from, TensorView<T, S> to) {
    static_assert(!std::is_const_v<T>, "salt::interop::upload: the destination salt view is const");
    static_assert(std::is_same_v<T, std::remove_const_t<std::remove_pointer_t<decltype(from.data())>>>,
                  "salt::interop::upload: the xtensor container's element type is not the salt view's");
    const int batch = detail::xt_batch<S>(from);
    if (batch != to.batch())
        throw std::invalid_argument("salt::interop::upload: the xtensor container holds " + std::to_string(batch) +
                                    " samples, the salt view " + std::to_string(to.batch()));
    if (batch) B::copy_to_device(dev, to.data(), from.data(), std::size_t(batch) * S.size() * sizeof(T));
}

}  // namespace salt::interop
