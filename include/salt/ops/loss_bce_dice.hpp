// salt/ops/loss_bce_dice.hpp and loss_lovasz.hpp — segmentation losses from logits, with their gradients, reference kernels.
//
// Inputs: `g.batch` single-channel maps of g.height x g.width (logits z and targets t, one after
// the other); only the pixels inside g.region are scored (the 101 x 101 image inside a 128 x 128
// padded input: the padding is never scored). `grad` (nullable) receives d loss / d z over the
// whole maps: overwritten, zero outside the region. The loss value is returned to the host. All
// arithmetic and every sum is in double, so float and double inputs give the same loss for the
// same values, and a float gradient is the double gradient rounded once.
//
//   loss_bce_dice  w.bce * BCE + w.dice * Dice:
//                  BCE  = mean over scored pixels of max(z,0) - z t + log1p(exp(-|z|)) (torch's
//                         BCEWithLogits, reduction="mean"); d/dz = (sigmoid(z) - t) / scored pixels.
//                  Dice = 1 - (2 sum(p t) + s) / (sum p + sum t + s), p = sigmoid(z), per image then
//                         averaged (w.dice_per_image), or over the batch's scored pixels as one set.
//   loss_lovasz    Berman, Rannen Triki, Blaschko (CVPR 2018), binary case, per image then mean:
//                  errors e = 1 - z (2t - 1) sorted in decreasing order; the loss is <relu(e_sorted), g>
//                  with g_i = J_i - J_{i-1}, J_i = 1 - I_i / U_i, I_i = P - (positives among the first
//                  i+1), U_i = P + (negatives among the first i+1), P = positives in the image. Targets
//                  are binarised at 0.5. Ties in e are broken by pixel index (the loss does not depend
//                  on it; the gradient, a subgradient there, does). relu'(0) = 0, as in torch.
//                  Non-finite logits are an error (the sort would be undefined).
#pragma once

#include <cstddef>

#include "salt/ops/loss_common.hpp"

namespace salt::ops {

template <class T>
double loss_bce_dice(const MapGeometry& g, const BceDiceWeights& w, const T* z, const T* t, T* grad) {
    constexpr const char* op = "loss_bce_dice";
    detail::check_map_geometry(op, g);
    detail::check_ptr(op, z, "logits");
    detail::check_ptr(op, t, "targets");
    detail::zero_maps(g, grad);
    const long per_image = g.region.pixels();
    const double total = double(per_image) * g.batch;
    const int groups = w.dice_per_image ? g.batch : 1;
    const double dice_scale = w.dice / double(groups);
    double bce_sum = 0.0, dice_sum = 0.0;
    for (int grp = 0; grp < groups; ++grp) {
        const int b0 = w.dice_per_image ? grp : 0, b1 = w.dice_per_image ? grp + 1 : g.batch;
        double num = 0.0, den = 1.0, inv_den2 = 0.0;
        if (w.dice != 0.0) {
            double inter = 0.0, psum = 0.0, tsum = 0.0;
            for (int b = b0; b < b1; ++b)
                for (long i = 0; i < per_image; ++i) {
                    const std::size_t o = detail::region_offset(g, b, i);
                    const double p = stable_sigmoid(double(z[o])), y = double(t[o]);
                    inter += p * y;
                    psum += p;
                    tsum += y;
                }
            num = 2.0 * inter + w.dice_smooth;
            den = psum + tsum + w.dice_smooth;
            inv_den2 = 1.0 / (den * den);
            dice_sum += 1.0 - num / den;
        }
        for (int b = b0; b < b1; ++b)
            for (long i = 0; i < per_image; ++i) {
                const std::size_t o = detail::region_offset(g, b, i);
                const double x = double(z[o]), y = double(t[o]);
                double d = 0.0;
                if (w.bce != 0.0) {
                    bce_sum += bce_with_logits_term(x, y);
                    d += w.bce * ((stable_sigmoid(x) - y) / total);
                }
                if (w.dice != 0.0) {
                    // d/dp_j [1 - num/den] = -(2 t_j den - num) / den^2;  dp/dz = sigmoid(z) sigmoid(-z).
                    const double dp = -(2.0 * y * den - num) * inv_den2;
                    d += dice_scale * (dp * (stable_sigmoid(x) * stable_sigmoid(-x)));
                }
                if (grad) grad[o] = T(d);
            }
    }
    double loss = 0.0;
    if (w.bce != 0.0) loss += w.bce * (bce_sum / total);
    if (w.dice != 0.0) loss += w.dice * (dice_sum / double(groups));
    return loss;
}

}  // namespace salt::ops
