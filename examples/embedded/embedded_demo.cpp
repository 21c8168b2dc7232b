// salt-embedded-demo[-int8] MODEL.bin IMAGE.pgm MASK.pgm [PROBABILITY.f32] — one seismic image segmented by salt's embedded
// inference path: compiled with -fno-exceptions -fno-rtti, every byte the network uses in one static
// arena sized at compile time, no heap allocation in salt's code, errors as return values.
//
// MODEL.bin comes from `salt export-embedded --weights RUN/best.safetensors --out MODEL.bin` (salt's
// default model, models::kTrainDefault: DeepLabV3-ResNet50, 1 channel, 128x128, output stride 16, image
// classifier; weights of another configuration are refused, naming both). IMAGE.pgm is an 8-bit
// binary PGM (P5) of at most 128x128 pixels, e.g. a 101x101 TGS image; MASK.pgm gets 0 / 255, and
// PROBABILITY.f32, when given, each pixel's salt probability as raw float32 (row-major, native order).
// (PGM keeps this file free of a PNG decoder; stdio's own buffers are the only heap use here, in
// reading and writing files, outside the network.)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "salt/embedded/deeplabv3.hpp"

namespace {

// salt-embedded-demo-int8 is this file built with SALT_DEMO_INT8: the int8 precision, whose blob
// comes from `salt quantize` (a quarter of the weights' bytes; docs/embedded.md).
#ifdef SALT_DEMO_INT8
using Net = salt::embedded::DeepLabV3<salt::models::kTrainDefault, salt::embedded::Precision::int8>;
constexpr const char* kProgram = "salt-embedded-demo-int8";
#else
using Net = salt::embedded::DeepLabV3<salt::models::kTrainDefault>;
constexpr const char* kProgram = "salt-embedded-demo";
#endif

alignas(Net::arena_alignment) std::byte arena[Net::arena_bytes];
unsigned char blob[Net::blob_bytes];  // on a device this would be the weights in flash
constexpr int kMaxSide = Net::in_shape.w;
unsigned char file_bytes[64 + kMaxSide * kMaxSide];
std::uint8_t image[kMaxSide * kMaxSide];
std::uint8_t mask[kMaxSide * kMaxSide];
float probability[kMaxSide * kMaxSide];

// Reads a whole file into `buf`; returns its size, or -1 (missing, unreadable, larger than `cap`:
// then *larger is set and `buf` holds the first `cap` bytes).
long read_file(const char* path, unsigned char* buf, std::size_t cap, bool* larger = nullptr) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return -1;
    const std::size_t n = std::fread(buf, 1, cap, f);
    const bool more = std::fgetc(f) != EOF;
    const bool bad = std::ferror(f) != 0;
    std::fclose(f);
    if (larger) *larger = more && !bad;
    return (more || bad) ? -1 : long(n);
}

// "128x128, 1 channel, output stride 16, classifier" from a blob header's configuration words.
void describe(const std::uint32_t* w, char* out, std::size_t cap) {
    namespace f = salt::embedded::format;
    std::snprintf(out, cap, "%ux%u, %u channel(s), ResNet %u-%u-%u-%u (%s), output stride %u, %s, %s", w[f::height], w[f::width],
                  w[f::in_channels], w[f::blocks0], w[f::blocks1], w[f::blocks2], w[f::blocks3],
                  w[f::block_kind] ? "basic blocks" : "bottlenecks", w[f::output_stride], w[f::decoder] ? "DeepLabV3+" : "DeepLabV3",
                  w[f::classification_head] ? "image classifier" : "no image classifier");
}

// A blob this program cannot load because it was exported for another configuration: say which.
void report_other_model(const char* path) {
    namespace f = salt::embedded::format;
    std::uint32_t have[f::kHeaderBytes / 4], want[f::kHeaderBytes / 4] = {};
    std::memcpy(have, blob, sizeof have);
    f::config_words(Net::config, want);
    char a[160], b[160];
    describe(have, a, sizeof a);
    describe(want, b, sizeof b);
    std::fprintf(stderr, "%s: %s: %s: the blob is for %s; this program is built for %s\n", kProgram, path,
                 salt::embedded::message(salt::embedded::Status::weights_other_model), a, b);
}

