// salt/embedded/plan.hpp — the inference network of a DeepLabV3 configuration as one walk over its
// layers, with BatchNorm folded into the convolutions; the walk is a template over a visitor, so the
// same sequence computes the arena footprint at compile time (a constexpr visitor), runs the network
// (salt/embedded/deeplabv3.hpp) and packs a weights file into that order (salt/models/export_embedded.hpp,
// on the host, with torchvision's names).
//
// No heap, no exceptions, no RTTI: this folder compiles with -fno-exceptions -fno-rtti.
// Activations live in four buffers of the arena (kBuffers), each as large as the largest map of the
// walk; a block's input, its two inner maps and its projected identity take one each, and the ASPP
// branches write straight into their channel slice of the concatenation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "salt/core/shape.hpp"
#include "salt/models/deeplabv3_config.hpp"
#include "salt/nn/resnet_plan.hpp"

namespace salt::embedded {

// A module path with torchvision's names ("backbone.layer3.5.conv2"), in a fixed buffer.
struct Name {
    char text[72] = {};
    int length = 0;

    constexpr Name() = default;
    constexpr explicit Name(const char* s) { append(s); }
    constexpr Name& append(const char* s) {
        while (*s && length < int(sizeof text) - 1) text[length++] = *s++;
        text[length] = 0;
        return *this;
    }
    constexpr Name& append(int v) {
        char digits[12] = {};
        int n = 0;
        do {
            digits[n++] = char('0' + v % 10);
            v /= 10;
        } while (v > 0 && n < 11);
        while (n > 0 && length < int(sizeof text) - 1) text[length++] = digits[--n];
        text[length] = 0;
        return *this;
    }
    constexpr Name with(const char* s) const {
        Name n = *this;
        n.append(s);
        return n;
    }
    constexpr bool empty() const { return length == 0; }
};

// Where a map lives: one of the arena's buffers, the caller's input or the caller's outputs.
enum : int { kInput = -1, kLogits = -2, kClassLogit = -3 };
inline constexpr int kBuffers = 4;

// One convolution of the folded network: weights [ky][kx][in][out] and one bias per output channel
// (BatchNorm folded in when `bn` is named), the output written at channel `offset` of a map with
// `out_stride` channels per pixel; then ReLU, with `residual` (a buffer, or -1 for none) added first.
struct ConvStep {
    Name conv;        // the conv's module path (".weight", and ".bias" when !bn)
    Name bn;          // the BatchNorm folded into it, or empty (the conv has its own bias)
    Shape in;         // input map
    Conv2dParams p;   // geometry
    int src, dst;     // buffers
    int offset = 0;   // first output channel in dst
    int out_stride;   // channels per pixel of dst
    int residual = -1;
    bool relu = true;

