// salt/io/png.hpp — read and write PNG files.
//
// Reading accepts every PNG colour type: 8- and 16-bit grayscale, gray+alpha, RGB, RGBA and palette
// (1/2/4/8-bit and interlaced too). You choose what you get back:
//   read_png(path)          8-bit samples, the file's own channel count (palette -> RGB or RGBA)
//   read_png_gray8(path)    8-bit gray: RGB(A) is converted with (77 R + 150 G + 29 B) >> 8 (exact
//                           when the three channels are equal, as in the TGS images); alpha is dropped;
//                           16-bit files keep their high byte
//   read_png_rgb8(path)     8-bit RGB (gray is replicated)
//   read_png16(path)        16-bit samples, the file's channel count; 16-bit files keep all 16 bits,
//                           8-bit files are widened by x257 (so 255 -> 65535)
//   read_png_gray16(path)   the same, converted to one channel
//   png_info(path)          size, channels and bit depth without decoding the pixels
// Writing: write_png(path, Image8) for 1 (gray), 3 (RGB) or 4 (RGBA) channels, write_png(path, Image16)
// for 16-bit gray or RGB. Files are written to a temporary name and renamed into place.
//
// Errors throw salt::io::IoError with the file name and the reason: cannot open, not a PNG,
// truncated/corrupt (with stb's reason), unsupported channel count on write.
//
// Decoding is stb_image, compiled privately (salt/io/detail/stb.hpp): it does not clash with a copy
// of stb the user compiles in their own translation units. Decoding is thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "salt/io/detail/stb.hpp"
#include "salt/io/error.hpp"
#include "salt/io/file.hpp"
#include "salt/io/image.hpp"

namespace salt::io {

struct PngInfo {
    int width = 0;
    int height = 0;
    int channels = 0;   // as stored: 1 gray, 2 gray+alpha, 3 RGB (also palette without alpha), 4 RGBA
    int bit_depth = 8;  // 8 or 16 (1/2/4-bit files report 8: they decode to 8-bit samples)
};

namespace detail {

inline constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

inline void check_png_signature(const std::vector<unsigned char>& bytes, const std::string& name) {
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kPngSignature, 8) != 0)
        throw IoError(name, bytes.empty() ? "empty file, expected a PNG" : "not a PNG file (bad signature)");
}

// Every chunk's declared length must fit in the bytes that follow it, up to IEND: stb grows its
// IDAT buffer to a declared length before reading the data, so a chunk header claiming 2 GB in a
// 60-byte file would allocate 2 GB (found by tests/fuzz/fuzz_png.cpp). Checked before decoding.
// Returns the offsets of the empty IDAT chunks (see without_chunks).
inline std::vector<std::size_t> check_png_chunks(const std::vector<unsigned char>& bytes, const std::string& name) {
    std::vector<std::size_t> empty_idat;
    std::size_t at = 8;
    while (at + 8 <= bytes.size()) {
        const std::uint64_t length = (std::uint64_t(bytes[at]) << 24) | (std::uint64_t(bytes[at + 1]) << 16) |
                                     (std::uint64_t(bytes[at + 2]) << 8) | std::uint64_t(bytes[at + 3]);
        const bool iend = std::memcmp(bytes.data() + at + 4, "IEND", 4) == 0;
        if (at + 12 + length > bytes.size())
            throw IoError(name, "cannot decode PNG (truncated or corrupt): a chunk at byte " + std::to_string(at) + " declares " +
                                    std::to_string(length) + " bytes, only " + std::to_string(bytes.size() - at) +
                                    " remain in the file");
        if (iend) break;
        if (length == 0 && std::memcmp(bytes.data() + at + 4, "IDAT", 4) == 0) empty_idat.push_back(at);
        at += 12 + std::size_t(length);
    }
    // No IEND: stb reports truncation itself; nothing declared more than the file holds.
    return empty_idat;
}

// The bytes without the zero-length chunks at `offsets` (12 bytes each: length, type, CRC).
// An empty IDAT is legal (the zlib stream may be split anywhere) and carries nothing, but as the
// first IDAT it makes stb call memcpy(NULL, src, 0), which is undefined behaviour (found by
// tests/fuzz/fuzz_png.cpp; tests/fuzz/seeds/png/ub-empty-first-idat.png). So such chunks are
// dropped before decoding; the pixels are the same.
inline std::vector<unsigned char> without_chunks(const std::vector<unsigned char>& bytes, const std::vector<std::size_t>& offsets) {
    std::vector<unsigned char> out;
    out.reserve(bytes.size());
    std::size_t from = 0;
    for (std::size_t at : offsets) {
        out.insert(out.end(), bytes.begin() + std::ptrdiff_t(from), bytes.begin() + std::ptrdiff_t(at));
        from = at + 12;
    }
    out.insert(out.end(), bytes.begin() + std::ptrdiff_t(from), bytes.end());
    return out;
}

