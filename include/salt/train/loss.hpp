// salt/train/loss.hpp — segmentation losses computed from logits, with their gradients.
//
// Every loss takes the model's raw logits z (one channel, `batch` images of n = size/batch pixels
// each, any layout as long as logits and targets agree), the targets t (0/1 masks; BCE also
// accepts soft targets in [0, 1]) and an optional output span for d loss / d z (empty: value only;
// otherwise it must have the logits' size and is overwritten, not accumulated). Inputs may be float
// or double; all arithmetic and every sum is in double, so the float and double entry points give
// the same loss value for the same (float-representable) inputs, and float gradients are the double
// gradients rounded once.
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

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

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

// sigmoid(z) without overflow for any z.
inline double sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
    const double e = std::exp(z);
    return e / (1.0 + e);
}

template <class T>
std::size_t check_loss_args(const char* who, std::span<const T> z, std::span<const T> t, std::span<T> grad, int batch) {
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
    return z.size() / std::size_t(batch);
}

// BCE and Dice in one pass per image, so bce_dice writes each gradient element once (a float
// gradient is the double value rounded once). A weight of 0 skips that term entirely.
template <class T>
double bce_dice_impl(const char* who, std::span<const T> z, std::span<const T> t, std::span<T> grad, int batch,
                     const LossOptions& o, double w_bce, double w_dice) {
    check_loss_args(who, z, t, grad, batch);
    const std::size_t total = z.size();
    const std::size_t groups = o.dice_reduction == DiceReduction::per_image ? std::size_t(batch) : 1;
    const std::size_t m = total / groups;
    const double inv_total = 1.0 / double(total);
    const double dice_scale = w_dice / double(groups);
    double bce_sum = 0.0, dice_sum = 0.0;
    for (std::size_t g = 0; g < groups; ++g) {
        const std::size_t begin = g * m, end = begin + m;
        double num = 0.0, den = 1.0, inv_den2 = 0.0;
        if (w_dice != 0.0) {
            double inter = 0.0, psum = 0.0, tsum = 0.0;
            for (std::size_t i = begin; i < end; ++i) {
                const double p = sigmoid(double(z[i])), y = double(t[i]);
                inter += p * y;
                psum += p;
                tsum += y;
            }
            num = 2.0 * inter + o.dice_smooth;
            den = psum + tsum + o.dice_smooth;
            inv_den2 = 1.0 / (den * den);
            dice_sum += 1.0 - num / den;
        }
        for (std::size_t i = begin; i < end; ++i) {
            const double x = double(z[i]), y = double(t[i]);
            double d = 0.0;
            if (w_bce != 0.0) {
                bce_sum += std::max(x, 0.0) - x * y + std::log1p(std::exp(-std::abs(x)));
                d += w_bce * ((sigmoid(x) - y) * inv_total);
            }
            if (w_dice != 0.0) {
                // d/dp_j [1 - num/den] = -(2 t_j den - num) / den^2;  dp/dz = p (1 - p) = sigmoid(z) sigmoid(-z).
                const double dp = -(2.0 * y * den - num) * inv_den2;
                d += dice_scale * (dp * (sigmoid(x) * sigmoid(-x)));
            }
            if (!grad.empty()) grad[i] = T(d);
        }
    }
    double loss = 0.0;
    if (w_bce != 0.0) loss += w_bce * (bce_sum * inv_total);
    if (w_dice != 0.0) loss += w_dice * (dice_sum / double(groups));
    return loss;
}

template <class T>
double bce(std::span<const T> z, std::span<const T> t, std::span<T> grad, int batch) {
    return bce_dice_impl("bce_with_logits", z, t, grad, batch, LossOptions{}, 1.0, 0.0);
}
template <class T>
double dice(std::span<const T> z, std::span<const T> t, std::span<T> grad, int batch, const LossOptions& o) {
    return bce_dice_impl("soft_dice", z, t, grad, batch, o, 0.0, 1.0);
}

