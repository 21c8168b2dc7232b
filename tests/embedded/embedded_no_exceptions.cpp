// Compiled with -fno-exceptions -fno-rtti (tests/embedded/CMakeLists.txt): the embedded path's
// headers must build so. Each function constructs the model on the caller's arena, loads the blob
// and runs; the test around them counts heap allocations while they run.
#include "embedded_configs.hpp"
#include "salt/embedded/deeplabv3.hpp"

#if defined(__cpp_exceptions) || defined(__GXX_RTTI)
#error "embedded_no_exceptions.cpp must be compiled with -fno-exceptions -fno-rtti"
#endif

namespace embedded_test {

using Basic = salt::embedded::DeepLabV3<kBasic>;
using Bottleneck = salt::embedded::DeepLabV3<kBottleneck>;
using Basic8 = salt::embedded::DeepLabV3<kBasic, salt::embedded::Precision::int8>;
using Bottleneck8 = salt::embedded::DeepLabV3<kBottleneck, salt::embedded::Precision::int8>;

std::size_t basic_arena_bytes() { return Basic::arena_bytes; }
std::size_t basic_blob_bytes() { return Basic::blob_bytes; }
std::size_t basic_alignment() { return Basic::arena_alignment; }
std::size_t bottleneck_arena_bytes() { return Bottleneck::arena_bytes; }

int basic_load(Arena a, const void* blob, std::size_t bytes) {
    Basic net(a.data, a.bytes);
    return int(net.load(blob, bytes));
}
int basic_forward(Arena a, const void* blob, std::size_t bytes, const float* input, float* logits, float* cls) {
    Basic net(a.data, a.bytes);
    if (const auto s = net.load(blob, bytes); s != salt::embedded::Status::ok) return int(s);
    return int(net.forward(input, logits, cls));
}
int basic_segment(Arena a, const void* blob, std::size_t bytes, const std::uint8_t* image, int w, int h, std::uint8_t* mask) {
    Basic net(a.data, a.bytes);
    if (const auto s = net.load(blob, bytes); s != salt::embedded::Status::ok) return int(s);
    return int(net.segment(image, w, h, mask));
}
int bottleneck_forward(Arena a, const void* blob, std::size_t bytes, const float* input, float* logits) {
    Bottleneck net(a.data, a.bytes);
    if (const auto s = net.load(blob, bytes); s != salt::embedded::Status::ok) return int(s);
    return int(net.forward(input, logits));
}
int bottleneck_segment(Arena a, const void* blob, std::size_t bytes, const std::uint8_t* image, int w, int h, std::uint8_t* mask) {
    Bottleneck net(a.data, a.bytes);
    if (const auto s = net.load(blob, bytes); s != salt::embedded::Status::ok) return int(s);
    return int(net.segment(image, w, h, mask));
}

std::size_t basic_int8_arena_bytes() { return Basic8::arena_bytes; }
std::size_t bottleneck_int8_arena_bytes() { return Bottleneck8::arena_bytes; }
int basic_int8_load(Arena a, const void* blob, std::size_t bytes) {
    Basic8 net(a.data, a.bytes);
    return int(net.load(blob, bytes));
}
int basic_int8_forward(Arena a, const void* blob, std::size_t bytes, const float* input, float* logits, float* cls) {
    Basic8 net(a.data, a.bytes);
    if (const auto s = net.load(blob, bytes); s != salt::embedded::Status::ok) return int(s);
    return int(net.forward(input, logits, cls));
}
int basic_int8_segment(Arena a, const void* blob, std::size_t bytes, const std::uint8_t* image, int w, int h, std::uint8_t* mask) {
    Basic8 net(a.data, a.bytes);
    if (const auto s = net.load(blob, bytes); s != salt::embedded::Status::ok) return int(s);
    return int(net.segment(image, w, h, mask));
}
int bottleneck_int8_forward(Arena a, const void* blob, std::size_t bytes, const float* input, float* logits) {
    Bottleneck8 net(a.data, a.bytes);
    if (const auto s = net.load(blob, bytes); s != salt::embedded::Status::ok) return int(s);
    return int(net.forward(input, logits));
}
int basic_int8_forward_tasks(Arena a, const void* blob, std::size_t bytes, const float* input, float* logits,
                             const salt::embedded::Parallel& par) {
    Basic8 net(a.data, a.bytes);
    if (const auto s = net.load(blob, bytes); s != salt::embedded::Status::ok) return int(s);
    net.set_parallel(par);
    return int(net.forward(input, logits));
}

}  // namespace embedded_test
