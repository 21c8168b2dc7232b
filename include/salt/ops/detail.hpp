// salt/ops/detail.hpp — small helpers shared by the reference kernels in salt/ops/ (argument
// checking that throws std::invalid_argument naming the op, and the accumulation type).
#pragma once

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "salt/core/shape.hpp"

namespace salt::ops::detail {

// Reductions in the reference kernels (convolution sums, batch statistics, pooled means) accumulate
// in double when T is float: the reference is the oracle, so it should be the accurate side of any
// comparison. Element-wise interpolation (resize) deliberately does NOT use this: it mirrors
// PyTorch's arithmetic in T instead (see resize_bilinear.hpp).
template <class T>
using acc_t = std::conditional_t<(sizeof(T) < sizeof(double)), double, T>;

// Builds "salt::ops::<op>: <parts...>" and throws std::invalid_argument.
template <class... Parts>
[[noreturn]] inline void fail(const char* op, const Parts&... parts) {
    std::ostringstream os;
    os << "salt::ops::" << op << ": ";
    (os << ... << parts);
    throw std::invalid_argument(os.str());
}

inline std::string str(Shape s) {
    return "{h=" + std::to_string(s.h) + ", w=" + std::to_string(s.w) + ", c=" + std::to_string(s.c) + "}";
}

inline void check_shape_batch(const char* op, Shape s, int batch) {
    if (!s.valid()) fail(op, "every extent of the input shape must be positive, got ", str(s));
    if (batch <= 0) fail(op, "batch must be positive, got ", batch);
}

template <class P>
inline void check_ptr(const char* op, const P* p, const char* name) {
    if (p == nullptr) fail(op, "pointer '", name, "' must not be null");
}

}  // namespace salt::ops::detail
