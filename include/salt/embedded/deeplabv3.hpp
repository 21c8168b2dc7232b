// salt/embedded/deeplabv3.hpp — DeepLabV3 inference for embedded targets: no heap, no exceptions, no
// RTTI, one thread unless the caller hands it a Parallel (set_parallel; salt/embedded/parallel.hpp). All memory is one caller-provided arena whose size is a compile-time constant of
// the model type (arena_bytes), so it can be a static array; errors are return values (Status).
//
//   using Net = salt::embedded::DeepLabV3<salt::models::kTrainDefault>;   // the model salt train trains by default
//   alignas(Net::arena_alignment) static std::byte arena[Net::arena_bytes];
//   Net net(arena, sizeof arena);
//   if (auto s = net.load(blob, blob_bytes); s != salt::embedded::Status::ok) puts(salt::embedded::message(s));
//   net.segment(image, 101, 101, mask);   // 0/1 mask, as `salt predict` makes it
//
// The weights are a blob written by `salt export-embedded` (salt/models/export_embedded.hpp): a
// 128-byte header (format, the model configuration it was made for, the preprocessing and
// post-processing recorded at training) and the convolutions' weights with BatchNorm folded in, in
// the order of the walk in salt/embedded/plan.hpp. load() checks the header against this model type
// and copies the weights into the arena (int8 weights reordered for the kernel), so the blob's memory
// may be released afterwards.
// Precision: fp32, or int8 (DeepLabV3<C, Precision::int8>: the convolutions that carry the work on
// 8-bit inputs and weights, salt/embedded/kernels_int8.hpp; its blob comes from `salt quantize`,
// salt/models/quantize_embedded.hpp). The arena size is a function of both.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "salt/embedded/kernels.hpp"
#include "salt/embedded/kernels_int8.hpp"
#include "salt/embedded/parallel.hpp"
#include "salt/embedded/plan.hpp"

