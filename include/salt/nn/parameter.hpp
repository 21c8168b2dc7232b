// salt/nn/parameter.hpp — how layers expose their parameters and buffers, under torchvision's
// state_dict names, to loaders, savers, optimizers and summaries.
//
// Layers keep weights in the layout their kernels want (conv weights HWIO); a ParamRef carries the
// PyTorch shape (OIHW for conv weights) so that conversion happens only at load and save time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "salt/core/shape.hpp"

namespace salt::nn {

enum class ParamKind {
    conv_weight,          // HWIO in salt, OIHW in PyTorch
    conv_bias,
    bn_weight,            // gamma
    bn_bias,              // beta
    bn_running_mean,      // buffer
    bn_running_var,       // buffer
    bn_num_batches_tracked  // int64 buffer
};

template <class T>
struct ParamRef {
    std::string name;
    ParamKind kind;
    std::vector<std::int64_t> torch_shape;
    T* value = nullptr;           // null for num_batches_tracked
    T* grad = nullptr;            // null for buffers
    std::size_t count = 0;
    Conv2dParams conv{};          // geometry, for conv weights
    std::int64_t* counter = nullptr;  // num_batches_tracked

    bool trainable() const { return grad != nullptr; }
    // Adam(W) conventionally skips weight decay on BN parameters and biases.
    bool decays() const { return kind == ParamKind::conv_weight; }
};

inline std::string join_name(const std::string& prefix, const char* leaf) {
    return prefix.empty() ? std::string(leaf) : prefix + "." + leaf;
}

}  // namespace salt::nn

namespace salt::nn {
// Visits the parameters of a model (visit(f)) or of a layer (visit(prefix, f)) alike.
template <class Module, class F>
void visit_parameters(Module& m, F&& f) {
    if constexpr (requires { m.visit(f); }) m.visit(f);
    else m.visit(std::string(), f);
}
}  // namespace salt::nn
