// salt/train/loss.hpp — the segmentation losses as the trainer uses them, and their host-side
// entry points.
//
// compute_loss(device, kind, geometry, logits, targets, grad, options) runs the backend's loss op
// (Op::loss_bce_dice or Op::loss_lovasz) on backend memory, scoring only geometry.region of each map
// (the image inside the padding); the value comes back to the host. The span functions below run the
// reference kernels on host arrays: `batch` images of n = size/batch pixels each, all scored (what
// the tests compare with PyTorch). Semantics and precision: salt/ops/loss_bce_dice.hpp.
//
// Every loss takes the model's raw logits z, the targets t (0/1 masks; BCE also accepts soft targets
// in [0, 1]) and an optional output for d loss / d z (empty: value only; otherwise it must have the
// logits' size and is overwritten, not accumulated).
//
//   bce_with_logits  mean over all pixels of  max(z,0) - z t + log1p(exp(-|z|))   (torch's default
//                    reduction="mean"); gradient (sigmoid(z) - t) / (batch n). Stable for any |z|.
//   soft_dice        1 - (2 sum(p t) + s) / (sum(p) + sum(t) + s) with p = sigmoid(z); either per
//                    image and then averaged over the batch (default), or over the whole batch as
//                    one set of pixels (DiceReduction::batch).
//   bce_dice         w_bce * bce + w_dice * dice.
//   lovasz_hinge     Berman, Rannen Triki, Blaschko (CVPR 2018), binary case, per image then mean:
//                    errors e = 1 - z (2t - 1), sorted in decreasing order; the loss is
//                    <relu(e_sorted), g> where g is the gradient of the Lovasz extension of the
//                    Jaccard loss at that order: g_i = J_i - J_{i-1}, J_i = 1 - I_i / U_i with
//                    I_i = P - (positives among the first i+1), U_i = P + (negatives among the first
//                    i+1), P = positives in the image. Targets are binarised at 0.5. Ties in e are
//                    broken by pixel index (the loss value does not depend on the tie order; the
//                    gradient, a subgradient there, does). relu'(0) is taken as 0, as in torch.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>

#include "salt/core/backend.hpp"
#include "salt/core/op_params.hpp"
#include "salt/ops/loss_bce_dice.hpp"
#include "salt/ops/loss_lovasz.hpp"

