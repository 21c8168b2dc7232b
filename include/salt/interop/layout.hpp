// salt/interop/layout.hpp — how another library's array dimensions map onto salt's NHWC samples.
// Shared by salt/interop/eigen.hpp and salt/interop/xtensor.hpp; depends on neither library.
//
// salt's tensors are NHWC and row-major: element (n, y, x, c) of samples of shape (H, W, C) lies at
// ((n*H + y)*W + x)*C + c. An array with exactly that memory is
//   - row-major (C order: Eigen::RowMajor, xt::layout_type::row_major) with dimensions
//     (N, H, W, C), or (H, W, C) for one sample, or (H, W) for one single-channel sample;
//   - column-major (Fortran order: Eigen's default ColMajor, xt::layout_type::column_major) with the
//     same dimensions reversed: (C, W, H, N), (C, W, H) or (W, H).
// Any other arrangement (a row-major (N, C, H, W) array, a strided slice) does not hold salt's layout
// and is refused: a view never reorders, and a copy into salt's layout is the caller's explicit step.
#pragma once

#include <climits>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "salt/core/shape.hpp"

namespace salt::interop {

enum class Order { row_major, col_major };

inline const char* order_name(Order o) { return o == Order::row_major ? "row-major" : "column-major"; }

// The dimensions of an array as salt reads them: batch n and per-sample (h, w, c).
struct Nhwc {
    std::size_t n = 0, h = 0, w = 0, c = 0;
};

// What an array of `rank` dimensions `dims` (in the library's own index order) holds when its memory
// is read in salt's layout. The rank must be 2, 3 or 4 (checked by the callers first).
constexpr Nhwc as_nhwc(const std::size_t* dims, std::size_t rank, Order order) {
    // Column-major dimensions are the row-major ones reversed.
    auto d = [&](std::size_t i) { return order == Order::row_major ? dims[i] : dims[rank - 1 - i]; };
    if (rank == 4) return {d(0), d(1), d(2), d(3)};
    if (rank == 3) return {1, d(0), d(1), d(2)};
    return {1, d(0), d(1), 1};
}

// Whether arrays of rank `rank` can hold salt samples at all (a compile-time rule where the rank is).
constexpr bool supported_rank(std::size_t rank) { return rank >= 2 && rank <= 4; }

// Whether the fixed dimensions of a static-shape array hold samples of shape S (batch: any).
template <Shape S>
constexpr bool holds_samples(const std::size_t* dims, std::size_t rank, Order order) {
    if (!supported_rank(rank)) return false;
    const Nhwc a = as_nhwc(dims, rank, order);
    return a.h == std::size_t(S.h) && a.w == std::size_t(S.w) && a.c == std::size_t(S.c);
}

namespace detail {

inline std::string dims_text(const std::size_t* dims, std::size_t rank) {
    std::string s = "(";
    for (std::size_t i = 0; i < rank; ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + ")";
}

inline const char* reading(std::size_t rank, Order order) {
    if (order == Order::row_major) return rank == 4 ? "(N, H, W, C)" : rank == 3 ? "(H, W, C)" : "(H, W)";
    return rank == 4 ? "(C, W, H, N)" : rank == 3 ? "(C, W, H)" : "(W, H)";
}

}  // namespace detail

// The batch of samples of shape S that an array holds; throws std::invalid_argument naming both
// shapes when it holds none. `what` names the array's type for the message ("an Eigen tensor").
template <Shape S>
int batch_of(const std::size_t* dims, std::size_t rank, Order order, const std::string& what) {
    const std::string model = "salt's samples of (H, W, C) = (" + std::to_string(S.h) + ", " + std::to_string(S.w) +
                              ", " + std::to_string(S.c) + ")";
    if (!supported_rank(rank))
        throw std::invalid_argument("salt::interop: " + what + " of rank " + std::to_string(rank) + ", dimensions " +
                                    detail::dims_text(dims, rank) + ", cannot hold " + model +
                                    ": give it rank 4 (a batch), 3 (one sample) or 2 (one single-channel sample)");
    const Nhwc a = as_nhwc(dims, rank, order);
    if (a.h != std::size_t(S.h) || a.w != std::size_t(S.w) || a.c != std::size_t(S.c))
        throw std::invalid_argument("salt::interop: " + what + " of dimensions " + detail::dims_text(dims, rank) +
                                    ", " + order_name(order) + " and so read as " + detail::reading(rank, order) +
                                    ", does not hold " + model);
    if (a.n > std::size_t(INT_MAX))
        throw std::invalid_argument("salt::interop: " + what + " holds " + std::to_string(a.n) +
                                    " samples, more than a salt batch can count (" + std::to_string(INT_MAX) + ")");
    return int(a.n);
}

// Whether `strides` (in elements, the library's index order) are those of a dense array of
// `dims` in `order`: only such memory can be viewed in salt's layout. Extents of 1 may have any stride.
inline bool dense(const std::size_t* dims, const std::ptrdiff_t* strides, std::size_t rank, Order order) {
    std::ptrdiff_t expected = 1;
    for (std::size_t k = 0; k < rank; ++k) {
        const std::size_t i = order == Order::row_major ? rank - 1 - k : k;
        if (dims[i] != 1 && strides[i] != expected) return false;
        expected *= std::ptrdiff_t(dims[i]);
    }
    return true;
}

}  // namespace salt::interop
