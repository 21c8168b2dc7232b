// salt/models/quantize_embedded.hpp — post-training quantisation of an embedded blob
// (salt/models/export_embedded.hpp) to the int8 precision of the embedded path: the fp32 model runs
// on calibration images, the largest input value each quantised convolution sees (embedded::runs_int8)
// sets its input scale (max / 255: unsigned 8 bits, zero at 0), each output channel's largest
// |weight| (BatchNorm already folded in) its weight scale (max / 127, symmetric), and the biases and
// the convolutions that stay fp32 are copied. Runs on the host (allocates, throws).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/embedded/deeplabv3.hpp"
#include "salt/io/image.hpp"

namespace salt::models {

// What calibration saw at the input of every convolution of the walk (in its order).
struct Int8Calibration {
    std::vector<float> input_max, input_min;
    std::size_t images = 0;
};

namespace detail {

// A host arena for an embedded model (aligned, freed on scope exit).
struct HostArena {
    std::unique_ptr<unsigned char[]> bytes;
    void* data = nullptr;
    HostArena(std::size_t n, std::size_t alignment) : bytes(new unsigned char[n + alignment]) {
        const auto a = reinterpret_cast<std::uintptr_t>(bytes.get());
        data = bytes.get() + (alignment - a % alignment) % alignment;
    }
};

}  // namespace detail

// Runs the fp32 model of `fp32_blob` on `images` as segment() would (with TTA when the blob says so)
// and records each convolution's input range.
template <DeepLabV3Config C>
Int8Calibration calibrate_embedded(const std::vector<unsigned char>& fp32_blob, const std::vector<const io::Image8*>& images) {
    using Net = embedded::DeepLabV3<C>;
    detail::HostArena arena(Net::arena_bytes, Net::arena_alignment);
    Net net(arena.data, Net::arena_bytes);
    if (const auto s = net.load(fp32_blob.data(), fp32_blob.size()); s != embedded::Status::ok)
        throw std::invalid_argument(std::string("cannot load the fp32 model: ") + embedded::message(s));
    Int8Calibration cal;
    const auto convs = std::size_t(embedded::footprint<C>().convs);
    cal.input_max.assign(convs, 0.f);
    cal.input_min.assign(convs, 0.f);
    auto observe = [&](int index, const embedded::ConvStep& s, const float* in) {
        float lo = cal.input_min[std::size_t(index)], hi = cal.input_max[std::size_t(index)];
        for (std::size_t i = 0; i < s.in.size(); ++i) lo = std::min(lo, in[i]), hi = std::max(hi, in[i]);
        cal.input_min[std::size_t(index)] = lo, cal.input_max[std::size_t(index)] = hi;
    };
    for (const io::Image8* img : images) {
        if (img->channels != 1) throw std::invalid_argument("calibration images must be grayscale");
        if (const auto s = net.calibrate(img->data(), img->width, img->height, observe); s != embedded::Status::ok)
            throw std::invalid_argument(std::string("calibration image: ") + embedded::message(s));
        ++cal.images;
    }
    return cal;
}

// The int8 blob made from an fp32 blob and a calibration of it.
template <DeepLabV3Config C>
std::vector<unsigned char> quantize_embedded(const std::vector<unsigned char>& fp32_blob, const Int8Calibration& cal) {
    using Fp32 = embedded::DeepLabV3<C>;
    using Int8 = embedded::DeepLabV3<C, embedded::Precision::int8>;
    if (fp32_blob.size() != Fp32::blob_bytes) throw std::invalid_argument("quantize_embedded: not an fp32 blob of this model");
    if (cal.images == 0) throw std::invalid_argument("quantize_embedded: no calibration images");
    std::vector<unsigned char> blob(Int8::blob_bytes, 0);
    std::uint32_t w[embedded::format::kHeaderBytes / 4];
    std::memcpy(w, fp32_blob.data(), sizeof w);
    w[embedded::format::precision] = 1;
    const std::uint64_t count = Int8::payload_bytes;
    w[embedded::format::count_lo] = std::uint32_t(count & 0xffffffffu);
    w[embedded::format::count_hi] = std::uint32_t(count >> 32);
    std::memcpy(blob.data(), w, sizeof w);

    struct Pack : embedded::ConvVisitor {
        const Int8Calibration& cal;
        const unsigned char* in;  // fp32 parts
        unsigned char* out;       // int8 blob parts
        int index = 0;
        bool conv(const embedded::ConvStep& s) {
            const std::size_t floats = s.weight_floats();
            std::vector<float> f(floats);
            std::memcpy(f.data(), in, floats * sizeof(float));
            if (embedded::runs_int8(s)) {
                const auto i = std::size_t(index);
                // Every quantised input is a ReLU's output (plan.hpp): a negative value means the walk
                // and this rule disagree, and unsigned 8 bits would clip it.
                if (cal.input_min[i] < 0.f)
                    throw std::logic_error(std::string("quantize_embedded: the input of ") + s.conv.text + " has negative values");
                const float in_scale = cal.input_max[i] > 0.f ? cal.input_max[i] / 255.f : 1.f;
                std::memcpy(out, &in_scale, sizeof in_scale);
                const Conv2dParams& p = s.p;
                const int Co = p.out_channels, Ci = p.in_channels, K = p.kernel;
                std::vector<float> ws(static_cast<std::size_t>(Co)), bias(static_cast<std::size_t>(Co));
                std::vector<std::int8_t> q(p.weight_count());
                auto at = [&](int ky, int kx, int ci, int co) {  // the fp32 order [ky][kx][in][out]
                    return f[((std::size_t(ky) * std::size_t(K) + std::size_t(kx)) * std::size_t(Ci) + std::size_t(ci)) * std::size_t(Co) +
                             std::size_t(co)];
                };
                for (int co = 0; co < Co; ++co) {
                    float m = 0.f;
                    for (int ky = 0; ky < K; ++ky)
                        for (int kx = 0; kx < K; ++kx)
                            for (int ci = 0; ci < Ci; ++ci) m = std::max(m, std::fabs(at(ky, kx, ci, co)));
                    const float scale = m > 0.f ? m / 127.f : 1.f;
                    ws[std::size_t(co)] = scale;
                    bias[std::size_t(co)] = f[p.weight_count() + std::size_t(co)];
                    for (int ky = 0; ky < K; ++ky)
                        for (int kx = 0; kx < K; ++kx)
                            for (int ci = 0; ci < Ci; ++ci) {
                                const float v = std::nearbyint(at(ky, kx, ci, co) / scale);
                                q[embedded::kernels::int8_weight_index(p, ky, kx, ci, co)] =
                                    std::int8_t(std::clamp(v, -127.f, 127.f));
                            }
                }
                // Copied in (the blob is bytes: no float or int8 objects live there).
                std::memcpy(out + 64, ws.data(), ws.size() * sizeof(float));
                std::memcpy(out + 64 + ws.size() * sizeof(float), bias.data(), bias.size() * sizeof(float));
                std::memcpy(out + embedded::int8_weights_offset(s), q.data(), q.size());
            } else {
                std::memcpy(out, f.data(), floats * sizeof(float));
            }
            in += floats * sizeof(float);
            out += embedded::part_bytes(s, embedded::Precision::int8);
            ++index;
            return true;
        }
    };
    Pack pack{{}, cal, fp32_blob.data() + embedded::format::kHeaderBytes, blob.data() + embedded::format::kHeaderBytes};
    embedded::walk<C>(pack);
    return blob;
}

}  // namespace salt::models