namespace salt::train {

enum class LossKind { bce, dice, bce_dice, lovasz };
enum class DiceReduction { per_image, batch };

struct LossOptions {
    double dice_smooth = 1.0;                              // s in the soft Dice
    DiceReduction dice_reduction = DiceReduction::per_image;
    double bce_weight = 1.0;                               // bce_dice only
    double dice_weight = 1.0;                              // bce_dice only
};

inline const char* loss_name(LossKind k) {
    switch (k) {
        case LossKind::bce: return "bce";
        case LossKind::dice: return "dice";
        case LossKind::bce_dice: return "bce_dice";
        case LossKind::lovasz: return "lovasz";
    }
    return "?";
}

// "bce", "dice", "bce_dice" (also "bce+dice"), "lovasz" (also "lovasz_hinge").
inline LossKind parse_loss_kind(const std::string& s) {
    if (s == "bce") return LossKind::bce;
    if (s == "dice") return LossKind::dice;
    if (s == "bce_dice" || s == "bce+dice") return LossKind::bce_dice;
    if (s == "lovasz" || s == "lovasz_hinge") return LossKind::lovasz;
    throw std::invalid_argument("unknown loss '" + s + "' (valid: bce, dice, bce_dice, lovasz)");
}

namespace detail {

template <class T>
MapGeometry check_loss_args(const char* who, std::span<const T> z, std::span<const T> t, std::span<T> grad, int batch) {
    const std::string w = std::string("salt::train::") + who + ": ";
    if (batch <= 0) throw std::invalid_argument(w + "batch must be positive, got " + std::to_string(batch));
    if (t.size() != z.size())
        throw std::invalid_argument(w + "logits have " + std::to_string(z.size()) + " elements, targets " +
                                    std::to_string(t.size()));
    if (!grad.empty() && grad.size() != z.size())
        throw std::invalid_argument(w + "the gradient span has " + std::to_string(grad.size()) +
                                    " elements, the logits " + std::to_string(z.size()) + " (pass an empty span for none)");
    if (z.empty() || z.size() % std::size_t(batch) != 0)
        throw std::invalid_argument(w + std::to_string(z.size()) + " logits do not split into " + std::to_string(batch) +
                                    " non-empty images");
    const int n = int(z.size() / std::size_t(batch));
    return MapGeometry{batch, 1, n, Region{0, 0, 1, n}};
}

inline BceDiceWeights weights(LossKind kind, const LossOptions& o) {
    BceDiceWeights w;
    w.dice_smooth = o.dice_smooth;
    w.dice_per_image = o.dice_reduction == DiceReduction::per_image;
    w.bce = kind == LossKind::dice ? 0.0 : kind == LossKind::bce ? 1.0 : o.bce_weight;
    w.dice = kind == LossKind::bce ? 0.0 : kind == LossKind::dice ? 1.0 : o.dice_weight;
    return w;
}

template <class T>
double compute_host(const char* who, LossKind kind, std::span<const T> z, std::span<const T> t, std::span<T> grad,
                    int batch, const LossOptions& o) {
    const MapGeometry g = check_loss_args(who, z, t, grad, batch);
    T* gp = grad.empty() ? nullptr : grad.data();
    if (kind == LossKind::lovasz) return ops::loss_lovasz(g, z.data(), t.data(), gp);
    return ops::loss_bce_dice(g, weights(kind, o), z.data(), t.data(), gp);
}

}  // namespace detail

// On backend memory: the trainer's loss. `grad` (nullable) is overwritten over the whole maps.
template <class Device, class T>
double compute_loss(Device& dev, LossKind kind, const MapGeometry& g, const T* logits, const T* targets, T* grad,
                    const LossOptions& o = {}) {
    if (kind == LossKind::lovasz) return salt::run<Op::loss_lovasz>(dev, g, logits, targets, grad);
    return salt::run<Op::loss_bce_dice>(dev, g, detail::weights(kind, o), logits, targets, grad);
}

// On host arrays (the reference kernels). Each returns the loss; `grad` (empty for none) receives
// d loss / d logits.
#define SALT_HOST_LOSS(NAME, KIND, WHO)                                                                              \
    inline double NAME(std::span<const float> z, std::span<const float> t, std::span<float> g, int batch,             \
                       const LossOptions& o = {}) {                                                                   \
        return detail::compute_host(WHO, KIND, z, t, g, batch, o);                                                    \
    }                                                                                                                 \
    inline double NAME(std::span<const double> z, std::span<const double> t, std::span<double> g, int batch,          \
                       const LossOptions& o = {}) {                                                                   \
        return detail::compute_host(WHO, KIND, z, t, g, batch, o);                                                    \
    }
SALT_HOST_LOSS(bce_with_logits, LossKind::bce, "bce_with_logits")
SALT_HOST_LOSS(soft_dice, LossKind::dice, "soft_dice")
SALT_HOST_LOSS(bce_dice, LossKind::bce_dice, "bce_dice")
SALT_HOST_LOSS(lovasz_hinge, LossKind::lovasz, "lovasz_hinge")
#undef SALT_HOST_LOSS

inline double compute_loss(LossKind kind, std::span<const float> logits, std::span<const float> target,
                           std::span<float> grad, int batch, const LossOptions& o = {}) {
    return detail::compute_host("compute_loss", kind, logits, target, grad, batch, o);
}
inline double compute_loss(LossKind kind, std::span<const double> logits, std::span<const double> target,
                           std::span<double> grad, int batch, const LossOptions& o = {}) {
    return detail::compute_host("compute_loss", kind, logits, target, grad, batch, o);
}

}  // namespace salt::train
