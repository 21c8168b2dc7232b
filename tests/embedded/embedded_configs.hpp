// tests/embedded/embedded_configs.hpp — the configurations the embedded tests run, and the functions
// of embedded_no_exceptions.cpp: that file is compiled with -fno-exceptions -fno-rtti and includes
// only salt/embedded/, so the test also proves the path builds that way.
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/embedded/parallel.hpp"
#include "salt/models/deeplabv3_config.hpp"

namespace embedded_test {

// BasicBlocks, output stride 16, small rates, the image classifier: every step kind of the walk.
inline constexpr salt::models::DeepLabV3Config kBasic{.height = 64, .width = 64, .in_channels = 1, .blocks = {1, 1, 1, 1},
                                                      .block = salt::models::BlockKind::basic, .output_stride = 16,
                                                      .rates = {2, 4, 6}, .classification_head = true};
// Bottlenecks (with projected and plain identities), output stride 8 (dilated stages), an odd size.
inline constexpr salt::models::DeepLabV3Config kBottleneck{.height = 45, .width = 45, .in_channels = 1,
                                                           .blocks = {2, 1, 2, 1}, .output_stride = 8, .rates = {3, 6, 9}};

struct Arena {
    void* data;
    std::size_t bytes;
};

// Each returns the salt::embedded::Status as an int.
std::size_t basic_arena_bytes();
std::size_t basic_blob_bytes();
std::size_t basic_alignment();
int basic_load(Arena a, const void* blob, std::size_t bytes);
int basic_forward(Arena a, const void* blob, std::size_t bytes, const float* input, float* logits, float* cls);
int basic_segment(Arena a, const void* blob, std::size_t bytes, const std::uint8_t* image, int w, int h, std::uint8_t* mask);
std::size_t bottleneck_arena_bytes();
int bottleneck_forward(Arena a, const void* blob, std::size_t bytes, const float* input, float* logits);
int bottleneck_segment(Arena a, const void* blob, std::size_t bytes, const std::uint8_t* image, int w, int h, std::uint8_t* mask);
// The same for the int8 precision.
std::size_t basic_int8_arena_bytes();
int basic_int8_load(Arena a, const void* blob, std::size_t bytes);
int basic_int8_forward(Arena a, const void* blob, std::size_t bytes, const float* input, float* logits, float* cls);
int basic_int8_segment(Arena a, const void* blob, std::size_t bytes, const std::uint8_t* image, int w, int h, std::uint8_t* mask);
std::size_t bottleneck_int8_arena_bytes();
int bottleneck_int8_forward(Arena a, const void* blob, std::size_t bytes, const float* input, float* logits);
// forward() with the convolutions cut into tasks run through `par` (DeepLabV3::set_parallel).
int basic_int8_forward_tasks(Arena a, const void* blob, std::size_t bytes, const float* input, float* logits,
                             const salt::embedded::Parallel& par);

}  // namespace embedded_test