namespace salt::embedded {

enum class Status : int {
    ok = 0,
    arena_too_small,       // the arena given is smaller than arena_bytes
    arena_misaligned,      // the arena is not aligned to arena_alignment
    not_loaded,            // forward/segment before a successful load
    weights_truncated,     // shorter than the header, or than the header says
    weights_not_salt,      // the magic is not "SALTEMB1"
    weights_version,       // a format version this code does not read
    weights_byte_order,    // written on a machine of the other byte order
    weights_other_model,   // made for another configuration (size, channels, backbone, ...)
    weights_size,          // the weight count is not this model's
    weights_not_finite,    // a weight or a recorded number is NaN or infinite, or out of range
    image_size,            // the image is empty or larger than the model's input
    weights_precision,     // made for the other precision (an fp32 blob for an int8 model, or the reverse)
};

constexpr const char* message(Status s) {
    switch (s) {
        case Status::ok: return "ok";
        case Status::arena_too_small: return "the arena is smaller than the model's arena_bytes";
        case Status::arena_misaligned: return "the arena is not aligned to the model's arena_alignment";
        case Status::not_loaded: return "no weights loaded (load() has not succeeded)";
        case Status::weights_truncated: return "the weights blob is shorter than its header says";
        case Status::weights_not_salt: return "not a salt embedded weights blob (no SALTEMB1 magic)";
        case Status::weights_version: return "the weights blob has a format version this code does not read";
        case Status::weights_byte_order: return "the weights blob was written with the other byte order";
        case Status::weights_other_model: return "the weights blob was made for another model configuration";
        case Status::weights_size: return "the weights blob does not hold this model's number of weights";
        case Status::weights_not_finite: return "the weights blob holds a NaN, an infinity or an out-of-range setting";
        case Status::image_size: return "the image is empty or larger than the model's input";
        case Status::weights_precision:
            return "the weights blob is for the other precision (fp32 from salt export-embedded, int8 from salt quantize)";
    }
    return "unknown status";
}

// The blob's header: 32 little-endian (native, checked by a marker) 32-bit words.
namespace format {
inline constexpr char kMagic[8] = {'S', 'A', 'L', 'T', 'E', 'M', 'B', '1'};
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::uint32_t kByteOrder = 0x01020304u;
inline constexpr std::size_t kHeaderBytes = 128;
enum Word : int {
    magic0 = 0, magic1, version, byte_order,
    height, width, in_channels, classes, blocks0, blocks1, blocks2, blocks3, block_kind, output_stride,
    rate0, rate1, rate2, classification_head, decoder,
    mean, stddev, threshold, threshold_hi, gate, gate_hi, min_area, tta,  // threshold, gate: doubles
    count_lo, count_hi,  // fp32: the number of floats after the header; int8: the number of bytes
    precision,           // 0: fp32, 1: int8 (blobs from before int8 have 0 here)
    words_used
};
static_assert(words_used * 4 <= kHeaderBytes);

// The configuration words of a model type, as the exporter writes them and load() compares them.
constexpr void config_words(const models::DeepLabV3Config& c, std::uint32_t* w) {
    w[height] = std::uint32_t(c.height), w[width] = std::uint32_t(c.width), w[in_channels] = std::uint32_t(c.in_channels);
    w[classes] = std::uint32_t(c.classes);
    w[blocks0] = std::uint32_t(c.blocks[0]), w[blocks1] = std::uint32_t(c.blocks[1]);
    w[blocks2] = std::uint32_t(c.blocks[2]), w[blocks3] = std::uint32_t(c.blocks[3]);
    w[block_kind] = c.block == nn::BlockKind::basic ? 1u : 0u;
    w[output_stride] = std::uint32_t(c.output_stride);
    w[rate0] = std::uint32_t(c.rates[0]), w[rate1] = std::uint32_t(c.rates[1]), w[rate2] = std::uint32_t(c.rates[2]);
    w[classification_head] = c.classification_head ? 1u : 0u;
    w[decoder] = c.decoder == models::Decoder::deeplabv3plus ? 1u : 0u;
}
}  // namespace format

// What training recorded with the weights (salt.pre.* and salt.post.* metadata), read from the blob.
struct Settings {
    float mean = 0.f, std = 1.f;  // input normalisation of [0, 1] pixel values
    double threshold = 0.5;       // probability above which a pixel is salt
    double gate = 0.0;            // classifier gate (0: unused)
    int min_area = 0;             // smaller predicted masks become empty
    bool tta = false;             // average with the mirrored image's prediction
};

template <models::DeepLabV3Config C, Precision P = Precision::fp32>
class DeepLabV3 {
    static_assert(unsupported_reason(C) == nullptr, "salt::embedded::DeepLabV3: this configuration is not supported "
                                                    "(the DeepLabV3+ decoder, or an output stride other than 8 or 16)");
    static constexpr Footprint F = footprint<C>();
    static_assert(std::size_t(F.int8_max_in_channels) <= kernels::kZeroRowBytes,
                  "salt::embedded::DeepLabV3: a quantised convolution has more input channels than kernels::kZeroRow holds");
    static constexpr bool int8 = P == Precision::int8;

    static constexpr std::size_t round_up(std::size_t n) { return (n + 63) / 64 * 64; }

public:
    static constexpr models::DeepLabV3Config config = C;
    static constexpr Shape in_shape{C.height, C.width, C.in_channels};
    static constexpr Shape out_shape{C.height, C.width, C.classes};
    static constexpr std::size_t arena_alignment = 64;
    // The arena's parts: the folded weights, kBuffers activation maps, the logits of the plain and
    // the mirrored image (segment() with TTA), the model input made from an image.
    // int8: also the input of a quantised convolution as 8-bit values.
    static constexpr Precision precision = P;
    static constexpr std::size_t weight_floats = F.weight_floats;  // fp32's, whatever P is
    static constexpr std::size_t payload_bytes = int8 ? F.int8_weight_bytes : F.weight_floats * sizeof(float);
    static constexpr std::size_t weights_bytes = round_up(payload_bytes);
    static constexpr std::size_t buffer_bytes = round_up(F.buffer_floats * sizeof(float));
    static constexpr std::size_t logits_bytes = round_up(out_shape.size() * sizeof(float));
    static constexpr std::size_t input_bytes = round_up(in_shape.size() * sizeof(float));
    static constexpr std::size_t quantized_bytes = int8 ? round_up(F.int8_input_bytes) : 0;
    static constexpr std::size_t activation_bytes = kBuffers * buffer_bytes + 2 * logits_bytes + input_bytes + quantized_bytes;
    static constexpr std::size_t arena_bytes = weights_bytes + activation_bytes;
    // The size of a blob for this model: header and weights.
    static constexpr std::size_t blob_bytes = format::kHeaderBytes + payload_bytes;