    constexpr Shape out() const { return conv2d_out_shape(in, p); }
    constexpr std::size_t weight_floats() const { return p.weight_count() + std::size_t(p.out_channels); }
};

struct MaxPoolStep {
    Shape in;
    int src, dst;
};  // 3x3, stride 2, padding 1 (the stem's)
struct AvgPoolStep {
    Shape in;
    int src, dst;
};  // global average: in.h x in.w x c -> 1 x 1 x c
struct BroadcastStep {
    Shape in;  // 1 x 1 x c, written at every pixel of an h x w map (bilinear from one pixel)
    int h, w, src, dst, offset, out_stride;
};
struct UpsampleStep {
    Shape in;  // bilinear to h x w, align_corners=false
    int h, w, src, dst;
};

// The walk. V has conv(ConvStep), max_pool(MaxPoolStep), avg_pool(AvgPoolStep),
// broadcast(BroadcastStep) and upsample(UpsampleStep), each returning false to stop the walk.
template <models::DeepLabV3Config C, class V>
constexpr bool walk(V& v) {
    constexpr nn::StagePlan P = nn::plan_for_output_stride(C.output_stride);
    constexpr bool bottleneck = C.block == nn::BlockKind::bottleneck;
    const Name backbone("backbone.");
    Shape s{C.height, C.width, C.in_channels};

    auto conv = [&](Name c, Name bn, Shape in, Conv2dParams p, int src, int dst, int residual, bool relu) {
        const ConvStep step{c, bn, in, p, src, dst, 0, p.out_channels, residual, relu};
        return v.conv(step);
    };

    // Stem: conv1 7x7/2 + bn1 + relu, maxpool 3x3/2.
    const Conv2dParams stem{C.in_channels, 64, 7, 2, 3, 1, false};
    if (!conv(backbone.with("conv1"), backbone.with("bn1"), s, stem, kInput, 0, -1, true)) return false;
    s = conv2d_out_shape(s, stem);
    if (!v.max_pool(MaxPoolStep{s, 0, 1})) return false;
    s = Shape{pool_out_extent(s.h, 3, 2, 1), pool_out_extent(s.w, 3, 2, 1), 64};

    // The four stages. `x` holds the block input; the others rotate.
    int x = 1;
    for (int stage = 0; stage < 4; ++stage) {
        const int planes = 64 << stage;
        const int out_c = bottleneck ? planes * 4 : planes;
        for (int b = 0; b < C.blocks[std::size_t(stage)]; ++b) {
            const int stride = b == 0 ? P.stride[stage] : 1;
            const int dil = b == 0 ? P.first_dilation[stage] : P.dilation[stage];
            Name blk = backbone;
            blk.append("layer").append(stage + 1).append(".").append(b).append(".");
            const int a = (x + 1) % kBuffers, c = (x + 2) % kBuffers, d = (x + 3) % kBuffers;
            const bool down = stride != 1 || s.c != out_c;
            int identity = x;
            if (down) {
                if (!conv(blk.with("downsample.0"), blk.with("downsample.1"), s, Conv2dParams{s.c, out_c, 1, stride, 0, 1, false},
                          x, d, -1, false))
                    return false;
                identity = d;
            }
            if (bottleneck) {
                const Conv2dParams p1{s.c, planes, 1, 1, 0, 1, false};
                const Conv2dParams p2{planes, planes, 3, stride, dil, dil, false};
                const Conv2dParams p3{planes, out_c, 1, 1, 0, 1, false};
                const Shape s1 = conv2d_out_shape(s, p1), s2 = conv2d_out_shape(s1, p2);
                if (!conv(blk.with("conv1"), blk.with("bn1"), s, p1, x, a, -1, true)) return false;
                if (!conv(blk.with("conv2"), blk.with("bn2"), s1, p2, a, c, -1, true)) return false;
                // conv3 + bn3, the identity added, ReLU: into `a` (conv1's output is no longer needed).
                if (!conv(blk.with("conv3"), blk.with("bn3"), s2, p3, c, a, identity, true)) return false;
                s = conv2d_out_shape(s2, p3);
                x = a;
            } else {
                const Conv2dParams p1{s.c, planes, 3, stride, dil, dil, false};
                const Conv2dParams p2{planes, planes, 3, 1, dil, dil, false};
                const Shape s1 = conv2d_out_shape(s, p1);
                if (!conv(blk.with("conv1"), blk.with("bn1"), s, p1, x, a, -1, true)) return false;
                // conv2 + bn2, the identity added, ReLU: into `c`.
                if (!conv(blk.with("conv2"), blk.with("bn2"), s1, p2, a, c, identity, true)) return false;
                s = conv2d_out_shape(s1, p2);
                x = c;
            }
        }
    }
    const Shape features = s;
    const int f = x, cat = (x + 1) % kBuffers, t0 = (x + 2) % kBuffers, t1 = (x + 3) % kBuffers;

    // The image classifier (global average pool, 1x1 conv with bias) on layer4's output.
    if constexpr (C.classification_head) {
        if (!v.avg_pool(AvgPoolStep{features, f, t0})) return false;
        const ConvStep head{Name("classification_head.1"), Name(), Shape{1, 1, features.c},
                            Conv2dParams{features.c, 1, 1, 1, 0, 1, true}, t0, kClassLogit, 0, 1, -1, false};
        if (!v.conv(head)) return false;
    }

    // ASPP: four branches and the image pooling, each into its 256-channel slice of the concatenation.
    const Name aspp("classifier.0.");
    constexpr int Co = 256, Cat = 5 * Co;
    for (int i = 0; i < 4; ++i) {
        const int rate = i == 0 ? 1 : C.rates[std::size_t(i - 1)];
        const Conv2dParams p = i == 0 ? Conv2dParams{features.c, Co, 1, 1, 0, 1, false}
                                      : Conv2dParams{features.c, Co, 3, 1, rate, rate, false};
        Name branch = aspp;
        branch.append("convs.").append(i).append(".");
        const ConvStep step{branch.with("0"), branch.with("1"), features, p, f, cat, i * Co, Cat, -1, true};
        if (!v.conv(step)) return false;
    }
    if (!v.avg_pool(AvgPoolStep{features, f, t0})) return false;
    {
        const ConvStep step{aspp.with("convs.4.1"), aspp.with("convs.4.2"), Shape{1, 1, features.c},
                            Conv2dParams{features.c, Co, 1, 1, 0, 1, false}, t0, t1, 0, Co, -1, true};
        if (!v.conv(step)) return false;
    }
    if (!v.broadcast(BroadcastStep{Shape{1, 1, Co}, features.h, features.w, t1, cat, 4 * Co, Cat})) return false;
    const Shape cat_shape{features.h, features.w, Cat};
    if (!conv(aspp.with("project.0"), aspp.with("project.1"), cat_shape, Conv2dParams{Cat, Co, 1, 1, 0, 1, false}, cat, t0, -1,
              true))
        return false;
    // DeepLabHead's 3x3 conv + BN + ReLU, then the 1x1 conv to the classes (with bias, no ReLU).
    const Shape proj{features.h, features.w, Co};
    if (!conv(Name("classifier.1"), Name("classifier.2"), proj, Conv2dParams{Co, Co, 3, 1, 1, 1, false}, t0, t1, -1, true))
        return false;
    if (!conv(Name("classifier.4"), Name(), proj, Conv2dParams{Co, C.classes, 1, 1, 0, 1, true}, t1, t0, -1, false))
        return false;
    return v.upsample(UpsampleStep{Shape{features.h, features.w, C.classes}, C.height, C.width, t0, kLogits});
}

// The numbers the embedded path computes in. int8: the convolutions that carry the work take 8-bit
// inputs and weights (salt/embedded/kernels_int8.hpp); the rest stays fp32 (runs_int8).
enum class Precision { fp32, int8 };

// Which convolutions run on 8-bit integers in the int8 precision: those whose input is a ReLU's output
// (so unsigned 8-bit with zero at 0 holds it, and zero padding stays exact), in groups of four input
// channels (one 32-bit lane of VPDPBUSD) and sixteen output channels (one register of sums), on a map
// larger than one pixel. So the first convolution (its input, the normalised image, is signed), the
// ones on globally pooled 1x1 maps (a negligible share of the work) and the last one (to the classes:
// one output channel, and the logits are what is thresholded) stay fp32.
constexpr bool runs_int8(const ConvStep& s) {
    return s.src != kInput && s.in.pixels() > 1 && s.p.in_channels % 4 == 0 && s.p.out_channels % 16 == 0;
}

// Bytes of one convolution's part of the weights, every part a multiple of 64 bytes so that each
// starts aligned in the arena. fp32: weights [ky][kx][in][out], then the bias. int8 (runs_int8): the
// input's scale (padded to 64 bytes), one weight scale and one bias per output channel (fp32), then the
// weights as int8 in VPDPBUSD's order [ky][kx][in/4][out][4].
constexpr std::size_t round_up_64(std::size_t n) { return (n + 63) / 64 * 64; }
constexpr std::size_t int8_weights_offset(const ConvStep& s) { return 64 + 8 * std::size_t(s.p.out_channels); }
constexpr std::size_t part_bytes(const ConvStep& s, Precision p) {
    if (p == Precision::int8 && runs_int8(s)) return round_up_64(int8_weights_offset(s) + s.p.weight_count());
    return p == Precision::int8 ? round_up_64(s.weight_floats() * sizeof(float)) : s.weight_floats() * sizeof(float);
}

// A base for visitors that only look at the convolutions (packing, checking, calibrating weights).
struct ConvVisitor {
    constexpr bool max_pool(const MaxPoolStep&) { return true; }
    constexpr bool avg_pool(const AvgPoolStep&) { return true; }
    constexpr bool broadcast(const BroadcastStep&) { return true; }
    constexpr bool upsample(const UpsampleStep&) { return true; }
};

// What a walk needs: the folded weights (floats; bytes for each precision), the largest map held in one
// buffer (floats), and for int8 the largest input quantised to 8 bits (bytes).
struct Footprint {
    std::size_t weight_floats = 0;
    std::size_t int8_weight_bytes = 0;
    std::size_t buffer_floats = 0;
    std::size_t int8_input_bytes = 0;
    int int8_max_in_channels = 0;
    int convs = 0;
    int int8_convs = 0;
};

namespace detail {
struct Measure {
    Footprint f;
    constexpr void grow(std::size_t n) {
        if (n > f.buffer_floats) f.buffer_floats = n;
    }
    constexpr bool conv(const ConvStep& s) {
        f.weight_floats += s.weight_floats();
        f.int8_weight_bytes += part_bytes(s, Precision::int8);
        ++f.convs;
        if (runs_int8(s)) {
            ++f.int8_convs;
            if (s.in.size() > f.int8_input_bytes) f.int8_input_bytes = s.in.size();
            if (s.p.in_channels > f.int8_max_in_channels) f.int8_max_in_channels = s.p.in_channels;
        }
        grow(s.in.size());
        grow(s.out().pixels() * std::size_t(s.out_stride));
        return true;
    }
    constexpr bool max_pool(const MaxPoolStep& s) {
        grow(s.in.size());
        return true;
    }
    constexpr bool avg_pool(const AvgPoolStep& s) {
        grow(s.in.size());
        return true;
    }
    constexpr bool broadcast(const BroadcastStep& s) {
        grow(std::size_t(s.h) * std::size_t(s.w) * std::size_t(s.out_stride));
        return true;
    }
    constexpr bool upsample(const UpsampleStep& s) {
        grow(s.in.size());
        return true;
    }
};
}  // namespace detail

template <models::DeepLabV3Config C>
constexpr Footprint footprint() {
    detail::Measure m;
    walk<C>(m);
    return m.f;
}

// Whether the embedded path runs this configuration; the reason when it does not.
constexpr const char* unsupported_reason(const models::DeepLabV3Config& c) {
    if (c.decoder != models::Decoder::deeplabv3) return "the embedded path runs torchvision's DeepLabV3 head only, not the DeepLabV3+ decoder";
    if (c.output_stride != 8 && c.output_stride != 16) return "the output stride must be 8 or 16";
    return nullptr;
}

}  // namespace salt::embedded
