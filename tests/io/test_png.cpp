// PNG reading and writing: round trips (8/16-bit, gray/RGB/RGBA), palette files, the real TGS files,
// and the errors for missing, non-PNG and truncated files.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "salt/io/png.hpp"
#include "support/test_env.hpp"

namespace fs = std::filesystem;
using namespace salt::io;

namespace {

fs::path temp_dir() {
    auto d = fs::temp_directory_path() / ("salt_test_png_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
}

template <class T>
Image<T> pattern(int w, int h, int c, unsigned mul) {
    Image<T> img(w, h, c);
    for (std::size_t i = 0; i < img.size(); ++i) img.pixels[i] = static_cast<T>((i * mul + i / 7) & (sizeof(T) == 1 ? 0xFF : 0xFFFF));
    return img;
}

// A palette PNG built by hand: colour type 3, 8-bit indices into a 3-entry palette.
std::vector<unsigned char> palette_png(int w, int h, std::vector<unsigned char>& indices) {
    std::vector<unsigned char> out(detail::kPngSignature, detail::kPngSignature + 8);
    std::vector<unsigned char> ihdr;
    detail::put_be32(ihdr, std::uint32_t(w));
    detail::put_be32(ihdr, std::uint32_t(h));
    ihdr.insert(ihdr.end(), {8, 3, 0, 0, 0});
    detail::put_chunk(out, "IHDR", ihdr.data(), ihdr.size());
    const unsigned char plte[9] = {10, 20, 30, 200, 100, 50, 0, 255, 0};
    detail::put_chunk(out, "PLTE", plte, 9);
    std::vector<unsigned char> raw;
    indices.clear();
    for (int y = 0; y < h; ++y) {
        raw.push_back(0);
        for (int x = 0; x < w; ++x) {
            indices.push_back(static_cast<unsigned char>((x + y) % 3));
            raw.push_back(indices.back());
        }
    }
    int zlen = 0;
    unsigned char* z = detail::stb::salt_stbi_zlib_compress(raw.data(), int(raw.size()), &zlen, 8);
    detail::put_chunk(out, "IDAT", z, std::size_t(zlen));
    std::free(z);
    detail::put_chunk(out, "IEND", nullptr, 0);
    return out;
}

}  // namespace

TEST_CASE("8-bit PNG round trips: gray, RGB, RGBA", "[png]") {
    const auto dir = temp_dir();
    for (int c : {1, 3, 4}) {
        const auto img = pattern<std::uint8_t>(37, 23, c, 31);
        const auto path = dir / ("rt8_" + std::to_string(c) + ".png");
        write_png(path, img);
        const auto info = png_info(path);
        CHECK(info.width == 37);
        CHECK(info.height == 23);
        CHECK(info.channels == c);
        CHECK(info.bit_depth == 8);
        CHECK(read_png(path) == img);
        if (c == 1) {
            CHECK(read_png_gray8(path) == img);
            const auto rgb = read_png_rgb8(path);
            REQUIRE(rgb.channels == 3);
            CHECK(rgb.at(5, 6, 0) == img.at(5, 6));
            CHECK(rgb.at(5, 6, 2) == img.at(5, 6));
            // 8-bit read as 16-bit is widened by 257.
            CHECK(read_png_gray16(path).at(3, 4) == img.at(3, 4) * 257);
        }
    }
    fs::remove_all(dir);
}

TEST_CASE("RGB with equal channels reads back exactly as gray; RGBA drops alpha", "[png]") {
    Image8 rgba(9, 4, 4);
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 9; ++x) {
            const auto v = static_cast<std::uint8_t>(x * 28 + y);
            rgba.at(y, x, 0) = rgba.at(y, x, 1) = rgba.at(y, x, 2) = v;
            rgba.at(y, x, 3) = static_cast<std::uint8_t>(255 - x);
        }
    const auto gray = decode_png(encode_png(rgba), "rgba", 1);
    REQUIRE(gray.channels == 1);
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 9; ++x) CHECK(gray.at(y, x) == rgba.at(y, x, 0));
}