    DeepLabV3(void* arena, std::size_t bytes) : base_(static_cast<unsigned char*>(arena)) {
        if (bytes < arena_bytes) status_ = Status::arena_too_small;
        else if (reinterpret_cast<std::uintptr_t>(arena) % arena_alignment != 0) status_ = Status::arena_misaligned;
        else status_ = Status::not_loaded;
    }

    // Lets the convolutions cut their work into tasks run through `par` (the caller's threads); the
    // outputs are the same, bit for bit, as on one thread. The default runs everything on the caller's thread.
    void set_parallel(const Parallel& par) { parallel_ = par; }

    // The arena's state: ok once weights are loaded.
    Status status() const { return status_; }
    const Settings& settings() const { return settings_; }

    // Checks a blob and copies its weights into the arena. On any error the model keeps its previous
    // weights (or stays unloaded): the checks all run before anything is written.
    Status load(const void* blob, std::size_t bytes) {
        if (status_ != Status::ok && status_ != Status::not_loaded) return status_;
        if (bytes < format::kHeaderBytes) return Status::weights_truncated;
        std::uint32_t w[format::kHeaderBytes / 4];
        std::memcpy(w, blob, sizeof w);
        if (std::memcmp(w, format::kMagic, sizeof format::kMagic) != 0) return Status::weights_not_salt;
        if (w[format::byte_order] != format::kByteOrder) return Status::weights_byte_order;
        if (w[format::version] != format::kVersion) return Status::weights_version;
        std::uint32_t want[format::kHeaderBytes / 4] = {};
        format::config_words(C, want);
        for (int i = format::height; i <= format::decoder; ++i)
            if (w[i] != want[i]) return Status::weights_other_model;
        if (w[format::precision] != (int8 ? 1u : 0u)) return Status::weights_precision;
        const std::uint64_t count = std::uint64_t(w[format::count_lo]) | (std::uint64_t(w[format::count_hi]) << 32);
        if (count != (int8 ? F.int8_weight_bytes : F.weight_floats)) return Status::weights_size;
        if (bytes < blob_bytes) return Status::weights_truncated;
        if (bytes > blob_bytes) return Status::weights_size;
        Settings s;
        std::memcpy(&s.mean, &w[format::mean], 4);
        std::memcpy(&s.std, &w[format::stddev], 4);
        std::memcpy(&s.threshold, &w[format::threshold], 8);
        std::memcpy(&s.gate, &w[format::gate], 8);
        s.min_area = int(w[format::min_area]);
        s.tta = w[format::tta] != 0;
        if (!std::isfinite(s.mean) || !std::isfinite(s.std) || !(s.std > 0.f) || !(s.threshold > 0.0 && s.threshold < 1.0) ||
            !(s.gate >= 0.0 && s.gate < 1.0) || s.min_area < 0 || w[format::tta] > 1)
            return Status::weights_not_finite;
        const unsigned char* src = static_cast<const unsigned char*>(blob) + format::kHeaderBytes;
        Check check{{}, src};
        walk<C>(check);
        if (!check.finite) return Status::weights_not_finite;
        if constexpr (int8) {
            Place place{{}, src, weights()};
            walk<C>(place);
        } else {
            std::memcpy(weights(), src, payload_bytes);
        }
        settings_ = s;
        status_ = Status::ok;
        return Status::ok;
    }

    // One input (in_shape, NHWC: height x width x in_channels, prepared as in training) to logits
    // (out_shape); with the image classifier, its logit into *class_logit when given.
    Status forward(const float* input, float* logits, float* class_logit = nullptr) {
        NoObserver none;
        return forward_observed(input, logits, class_logit, none);
    }

    // Runs segment()'s forward passes on an image (the plain one and, with TTA, the mirrored one),
    // calling observe(index, step, input) before each convolution with its input map (step.in): how
    // salt quantize measures the range of every quantised convolution's input on calibration images.
    template <class Observer>
    Status calibrate(const std::uint8_t* image, int width, int height, Observer& observe) {
        static_assert(P == Precision::fp32, "salt::embedded::DeepLabV3::calibrate: calibrate the fp32 model");
        if (status_ != Status::ok) return status_;
        if (width < 1 || height < 1 || width > C.width || height > C.height) return Status::image_size;
        float cls = 0.f;
        for (int mirror = 0; mirror < (settings_.tta ? 2 : 1); ++mirror) {
            prepare(image, width, height, mirror != 0);
            forward_observed(input(), logits_a(), &cls, observe);
        }
        return Status::ok;
    }