inline std::string stb_reason() {
    const char* r = stb::salt_stbi_failure_reason();
    return r ? std::string(r) : std::string("unknown decoder error");
}

inline PngInfo png_info_from_memory(const std::vector<unsigned char>& bytes, const std::string& name) {
    check_png_signature(bytes, name);
    PngInfo info;
    if (!stb::salt_stbi_info_from_memory(bytes.data(), int(bytes.size()), &info.width, &info.height, &info.channels))
        throw IoError(name, "corrupt PNG header: " + stb_reason());
    info.bit_depth = stb::salt_stbi_is_16_bit_from_memory(bytes.data(), int(bytes.size())) ? 16 : 8;
    return info;
}

// The largest PNG salt decodes: 2^25 pixels (e.g. 5792x5792; at 16 bits and 4 channels 256 MiB
// decoded), at most 32768 on a side. Seismic sections and TGS tiles are far smaller.
inline constexpr std::int64_t kMaxPngPixels = std::int64_t(1) << 25;
inline constexpr int kMaxPngSide = 32768;

struct StbFree {
    void operator()(void* p) const { stb::salt_stbi_image_free(p); }
};

// desired = 0 keeps the file's channel count.
template <class T>
Image<T> decode_png(const std::vector<unsigned char>& bytes, const std::string& name, int desired) {
    static_assert(sizeof(T) == 1 || sizeof(T) == 2);
    check_png_signature(bytes, name);
    const auto empty_idat = check_png_chunks(bytes, name);
    if (!empty_idat.empty()) return decode_png<T>(without_chunks(bytes, empty_idat), name, desired);
    int w = 0, h = 0, n = 0;
    // The header's size is checked before anything is decoded: a few bytes claiming a 50000x50000
    // image must not make the decoder allocate gigabytes (found by tests/fuzz/fuzz_png.cpp).
    if (stb::salt_stbi_info_from_memory(bytes.data(), int(bytes.size()), &w, &h, &n) &&
        (w > kMaxPngSide || h > kMaxPngSide || std::int64_t(w) * std::int64_t(h) > kMaxPngPixels))
        throw IoError(name, "PNG of " + std::to_string(w) + "x" + std::to_string(h) + " pixels: larger than salt decodes (at most " +
                                std::to_string(kMaxPngPixels) + " pixels, " + std::to_string(kMaxPngSide) + " on a side)");
    void* raw = nullptr;
    if constexpr (sizeof(T) == 1)
        raw = stb::salt_stbi_load_from_memory(bytes.data(), int(bytes.size()), &w, &h, &n, desired);
    else
        raw = stb::salt_stbi_load_16_from_memory(bytes.data(), int(bytes.size()), &w, &h, &n, desired);
    if (!raw) throw IoError(name, "cannot decode PNG (truncated or corrupt): " + stb_reason());
    std::unique_ptr<void, StbFree> guard(raw);
    Image<T> img(w, h, desired ? desired : n);
    std::memcpy(img.pixels.data(), raw, img.pixels.size() * sizeof(T));
    return img;
}

// --- A small PNG encoder for 16-bit images (stb_image_write only writes 8-bit). ---

inline std::uint32_t crc32(const unsigned char* p, std::size_t n, std::uint32_t crc = 0) {
    static const auto table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    crc = ~crc;
    for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

inline void put_be32(std::vector<unsigned char>& out, std::uint32_t v) {
    out.push_back(static_cast<unsigned char>(v >> 24));
    out.push_back(static_cast<unsigned char>(v >> 16));
    out.push_back(static_cast<unsigned char>(v >> 8));
    out.push_back(static_cast<unsigned char>(v));
}

inline void put_chunk(std::vector<unsigned char>& out, const char type[4], const unsigned char* data, std::size_t n) {
    put_be32(out, std::uint32_t(n));
    const std::size_t start = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), data, data + n);
    put_be32(out, crc32(out.data() + start, n + 4));
}