TEST_CASE("16-bit PNG round trips keep all 16 bits", "[png]") {
    const auto dir = temp_dir();
    for (int c : {1, 3}) {
        const auto img = pattern<std::uint16_t>(19, 11, c, 4099);
        const auto path = dir / ("rt16_" + std::to_string(c) + ".png");
        write_png(path, img);
        const auto info = png_info(path);
        CHECK(info.bit_depth == 16);
        CHECK(info.channels == c);
        CHECK(read_png16(path) == img);
        // 8-bit view keeps the high byte.
        CHECK(read_png(path).at(2, 3, 0) == (img.at(2, 3, 0) >> 8));
    }
    fs::remove_all(dir);
}

TEST_CASE("palette PNGs decode to RGB and to gray", "[png]") {
    std::vector<unsigned char> idx;
    const auto bytes = palette_png(6, 5, idx);
    const auto rgb = decode_png(bytes, "palette", 3);
    const unsigned char plte[3][3] = {{10, 20, 30}, {200, 100, 50}, {0, 255, 0}};
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 6; ++x)
            for (int c = 0; c < 3; ++c) CHECK(rgb.at(y, x, c) == plte[idx[std::size_t(y * 6 + x)]][c]);
    const auto gray = decode_png(bytes, "palette", 1);
    CHECK(gray.at(0, 1) == (77 * 200 + 150 * 100 + 29 * 50) >> 8);
}

TEST_CASE("bad PNG files give IoError naming the file", "[png][errors]") {
    const auto dir = temp_dir();
    SECTION("missing file") {
        try {
            read_png(dir / "nope.png");
            FAIL("no error");
        } catch (const IoError& e) {
            CHECK(std::string(e.what()).find("nope.png") != std::string::npos);
            CHECK(e.reason().find("cannot open") != std::string::npos);
        }
    }
    SECTION("not a PNG") {
        const auto p = dir / "text.png";
        std::ofstream(p) << "hello, I am not a PNG";
        CHECK_THROWS_WITH(read_png(p), Catch::Contains("text.png") && Catch::Contains("not a PNG"));
    }
    SECTION("truncated PNG") {
        const auto full = encode_png(pattern<std::uint8_t>(64, 64, 1, 7919));
        for (std::size_t keep : {std::size_t(8), std::size_t(20), std::size_t(40), full.size() / 2, full.size() - 13}) {
            const auto p = dir / "trunc.png";
            std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(full.data()), std::streamsize(keep));
            INFO("kept " << keep << " of " << full.size() << " bytes");
            CHECK_THROWS_AS(read_png(p), IoError);
        }
    }
    SECTION("a directory") { CHECK_THROWS_AS(read_png(dir), IoError); }
    SECTION("writing bad channel counts") {
        CHECK_THROWS_AS(encode_png(Image8(3, 3, 2)), IoError);
        CHECK_THROWS_AS(write_png(dir / "x.png", Image8()), IoError);
        CHECK_FALSE(fs::exists(dir / "x.png"));
    }
    fs::remove_all(dir);
}

// Found by tests/fuzz/fuzz_png.cpp: a few bytes must never make the decoder allocate gigabytes.
TEST_CASE("PNG headers that claim more than the file holds are refused before decoding", "[png][errors]") {
    // A valid 101x101 gray PNG, then its IHDR width/height or a chunk length changed.
    const auto good = encode_png(pattern<std::uint8_t>(101, 101, 1, 7919));
    REQUIRE(decode_png(good).width == 101);
    auto put_be32 = [](std::vector<unsigned char>& b, std::size_t at, std::uint32_t v) {
        b[at] = static_cast<unsigned char>(v >> 24), b[at + 1] = static_cast<unsigned char>(v >> 16);
        b[at + 2] = static_cast<unsigned char>(v >> 8), b[at + 3] = static_cast<unsigned char>(v);
    };
    SECTION("a chunk declaring 2 GB in a small file (the fuzzer's out-of-memory input)") {
        auto bad = good;
        put_be32(bad, 33, 0x7FFFFFF0u);  // the chunk after IHDR (8 + 25 bytes in)
        CHECK_THROWS_WITH(decode_png(bad, "x.png"), Catch::Contains("x.png") && Catch::Contains("declares 2147483632 bytes"));
        const auto fuzzed = salt::io::read_file_bytes(salt::test::source_dir() / "tests/fuzz/seeds/png/oom-idat-length.png");
        CHECK_THROWS_WITH(decode_png(fuzzed, "oom.png"), Catch::Contains("declares"));
    }
    SECTION("16000 x 16000 pixels (stb would allocate 256 MB, up to its own 1 GiB limit)") {
        auto bad = good;
        put_be32(bad, 16, 16000), put_be32(bad, 20, 16000);  // IHDR width and height
        CHECK_THROWS_WITH(decode_png(bad, "x.png"), Catch::Contains("16000x16000") && Catch::Contains("larger than salt decodes"));
        CHECK_THROWS_WITH(decode_png16(bad, "x.png"), Catch::Contains("larger than salt decodes"));
    }
}

