// salt/nn/aspp.hpp — Atrous Spatial Pyramid Pooling (DeepLabV3), torchvision's layout:
// convs.0 = 1x1 conv + BN + ReLU; convs.1..3 = 3x3 convs dilated by the three rates + BN + ReLU;
// convs.4 = image pooling (global average pool, 1x1 conv, BN, ReLU, bilinear upsample back);
// the five 256-channel maps are concatenated (1280) and projected: 1x1 conv 256 + BN + ReLU + Dropout.
#pragma once

#include <algorithm>
#include <array>
#include <string>

#include "salt/nn/merge.hpp"
#include "salt/nn/spec.hpp"
#include "salt/core/backend.hpp"

namespace salt::nn {

template <class T, Shape In, int OutChannels, int Rate1, int Rate2, int Rate3, class B, double DropoutRate = 0.5>
class ASPP {
    static_assert(Rate1 > 0 && Rate2 > 0 && Rate3 > 0, "ASPP: every atrous rate must be at least 1");
    static constexpr int Cin = In.c, Co = OutChannels;
    static constexpr ConvInit I = ConvInit::torch_default;  // torchvision leaves the head's init to PyTorch

    using Branch0 = Sequential<T, In, B, spec::conv<Cin, Co, 1, 1, 0, 1, false, I>, spec::batch_norm, spec::relu>;
    template <int R>
    using Atrous = Sequential<T, In, B, spec::atrous_conv<Cin, Co, R, I>, spec::batch_norm, spec::relu>;
    using Branch1 = Atrous<Rate1>;
    using Branch2 = Atrous<Rate2>;
    using Branch3 = Atrous<Rate3>;
    using Pooling = Sequential<T, In, B, spec::global_avg_pool, spec::conv<Cin, Co, 1, 1, 0, 1, false, I>,
                               spec::batch_norm, spec::relu, spec::upsample<In.h, In.w>>;
    static_assert(check::concat_compatible<Branch0::out_shape, Branch1::out_shape, Branch2::out_shape,
                                           Branch3::out_shape, Pooling::out_shape>());
    static constexpr Shape Branch = Branch0::out_shape;
    static constexpr Shape Cat = Shape{In.h, In.w, 5 * Co};
    using Project = Sequential<T, Cat, B, spec::conv<5 * Co, Co, 1, 1, 0, 1, false, I>, spec::batch_norm,
                               spec::relu, spec::dropout<DropoutRate>>;

    template <Shape S>
    static constexpr std::size_t bytes(int batch) { return aligned_bytes<T>(S.size() * batch); }

public:
    using scalar_type = T;
    using backend_type = B;
    static constexpr Shape in_shape = In;
    static constexpr Shape out_shape = Project::out_shape;

    static constexpr std::size_t forward_keep(int batch, Mode m) {
        if (m == Mode::eval) return bytes<out_shape>(batch);
        return Branch0::forward_keep(batch, m) + Branch1::forward_keep(batch, m) + Branch2::forward_keep(batch, m) +
               Branch3::forward_keep(batch, m) + Pooling::forward_keep(batch, m) + bytes<Cat>(batch) +
               Project::forward_keep(batch, m);
    }
    static constexpr std::size_t forward_peak(int batch, Mode m) {
        std::size_t below = 0, peak = 0;
        auto step = [&](std::size_t p, std::size_t k) { peak = std::max(peak, below + p), below += k; };
        step(Branch0::forward_peak(batch, m), Branch0::forward_keep(batch, m));
        step(Branch1::forward_peak(batch, m), Branch1::forward_keep(batch, m));
        step(Branch2::forward_peak(batch, m), Branch2::forward_keep(batch, m));
        step(Branch3::forward_peak(batch, m), Branch3::forward_keep(batch, m));
        step(Pooling::forward_peak(batch, m), Pooling::forward_keep(batch, m));
        step(bytes<Cat>(batch), bytes<Cat>(batch));
        step(Project::forward_peak(batch, m), Project::forward_keep(batch, m));
        return peak;
    }
    static constexpr std::size_t backward_peak(int batch) {
        const std::size_t branches = std::max({Branch0::backward_peak(batch), Branch1::backward_peak(batch),
                                               Branch2::backward_peak(batch), Branch3::backward_peak(batch),
                                               Pooling::backward_peak(batch)});
        return std::max({Project::backward_peak(batch),
                         bytes<Cat>(batch) + 5 * bytes<Branch>(batch) + bytes<In>(batch) + branches});
    }
    static constexpr std::size_t parameter_count() {
        return Branch0::parameter_count() + Branch1::parameter_count() + Branch2::parameter_count() +
               Branch3::parameter_count() + Pooling::parameter_count() + Project::parameter_count();
    }
    static constexpr ParamSizes param_sizes() {
        return Branch0::param_sizes() + Branch1::param_sizes() + Branch2::param_sizes() + Branch3::param_sizes() +
               Pooling::param_sizes() + Project::param_sizes();
    }
    static constexpr OpSet ops_used = Branch0::ops_used | Branch1::ops_used | Branch2::ops_used | Branch3::ops_used |
                                      Pooling::ops_used | Project::ops_used |
                                      OpSet{Op::concat_channels_forward, Op::concat_channels_backward, Op::accumulate};

