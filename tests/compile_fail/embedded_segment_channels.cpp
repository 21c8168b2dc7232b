// segment() turns one grayscale image into a mask; a two-channel (image + depth) model must be run
// with forward() and the caller's own input planes.
// EXPECT: segment: one input channel and one class only
#include <cstddef>
#include <cstdint>

#include "salt/embedded/deeplabv3.hpp"

int main() {
    constexpr salt::models::DeepLabV3Config c{.height = 64, .width = 64, .in_channels = 2, .output_stride = 16};
    using Net = salt::embedded::DeepLabV3<c>;
    static unsigned char arena[16];
    Net net(arena, sizeof arena);
    std::uint8_t image[4] = {}, mask[4] = {};
    return int(net.segment(image, 2, 2, mask));
}
