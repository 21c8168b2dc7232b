// salt/nn/merge.hpp — the shape rules of the two ways branches meet: elementwise add (residual) and
// channel concatenation (ASPP). Composite layers call these checks where they join branches.
#pragma once

#include "salt/core/shape.hpp"

namespace salt::nn::check {

template <int left_height, int left_width, int left_channels, int right_height, int right_width, int right_channels>
constexpr bool add_shapes() {
    static_assert(left_height == right_height && left_width == right_width,
                  "Add: the two inputs differ in height or width; a residual add needs equal shapes");
    static_assert(left_channels == right_channels,
                  "Add: the two inputs differ in channel count; a residual add needs equal shapes");
    return left_height == right_height && left_width == right_width && left_channels == right_channels;
}
template <Shape A, Shape B>
constexpr bool add_compatible() {
    return add_shapes<A.h, A.w, A.c, B.h, B.w, B.c>();
}

template <int first_height, int first_width, int other_height, int other_width>
constexpr bool concat_spatial() {
    static_assert(first_height == other_height && first_width == other_width,
                  "Concat: an input's height or width differs from the first input's; channel concat needs equal maps");
    return first_height == other_height && first_width == other_width;
}
template <Shape First, Shape... Others>
constexpr bool concat_compatible() {
    return (true && ... && concat_spatial<First.h, First.w, Others.h, Others.w>());
}

}  // namespace salt::nn::check