    void bind(ParamBinder<T>& b) { b0_.bind(b), b1_.bind(b), b2_.bind(b), b3_.bind(b), pool_.bind(b), project_.bind(b); }
    void init(Rng& rng, HostParams<T>& h) {
        b0_.init(rng, h), b1_.init(rng, h), b2_.init(rng, h), b3_.init(rng, h), pool_.init(rng, h), project_.init(rng, h);
    }

    TensorView<T, out_shape> forward(TensorView<T, In> x, Context<B>& ctx) {
        const std::size_t mark = ctx.workspace.mark();
        auto y0 = b0_.forward(x, ctx);
        auto y1 = b1_.forward(x, ctx);
        auto y2 = b2_.forward(x, ctx);
        auto y3 = b3_.forward(x, ctx);
        auto y4 = pool_.forward(x, ctx);
        auto cat = ctx.template take<T, Cat>(x.batch());
        const std::array<const T*, 5> parts{y0.data(), y1.data(), y2.data(), y3.data(), y4.data()};
        run<Op::concat_channels_forward>(ctx.device(), In.pixels() * std::size_t(x.batch()),
                                         std::span<const int>(channels_), std::span<const T* const>(parts), cat.data());
        auto y = project_.forward(cat, ctx);
        if (!ctx.training()) y = compact_to(ctx, mark, y);
        return y;
    }

    TensorView<T, In> backward(TensorView<T, out_shape> dy, Context<B>& ctx) {
        const std::size_t mark = ctx.workspace.mark();
        auto dcat = compact_to(ctx, mark, project_.backward(dy, ctx));
        const int n = dy.batch();
        std::array<TensorView<T, Branch>, 5> d;
        for (auto& v : d) v = ctx.template take<T, Branch>(n);
        const std::array<T*, 5> parts{d[0].data(), d[1].data(), d[2].data(), d[3].data(), d[4].data()};
        run<Op::concat_channels_backward>(ctx.device(), In.pixels() * std::size_t(n), std::span<const int>(channels_),
                                          static_cast<const T*>(dcat.data()), std::span<T* const>(parts));
        auto dx = ctx.template take<T, In>(n);
        auto branch = [&](auto& layer, TensorView<T, Branch> g, bool first) {
            const std::size_t m = ctx.workspace.mark();
            auto gx = layer.backward(g, ctx);
            if (first) B::copy(ctx.device(), dx.data(), gx.data(), gx.bytes());
            else run<Op::accumulate>(ctx.device(), dx.size(), static_cast<const T*>(gx.data()), dx.data());
            ctx.workspace.release(m);
        };
        branch(b0_, d[0], true);
        branch(b1_, d[1], false);
        branch(b2_, d[2], false);
        branch(b3_, d[3], false);
        branch(pool_, d[4], false);
        return compact_to(ctx, mark, dx);
    }

    template <class F>
    static void describe(const std::string& prefix, F&& f) {
        f(prefix, "ASPP", out_shape, parameter_count());
        Branch0::describe(join_name(prefix, "convs.0"), f);
        Branch1::describe(join_name(prefix, "convs.1"), f);
        Branch2::describe(join_name(prefix, "convs.2"), f);
        Branch3::describe(join_name(prefix, "convs.3"), f);
        Pooling::describe(join_name(prefix, "convs.4"), f);
        Project::describe(join_name(prefix, "project"), f);
    }

    void visit(const std::string& prefix, ParamVisitor<T> f) {
        b0_.visit(join_name(prefix, "convs.0"), f);
        b1_.visit(join_name(prefix, "convs.1"), f);
        b2_.visit(join_name(prefix, "convs.2"), f);
        b3_.visit(join_name(prefix, "convs.3"), f);
        pool_.visit(join_name(prefix, "convs.4"), f);
        project_.visit(join_name(prefix, "project"), f);
    }

    Project& project() { return project_; }

private:
    static constexpr std::array<int, 5> channels_{Co, Co, Co, Co, Co};
    Branch0 b0_;
    Branch1 b1_;
    Branch2 b2_;
    Branch3 b3_;
    Pooling pool_;
    Project project_;
};

namespace spec {
template <int OutChannels, int Rate1, int Rate2, int Rate3, double DropoutRate = 0.5>
struct aspp {
    template <class T, Shape In, class B>
    using bind = ASPP<T, In, OutChannels, Rate1, Rate2, Rate3, B, DropoutRate>;
};
}  // namespace spec

}  // namespace salt::nn