    // One 8-bit grayscale image (row-major width x height, at most the model's input size) to a 0/1
    // mask of the same size, as `salt predict` makes it from the same weights: centred reflect-101
    // padding, the recorded normalisation, the recorded threshold, minimum area, gate and flip TTA.
    // `probability` (optional) receives each pixel's salt probability.
    Status segment(const std::uint8_t* image, int width, int height, std::uint8_t* mask, float* probability = nullptr) {
        static_assert(C.in_channels == 1 && C.classes == 1,
                      "salt::embedded::DeepLabV3::segment: one input channel and one class only; "
                      "use forward() with your own input planes");
        if (status_ != Status::ok) return status_;
        if (width < 1 || height < 1 || width > C.width || height > C.height) return Status::image_size;
        float* plain = logits_a();
        float* mirrored = logits_b();
        float cls_plain = 0.f, cls_mirrored = 0.f;
        prepare(image, width, height, false);
        forward(input(), plain, &cls_plain);
        if (settings_.tta) {
            prepare(image, width, height, true);
            forward(input(), mirrored, &cls_mirrored);
        }
        const int top = (C.height - height) / 2, left = (C.width - width) / 2;
        // The threshold as a logit, in double as salt's post-processing compares it.
        const double t = std::log(settings_.threshold / (1.0 - settings_.threshold));
        long area = 0;
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x) {
                float l = plain[std::size_t(top + y) * std::size_t(C.width) + std::size_t(left + x)];
                if (settings_.tta) {
                    const float m = mirrored[std::size_t(top + y) * std::size_t(C.width) + std::size_t(left + width - 1 - x)];
                    l = 0.5f * m + 0.5f * l;
                }
                const std::size_t i = std::size_t(y) * std::size_t(width) + std::size_t(x);
                mask[i] = double(l) > t ? 1 : 0;
                area += mask[i];
                if (probability) probability[i] = float(1.0 / (1.0 + std::exp(-double(l))));
            }
        bool empty = area > 0 && area < settings_.min_area;
        if constexpr (C.classification_head) {
            double p = 1.0 / (1.0 + std::exp(-double(cls_plain)));
            if (settings_.tta) p = 0.5 * (p + 1.0 / (1.0 + std::exp(-double(cls_mirrored))));
            if (settings_.gate > 0.0 && p < settings_.gate) empty = true;
        }
        if (empty)
            for (std::size_t i = 0; i < std::size_t(width) * std::size_t(height); ++i) mask[i] = 0;
        return Status::ok;
    }

private:
    struct NoObserver {
        void operator()(int, const ConvStep&, const float*) {}
    };
    template <class Observer>
    Status forward_observed(const float* input, float* logits, float* class_logit, Observer& observe) {
        if (status_ != Status::ok) return status_;
        Run<Observer> r{this, input, logits, class_logit, base_, observe};
        walk<C>(r);
        return Status::ok;
    }

    // load()'s check of a blob's weights: every float finite, every scale positive.
    struct Check : ConvVisitor {
        const unsigned char* part;
        bool finite = true;
        static bool all_finite(const unsigned char* p, std::size_t n, bool positive) {
            for (std::size_t i = 0; i < n; ++i) {
                float v;
                std::memcpy(&v, p + i * sizeof(float), sizeof v);
                if (!std::isfinite(v) || (positive && !(v > 0.f))) return false;
            }
            return true;
        }
        bool conv(const ConvStep& s) {
            if (int8 && runs_int8(s)) {
                const std::size_t co = std::size_t(s.p.out_channels);
                finite = finite && all_finite(part, 1, true) && all_finite(part + 64, co, true) &&
                         all_finite(part + 64 + 4 * co, co, false);
            } else {
                finite = finite && all_finite(part, s.weight_floats(), false);
            }
            part += part_bytes(s, P);
            return true;
        }
    };

    // load()'s copy of an int8 blob's weights into the arena: the quantised convolutions' weights in the
    // kernel's order (kernels::int8_arena_index), the rest as they are.
    struct Place : ConvVisitor {
        const unsigned char* from;
        unsigned char* to;
        bool conv(const ConvStep& s) {
            if (runs_int8(s)) kernels::int8_part_to_arena(s, from, to);
            else std::memcpy(to, from, part_bytes(s, P));
            from += part_bytes(s, P), to += part_bytes(s, P);
            return true;
        }
    };