// Binary PGM: "P5", width, height, maxval 255 (whitespace and # comments between), one byte per pixel.
bool parse_pgm(const unsigned char* p, long n, int& w, int& h) {
    long i = 0;
    auto skip = [&] {
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || p[i] == '#')) {
            if (p[i] == '#')
                while (i < n && p[i] != '\n') ++i;
            else
                ++i;
        }
    };
    auto number = [&](int& v) {
        skip();
        if (i >= n || p[i] < '0' || p[i] > '9') return false;
        v = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && v < 100000) v = v * 10 + (p[i++] - '0');
        return true;
    };
    if (n < 2 || p[0] != 'P' || p[1] != '5') return false;
    i = 2;
    int maxval = 0;
    if (!number(w) || !number(h) || !number(maxval) || maxval != 255) return false;
    if (i >= n) return false;
    ++i;  // the one whitespace byte before the pixels
    if (w < 1 || h < 1 || w > kMaxSide || h > kMaxSide || n - i != long(w) * long(h)) return false;
    for (long k = 0; k < long(w) * long(h); ++k) image[k] = p[i + k];
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4 && argc != 5) {
        std::fprintf(stderr, "usage: %s MODEL.bin IMAGE.pgm MASK.pgm [PROBABILITY.f32]\n", kProgram);
        return 2;
    }
    Net net(arena, sizeof arena);
    bool larger = false;
    const long blob_size = read_file(argv[1], blob, sizeof blob, &larger);
    if (blob_size < 0) {
        // A larger file is most likely a blob of a bigger configuration: its header says.
        const auto header = larger ? net.load(blob, salt::embedded::format::kHeaderBytes) : salt::embedded::Status::ok;
        if (header == salt::embedded::Status::weights_other_model) {
            report_other_model(argv[1]);
            return 1;
        }
        if (header == salt::embedded::Status::weights_precision) {
            std::fprintf(stderr, "%s: %s: %s\n", kProgram, argv[1], salt::embedded::message(header));
            return 1;
        }
        if (larger)
            std::fprintf(stderr, "%s: %s: larger than this model's %zu-byte blob\n", kProgram, argv[1], Net::blob_bytes);
        else
            std::fprintf(stderr, "%s: %s: cannot read\n", kProgram, argv[1]);
        return 1;
    }
    if (const auto s = net.load(blob, std::size_t(blob_size)); s == salt::embedded::Status::weights_other_model) {
        report_other_model(argv[1]);
        return 1;
    } else if (s != salt::embedded::Status::ok) {
        std::fprintf(stderr, "%s: %s: %s\n", kProgram, argv[1], salt::embedded::message(s));
        return 1;
    }
    int w = 0, h = 0;
    const long image_size = read_file(argv[2], file_bytes, sizeof file_bytes);
    if (image_size < 0 || !parse_pgm(file_bytes, image_size, w, h)) {
        std::fprintf(stderr, "%s: %s: not an 8-bit binary PGM (P5, maxval 255) of at most %dx%d pixels\n",
                     kProgram, argv[2], kMaxSide, kMaxSide);
        return 1;
    }
    if (const auto s = net.segment(image, w, h, mask, probability); s != salt::embedded::Status::ok) {
        std::fprintf(stderr, "%s: %s: %s\n", kProgram, argv[2], salt::embedded::message(s));
        return 1;
    }
    long salt_pixels = 0;
    for (int i = 0; i < w * h; ++i) salt_pixels += mask[i];
    std::FILE* out = std::fopen(argv[3], "wb");
    bool ok = out != nullptr;
    if (ok) {
        ok = std::fprintf(out, "P5\n%d %d\n255\n", w, h) > 0;
        for (int i = 0; ok && i < w * h; ++i) ok = std::fputc(mask[i] ? 255 : 0, out) != EOF;
        ok = (std::fclose(out) == 0) && ok;
    }
    if (!ok) {
        std::fprintf(stderr, "%s: %s: cannot write\n", kProgram, argv[3]);
        std::remove(argv[3]);
        return 1;
    }
    if (argc == 5) {
        std::FILE* pf = std::fopen(argv[4], "wb");
        bool pok = pf != nullptr;
        if (pok) pok = (std::fwrite(probability, sizeof(float), std::size_t(w) * std::size_t(h), pf) == std::size_t(w) * std::size_t(h));
        if (pf) pok = (std::fclose(pf) == 0) && pok;
        if (!pok) {
            std::fprintf(stderr, "%s: %s: cannot write\n", kProgram, argv[4]);
            std::remove(argv[4]);
            return 1;
        }
    }
    std::printf("%s: %s (%dx%d) -> %s: %ld salt pixels; arena %zu bytes (weights %zu, activations %zu)\n",
                kProgram, argv[2], w, h, argv[3], salt_pixels, Net::arena_bytes, Net::weights_bytes, Net::activation_bytes);
    return 0;
}