inline std::vector<unsigned char> encode_png16(const Image16& img) {
    const int colour_type = img.channels == 1 ? 0 : img.channels == 3 ? 2 : img.channels == 4 ? 6 : -1;
    if (colour_type < 0 || img.width <= 0 || img.height <= 0) return {};
    // Raw scanlines: filter byte 0, then big-endian samples.
    const std::size_t row = std::size_t(img.width) * std::size_t(img.channels) * 2 + 1;
    std::vector<unsigned char> raw(row * std::size_t(img.height));
    for (int y = 0; y < img.height; ++y) {
        unsigned char* r = raw.data() + row * std::size_t(y);
        r[0] = 0;
        const std::uint16_t* s = img.data() + std::size_t(y) * std::size_t(img.width) * std::size_t(img.channels);
        for (std::size_t i = 0; i < std::size_t(img.width) * std::size_t(img.channels); ++i) {
            r[1 + 2 * i] = static_cast<unsigned char>(s[i] >> 8);
            r[2 + 2 * i] = static_cast<unsigned char>(s[i] & 0xFF);
        }
    }
    int zlen = 0;
    std::unique_ptr<unsigned char, decltype(&std::free)> z(stb::salt_stbi_zlib_compress(raw.data(), int(raw.size()), &zlen, 8), &std::free);
    if (!z) return {};
    std::vector<unsigned char> out(kPngSignature, kPngSignature + 8);
    std::vector<unsigned char> ihdr;
    put_be32(ihdr, std::uint32_t(img.width));
    put_be32(ihdr, std::uint32_t(img.height));
    ihdr.push_back(16);
    ihdr.push_back(static_cast<unsigned char>(colour_type));
    ihdr.push_back(0);  // deflate
    ihdr.push_back(0);  // adaptive filtering
    ihdr.push_back(0);  // no interlace
    put_chunk(out, "IHDR", ihdr.data(), ihdr.size());
    put_chunk(out, "IDAT", z.get(), std::size_t(zlen));
    put_chunk(out, "IEND", nullptr, 0);
    return out;
}

}  // namespace detail

inline PngInfo png_info(const std::filesystem::path& path) {
    return detail::png_info_from_memory(read_file_bytes(path), path.string());
}

inline Image8 decode_png(const std::vector<unsigned char>& bytes, const std::string& name = "<memory>", int channels = 0) {
    return detail::decode_png<std::uint8_t>(bytes, name, channels);
}
inline Image16 decode_png16(const std::vector<unsigned char>& bytes, const std::string& name = "<memory>", int channels = 0) {
    return detail::decode_png<std::uint16_t>(bytes, name, channels);
}

inline Image8 read_png(const std::filesystem::path& path) { return decode_png(read_file_bytes(path), path.string(), 0); }
inline Image8 read_png_gray8(const std::filesystem::path& path) { return decode_png(read_file_bytes(path), path.string(), 1); }
inline Image8 read_png_rgb8(const std::filesystem::path& path) { return decode_png(read_file_bytes(path), path.string(), 3); }
inline Image16 read_png16(const std::filesystem::path& path) { return decode_png16(read_file_bytes(path), path.string(), 0); }
inline Image16 read_png_gray16(const std::filesystem::path& path) { return decode_png16(read_file_bytes(path), path.string(), 1); }

// PNG bytes of an 8-bit image with 1, 3 or 4 channels.
inline std::vector<unsigned char> encode_png(const Image8& img, const std::string& name = "<memory>") {
    if (img.channels != 1 && img.channels != 3 && img.channels != 4)
        throw IoError(name, "cannot write a PNG with " + std::to_string(img.channels) + " channels (1, 3 or 4)");
    if (img.width <= 0 || img.height <= 0 || img.pixels.size() != std::size_t(img.width) * std::size_t(img.height) * std::size_t(img.channels))
        throw IoError(name, "cannot write an empty or inconsistent image");
    int len = 0;
    std::unique_ptr<unsigned char, decltype(&std::free)> mem(
        detail::stb::salt_stbi_write_png_to_mem(img.data(), img.width * img.channels, img.width, img.height, img.channels, &len), &std::free);
    if (!mem) throw IoError(name, "PNG encoding failed");
    return std::vector<unsigned char>(mem.get(), mem.get() + len);
}

inline std::vector<unsigned char> encode_png(const Image16& img, const std::string& name = "<memory>") {
    if (img.channels != 1 && img.channels != 3 && img.channels != 4)
        throw IoError(name, "cannot write a 16-bit PNG with " + std::to_string(img.channels) + " channels (1, 3 or 4)");
    if (img.width <= 0 || img.height <= 0 || img.pixels.size() != std::size_t(img.width) * std::size_t(img.height) * std::size_t(img.channels))
        throw IoError(name, "cannot write an empty or inconsistent image");
    auto bytes = detail::encode_png16(img);
    if (bytes.empty()) throw IoError(name, "PNG encoding failed");
    return bytes;
}

inline void write_png(const std::filesystem::path& path, const Image8& img) {
    const auto bytes = encode_png(img, path.string());
    write_file_atomic(path, bytes.data(), bytes.size());
}
inline void write_png(const std::filesystem::path& path, const Image16& img) {
    const auto bytes = encode_png(img, path.string());
    write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace salt::io
