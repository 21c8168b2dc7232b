// The user's own stb_image implementation (external linkage, default configuration), compiled in a
// translation unit that includes salt's PNG header after it, with STB_IMAGE_IMPLEMENTATION still
// defined (salt must neither re-implement the user's stb nor see the user's include guard).
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#include "salt/io/png.hpp"

#include <vector>

int linkage_user_decode_width(const std::vector<unsigned char>& png) {
    int w = 0, h = 0, n = 0;
    unsigned char* p = stbi_load_from_memory(png.data(), int(png.size()), &w, &h, &n, 1);
    if (!p) return -1;
    stbi_image_free(p);
    return w;
}

salt::io::Image8 linkage_user_tu_salt_decode(const std::vector<unsigned char>& png) { return salt::io::decode_png(png); }
