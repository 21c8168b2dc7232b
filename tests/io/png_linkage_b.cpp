// Translation unit B of the linkage test: includes salt's PNG reader, then the user's stb declarations
// (no implementation): both must be usable in one translation unit.
#include "salt/io/png.hpp"
#include <stb/stb_image.h>

salt::io::Image8 linkage_b_roundtrip(const salt::io::Image8& img) { return salt::io::decode_png(salt::io::encode_png(img)); }

// The user's own stb, declared globally, implemented in png_linkage_user_stb.cpp.
int linkage_b_user_width(const std::vector<unsigned char>& png) {
    int w = 0, h = 0, n = 0;
    return stbi_info_from_memory(png.data(), int(png.size()), &w, &h, &n) ? w : -1;
}