template <class T>
double lovasz(std::span<const T> z, std::span<const T> t, std::span<T> grad, int batch) {
    const std::size_t n = check_loss_args("lovasz_hinge", z, t, grad, batch);
    std::vector<double> err(n);
    std::vector<std::uint32_t> order(n);
    double total = 0.0;
    for (int b = 0; b < batch; ++b) {
        const std::size_t off = std::size_t(b) * n;
        double positives = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const bool pos = double(t[off + i]) > 0.5;
            positives += pos ? 1.0 : 0.0;
            err[i] = pos ? 1.0 - double(z[off + i]) : 1.0 + double(z[off + i]);
        }
        std::iota(order.begin(), order.end(), 0u);
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t c) {
            return err[a] > err[c] || (err[a] == err[c] && a < c);
        });
        // Walk the sorted errors keeping the running Jaccard loss J_i; g_i = J_i - J_{i-1}, J_{-1} = 0.
        double seen_pos = 0.0, seen_neg = 0.0, prev_j = 0.0, loss = 0.0;
        for (std::size_t r = 0; r < n; ++r) {
            const std::uint32_t i = order[r];
            const bool pos = double(t[off + i]) > 0.5;
            (pos ? seen_pos : seen_neg) += 1.0;
            const double inter = positives - seen_pos;
            const double uni = positives + seen_neg;  // >= 1 from the first step on
            const double j = 1.0 - inter / uni;
            const double g = j - prev_j;
            prev_j = j;
            if (err[i] > 0) loss += err[i] * g;
            if (!grad.empty()) {
                // e = 1 - z s with s = +1 (positive) / -1 (negative): de/dz = -s.
                const double d = err[i] > 0 ? (pos ? -g : g) / double(batch) : 0.0;
                grad[off + i] = T(d);
            }
        }
        total += loss;
    }
    return total / double(batch);
}

template <class T>
double compute(LossKind kind, std::span<const T> z, std::span<const T> t, std::span<T> grad, int batch,
               const LossOptions& o) {
    switch (kind) {
        case LossKind::bce: return bce(z, t, grad, batch);
        case LossKind::dice: return dice(z, t, grad, batch, o);
        case LossKind::bce_dice: return bce_dice_impl("bce_dice", z, t, grad, batch, o, o.bce_weight, o.dice_weight);
        case LossKind::lovasz: return lovasz(z, t, grad, batch);
    }
    throw std::invalid_argument("salt::train::compute_loss: invalid LossKind");
}

}  // namespace detail

// Each returns the loss; `grad` (empty for none) receives d loss / d logits.
inline double bce_with_logits(std::span<const float> logits, std::span<const float> target, std::span<float> grad, int batch) {
    return detail::bce(logits, target, grad, batch);
}
inline double bce_with_logits(std::span<const double> logits, std::span<const double> target, std::span<double> grad, int batch) {
    return detail::bce(logits, target, grad, batch);
}
inline double soft_dice(std::span<const float> logits, std::span<const float> target, std::span<float> grad, int batch,
                        const LossOptions& o = {}) {
    return detail::dice(logits, target, grad, batch, o);
}
inline double soft_dice(std::span<const double> logits, std::span<const double> target, std::span<double> grad, int batch,
                        const LossOptions& o = {}) {
    return detail::dice(logits, target, grad, batch, o);
}
inline double bce_dice(std::span<const float> logits, std::span<const float> target, std::span<float> grad, int batch,
                       const LossOptions& o = {}) {
    return detail::compute(LossKind::bce_dice, logits, target, grad, batch, o);
}
inline double bce_dice(std::span<const double> logits, std::span<const double> target, std::span<double> grad, int batch,
                       const LossOptions& o = {}) {
    return detail::compute(LossKind::bce_dice, logits, target, grad, batch, o);
}
inline double lovasz_hinge(std::span<const float> logits, std::span<const float> target, std::span<float> grad, int batch) {
    return detail::lovasz(logits, target, grad, batch);
}
inline double lovasz_hinge(std::span<const double> logits, std::span<const double> target, std::span<double> grad, int batch) {
    return detail::lovasz(logits, target, grad, batch);
}

inline double compute_loss(LossKind kind, std::span<const float> logits, std::span<const float> target,
                           std::span<float> grad, int batch, const LossOptions& o = {}) {
    return detail::compute(kind, logits, target, grad, batch, o);
}
inline double compute_loss(LossKind kind, std::span<const double> logits, std::span<const double> target,
                           std::span<double> grad, int batch, const LossOptions& o = {}) {
    return detail::compute(kind, logits, target, grad, batch, o);
}

}  // namespace salt::train
