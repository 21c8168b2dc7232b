// Links three translation units that include salt/io/png.hpp, one of which also carries the user's own
// stb_image implementation, and checks every decoder works.
#include <catch2/catch.hpp>

#include <vector>

#include "salt/io/png.hpp"

salt::io::Image8 linkage_a_roundtrip(const salt::io::Image8& img);
salt::io::Image8 linkage_b_roundtrip(const salt::io::Image8& img);
int linkage_b_user_width(const std::vector<unsigned char>& png);
int linkage_user_decode_width(const std::vector<unsigned char>& png);
salt::io::Image8 linkage_user_tu_salt_decode(const std::vector<unsigned char>& png);

TEST_CASE("salt/io/png.hpp links in several translation units beside the user's own stb", "[png][linkage]") {
    salt::io::Image8 img(7, 5, 1);
    for (std::size_t i = 0; i < img.size(); ++i) img.pixels[i] = static_cast<unsigned char>(i * 13);
    CHECK(linkage_a_roundtrip(img) == img);
    CHECK(linkage_b_roundtrip(img) == img);
    const auto png = salt::io::encode_png(img);
    CHECK(linkage_b_user_width(png) == 7);
    CHECK(linkage_user_decode_width(png) == 7);
    CHECK(linkage_user_tu_salt_decode(png) == img);
}