    unsigned char* weights() const { return base_; }
    float* buffer(int i) const { return reinterpret_cast<float*>(base_ + weights_bytes + std::size_t(i) * buffer_bytes); }
    float* logits_a() const { return reinterpret_cast<float*>(base_ + weights_bytes + kBuffers * buffer_bytes); }
    float* logits_b() const { return reinterpret_cast<float*>(base_ + weights_bytes + kBuffers * buffer_bytes + logits_bytes); }
    float* input() const {
        return reinterpret_cast<float*>(base_ + weights_bytes + kBuffers * buffer_bytes + 2 * logits_bytes);
    }
    std::uint8_t* quantized() const { return base_ + weights_bytes + kBuffers * buffer_bytes + 2 * logits_bytes + input_bytes; }

    // reflect-101 (OpenCV's BORDER_REFLECT_101: ... 2 1 | 0 1 2 ... n-1 | n-2 ...).
    static int reflect101(int i, int n) {
        if (n == 1) return 0;
        while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
        return i;
    }
    // As data::prepare_input: flipped first (TTA), padded, then (v / 255 - mean) / std in float.
    void prepare(const std::uint8_t* image, int width, int height, bool mirror) {
        const int top = (C.height - height) / 2, left = (C.width - width) / 2;
        float* in = input();
        for (int y = 0; y < C.height; ++y) {
            const int sy = reflect101(y - top, height);
            for (int x = 0; x < C.width; ++x) {
                int sx = reflect101(x - left, width);
                if (mirror) sx = width - 1 - sx;
                const float v = float(image[std::size_t(sy) * std::size_t(width) + std::size_t(sx)]) / 255.0f;
                in[std::size_t(y) * std::size_t(C.width) + std::size_t(x)] = (v - settings_.mean) / settings_.std;
            }
        }
    }

    // The walk's visitor that runs it: weights taken in order from the arena.
    template <class Observer>
    struct Run {
        const DeepLabV3* net;
        const float* input;
        float* logits;
        float* class_logit;
        const unsigned char* w;
        Observer& observe;
        int index = 0;
        float cls_sink = 0.f;
        // The map net->quantized() holds, at which scale: a block's projection and its conv1, and
        // the ASPP's four convolutions, read the same map at the same (calibrated) scale, so it is
        // quantised once for them. Forgotten when a step writes that map.
        const float* quantized_from = nullptr;
        float quantized_scale = 0.f;

        float* written(int b) {
            float* m = map(b);
            if (m == quantized_from) quantized_from = nullptr;
            return m;
        }
        float* map(int b) {
            if (b == kLogits) return logits;
            if (b == kClassLogit) return class_logit ? class_logit : &cls_sink;
            return net->buffer(b);
        }
        const float* cmap(int b) { return b == kInput ? input : map(b); }
        bool conv(const ConvStep& s) {
            observe(index++, s, cmap(s.src));
            const float* residual = s.residual >= 0 ? cmap(s.residual) : nullptr;
            if (int8 && runs_int8(s)) {
                const kernels::Int8Conv c = kernels::int8_conv_part(s, w);
                const float* src = cmap(s.src);
                if (src != quantized_from || c.input_scale != quantized_scale) {
                    kernels::quantize_input(src, s.in.size(), c.input_scale, net->quantized(), net->parallel_);
                    quantized_from = src, quantized_scale = c.input_scale;
                }
                kernels::conv_int8(s, c, net->quantized(), written(s.dst), residual, net->parallel_);
            } else {
                kernels::conv(s, cmap(s.src), reinterpret_cast<const float*>(w), written(s.dst), residual, net->parallel_);
            }
            w += part_bytes(s, P);
            return true;
        }
        bool max_pool(const MaxPoolStep& s) {
            kernels::max_pool(s, cmap(s.src), written(s.dst));
            return true;
        }
        bool avg_pool(const AvgPoolStep& s) {
            kernels::avg_pool(s, cmap(s.src), written(s.dst));
            return true;
        }
        bool broadcast(const BroadcastStep& s) {
            kernels::broadcast(s, cmap(s.src), written(s.dst));
            return true;
        }
        bool upsample(const UpsampleStep& s) {
            kernels::upsample(s, cmap(s.src), written(s.dst));
            return true;
        }
    };

    unsigned char* base_;
    Status status_ = Status::not_loaded;
    Settings settings_{};
    Parallel parallel_{};
};

}  // namespace salt::embedded
