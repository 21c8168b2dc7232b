// salt/core/op_params.hpp — the plain parameter structs that ops take besides pointers and shapes,
// shared by every backend (core/ so that ops/, backend/<name>/ and the layers all see one
// definition). Geometry structs for convolution and pooling live in core/shape.hpp.
#pragma once

#include <cstdint>

namespace salt {

// PyTorch's BatchNorm2d constants.
struct BatchNormParams {
    double eps = 1e-5;
    double momentum = 0.1;
};

// A rectangle inside each H x W map of a batch: rows [y0, y0 + h), columns [x0, x0 + w). The losses
// and the mask statistics score only this part of a prediction (the 101 x 101 image inside the
// 128 x 128 padded model input), and `crop` copies it out.
struct Region {
    int y0 = 0, x0 = 0, h = 0, w = 0;
    constexpr bool operator==(const Region&) const = default;
    constexpr long pixels() const { return long(h) * long(w); }
    constexpr bool inside(int height, int width) const {
        return y0 >= 0 && x0 >= 0 && h > 0 && w > 0 && y0 + h <= height && x0 + w <= width;
    }
};

// `batch` single-channel maps of height x width, one after the other, scored inside `region`.
struct MapGeometry {
    int batch = 0;
    int height = 0;
    int width = 0;
    Region region{};
    constexpr long map_pixels() const { return long(height) * long(width); }
};

// BCE + soft Dice weights (either may be 0: plain BCE, plain Dice).
//   BCE: mean over every scored pixel of max(z,0) - z t + log1p(exp(-|z|)).
//   Dice: 1 - (2 sum(p t) + smooth) / (sum p + sum t + smooth), p = sigmoid(z), per image then
//   averaged over the batch (per_image), or over all scored pixels of the batch as one set.
struct BceDiceWeights {
    double bce = 1.0;
    double dice = 1.0;
    double dice_smooth = 1.0;
    bool dice_per_image = true;
};

// The scalars of one Adam / AdamW update (torch.optim semantics; see ops/adam.hpp). `step` is the
// update's number, 1 for the first.
struct AdamStep {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
    bool decoupled = false;  // false: L2 added to the gradient (Adam); true: AdamW
    std::int64_t step = 1;
};

// Pixel counts of one predicted mask against its truth.
struct MaskCounts {
    std::int64_t tp = 0, fp = 0, fn = 0, tn = 0;

    constexpr std::int64_t intersection() const { return tp; }
    constexpr std::int64_t union_() const { return tp + fp + fn; }
    constexpr std::int64_t predicted() const { return tp + fp; }
    constexpr std::int64_t truth() const { return tp + fn; }
    constexpr std::int64_t pixels() const { return tp + fp + fn + tn; }
    constexpr MaskCounts& operator+=(const MaskCounts& o) {
        tp += o.tp, fp += o.fp, fn += o.fn, tn += o.tn;
        return *this;
    }
    constexpr bool operator==(const MaskCounts&) const = default;
};

}  // namespace salt
