// salt/nn/standalone.hpp — a layer (or a chain, or a block) with its own device and parameter
// store, so it can run on its own: what tests and small programs use; a model does the same for
// its parts. The layer's B decides the backend:
//
//   nn::Standalone<nn::Bottleneck<float, Shape{7, 7, 32}, 16, 1, 1, backend::Reference>> block(seed);
//   Workspace<backend::Reference> ws(block.device(), bytes);
//   nn::Context<backend::Reference> ctx{ws, nn::Mode::train, &rng};
//   auto y = block.forward(x, ctx);
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>
#include <utility>

#include "salt/core/backend.hpp"
#include "salt/core/rng.hpp"
#include "salt/nn/context.hpp"
#include "salt/nn/parameter.hpp"

namespace salt::nn {

// Owns a backend device (built from options), or borrows one.
template <class B>
class DeviceHolder {
public:
    explicit DeviceHolder(typename B::options o = {}) : owned_(std::make_unique<typename B::device>(o)), dev_(owned_.get()) {}
    explicit DeviceHolder(typename B::device& shared) : dev_(&shared) {}
    typename B::device& get() const { return *dev_; }

private:
    std::unique_ptr<typename B::device> owned_;
    typename B::device* dev_;
};

template <class Layer, class T, class B>
class StandaloneOf {
    static_assert(salt::check::backend_supports_scalar<B, T>());
    static_assert(salt::check::backend_implements<B, Layer::ops_used>());

public:
    using layer_type = Layer;
    using backend = B;
    static constexpr Shape in_shape = Layer::in_shape;
    static constexpr Shape out_shape = Layer::out_shape;

    // Parameters zero, BatchNorm reset (as after torch's reset_parameters with zero weights).
    explicit StandaloneOf(typename B::options o = {}) : dev_(o) { setup(); }
    explicit StandaloneOf(typename B::device& shared) : dev_(shared) { setup(); }
    // torchvision's initialisation, seeded.
    explicit StandaloneOf(std::uint64_t seed, typename B::options o = {}) : dev_(o) {
        setup();
        init(seed);
    }

    void init(std::uint64_t seed) {
        Rng rng(seed);
        init(rng);
    }
    void init(Rng& rng) {
        HostParams<T> host(store_.values(), std::vector<T>(store_.sizes().total(), T(0)));
        layer_.init(rng, host);
        store_.upload(host);
    }

    typename B::device& device() const { return dev_.get(); }
    ParamStore<T, B>& parameters() { return store_; }
    void zero_grad() { store_.zero_grad(); }
    Layer& layer() { return layer_; }

    template <class U>
    auto forward(TensorView<U, in_shape> x, Context<B>& ctx) {
        return layer_.forward(x, ctx);
    }
    template <class G>
    auto backward(G dy, Context<B>& ctx) {
        return layer_.backward(dy, ctx);
    }
    template <class F>
    void visit(const std::string& prefix, F&& f) {
        layer_.visit(prefix, ParamVisitor<T>(f));
    }
    template <class F>
    void visit(F&& f) {
        layer_.visit(std::string(), ParamVisitor<T>(f));
    }

    Layer* operator->() { return &layer_; }

private:
    void setup() {
        store_ = ParamStore<T, B>(dev_.get(), Layer::param_sizes());
        auto b = store_.binder();
        layer_.bind(b);
        if (!b.complete()) throw std::logic_error("salt::nn::Standalone: a layer took fewer parameters than it declared");
        // BatchNorm's reset values (and zero weights): what a layer holds before init or a load.
        HostParams<T> host(store_.values(), std::vector<T>(store_.sizes().total(), T(0)));
        reset_bn_only(host);
        store_.upload(host);
    }
    void reset_bn_only(HostParams<T>& host) {
        // Running variance 1 and gamma 1 for every BatchNorm2d; everything else stays zero.
        layer_.visit(std::string(), [&](const auto& p) {
            if (p.kind == ParamKind::bn_weight || p.kind == ParamKind::bn_running_var)
                std::fill_n(host.at(p.value), p.count, T(1));
        });
    }

    DeviceHolder<B> dev_;
    ParamStore<T, B> store_;
    Layer layer_;
};

// Standalone<L>: L's scalar and backend are read from L's own members.
template <class Layer>
using Standalone = StandaloneOf<Layer, typename Layer::scalar_type, typename Layer::backend_type>;

}  // namespace salt::nn