// Found by tests/fuzz/fuzz_png.cpp under UndefinedBehaviorSanitizer: an empty first IDAT chunk made
// stb call memcpy(NULL, src, 0). Empty IDAT chunks are legal and carry nothing: salt drops them
// before decoding (under the sanitizer build this test fails if stb ever sees one again).
TEST_CASE("empty IDAT chunks decode as if absent", "[png][errors]") {
    std::vector<unsigned char> empty_idat;
    detail::put_chunk(empty_idat, "IDAT", nullptr, 0);
    REQUIRE(empty_idat.size() == 12);
    auto with_empty_idats = [&](std::vector<unsigned char> png) {
        // stb_image_write and salt's 16-bit encoder write IHDR (at 8, 25 bytes), then the IDAT at 33.
        REQUIRE(std::memcmp(png.data() + 37, "IDAT", 4) == 0);
        png.insert(png.begin() + 33, empty_idat.begin(), empty_idat.end());  // first IDAT empty
        png.insert(png.begin() + 33, empty_idat.begin(), empty_idat.end());  // and two of them
        return png;
    };
    const auto img8 = pattern<std::uint8_t>(29, 17, 3, 131);
    const auto png8 = with_empty_idats(encode_png(img8));
    CHECK(decode_png(png8, "x.png") == img8);
    const auto img16 = pattern<std::uint16_t>(13, 11, 1, 4099);
    CHECK(decode_png16(with_empty_idats(encode_png(img16)), "x.png") == img16);
    // The fuzzer's input: an Apple CgBI chunk swallowing the data, then only an empty IDAT, no IEND.
    const auto fuzzed = salt::io::read_file_bytes(salt::test::source_dir() / "tests/fuzz/seeds/png/ub-empty-first-idat.png");
    CHECK_THROWS_WITH(decode_png(fuzzed, "ub.png"), Catch::Contains("ub.png") && Catch::Contains("cannot decode PNG"));
}

TEST_CASE("the real TGS images and masks decode as documented", "[png][data]") {
    if (!salt::test::require_tgs_data()) return;
    const auto root = salt::test::tgs_dir() / "train";
    int images = 0, empty = 0, salty = 0;
    for (const auto& e : fs::directory_iterator(root / "images")) {
        if (images >= 400) break;  // a sample keeps this fast; the RLE test covers every mask
        const auto name = e.path().filename();
        const auto img = read_png(e.path());
        REQUIRE(img.width == 101);
        REQUIRE(img.height == 101);
        REQUIRE(img.channels == 3);
        for (std::size_t i = 0; i < img.size(); i += 3) REQUIRE((img.pixels[i] == img.pixels[i + 1] && img.pixels[i] == img.pixels[i + 2]));
        const auto mpath = root / "masks" / name;
        const auto info = png_info(mpath);
        const auto mask = read_png_gray16(mpath);
        REQUIRE(mask.width == 101);
        REQUIRE(mask.height == 101);
        std::set<std::uint16_t> values(mask.pixels.begin(), mask.pixels.end());
        if (info.bit_depth == 8) {
            REQUIRE(values == std::set<std::uint16_t>{0});
            ++empty;
        } else {
            REQUIRE(info.bit_depth == 16);
            for (auto v : values) REQUIRE((v == 0 || v == 65535));
            ++salty;
        }
        ++images;
    }
    CHECK(images == 400);
    CHECK(empty > 50);
    CHECK(salty > 50);
}
