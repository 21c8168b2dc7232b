// The embedded path runs torchvision's DeepLabV3 head only: a DeepLabV3+ configuration is refused
// at compile time with the reason, not at run time.
// EXPECT: salt::embedded::DeepLabV3: this configuration is not supported
#include "salt/embedded/deeplabv3.hpp"

int main() {
    constexpr salt::models::DeepLabV3Config c{.output_stride = 16, .decoder = salt::models::Decoder::deeplabv3plus};
    return int(salt::embedded::DeepLabV3<c>::arena_bytes);
}
