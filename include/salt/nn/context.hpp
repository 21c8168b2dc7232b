// salt/nn/context.hpp — what a forward or backward pass runs with: the workspace (and through it
// the backend device), the mode (training or inference) and the random generator dropout draws
// its seeds from.
#pragma once

#include <cstddef>
#include <utility>

#include "salt/core/backend.hpp"
#include "salt/core/memory.hpp"
#include "salt/core/rng.hpp"
#include "salt/core/tensor.hpp"

#include <stdexcept>
#include <string>

namespace salt::nn {

enum class Mode { eval, train };

template <class B>
struct Context {
    Workspace<B>& workspace;
    Mode mode = Mode::eval;
    Rng* rng = nullptr;  // needed only when a Dropout layer runs in training mode

    bool training() const { return mode == Mode::train; }
    typename B::device& device() const { return workspace.device(); }

    template <class T, Shape S>
    TensorView<T, S> take(int batch) {
        return TensorView<T, S>(workspace.template take<T>(S.size() * std::size_t(batch)), batch);
    }
};

// Moves a tensor that sits at the top of the workspace down to `mark` and releases everything above
// it. Containers call this after each child, so a chain of layers needs room for one input, one
// output and the child's scratch at a time rather than for every intermediate tensor. The move is
// the backend's (overlapping) copy. A tensor that already lies below the mark (a caller's buffer,
// updated in place by a ReLU, say) is left where it is.
template <class T, Shape S, class B>
TensorView<T, S> compact_to(Context<B>& ctx, std::size_t mark, TensorView<T, S> top) {
    if (ctx.workspace.below(top.data(), mark)) {
        ctx.workspace.release(mark);
        return top;
    }
    const std::size_t bytes = S.size() * std::size_t(top.batch()) * sizeof(T);
    auto& ws = ctx.workspace;
    ws.release(mark);
    T* dst = ws.template take<T>(S.size() * std::size_t(top.batch()));
    if (dst != top.data()) B::copy(ctx.device(), dst, top.data(), bytes);
    return TensorView<T, S>(dst, top.batch());
}

// Moves two tensors that lie above `mark` (in either order, possibly overlapping the region they
// move to) down to `mark`, `first` then `second`, and releases everything above them. Used where a
// layer returns two gradients that must stay below what runs next.
template <class T, Shape S1, Shape S2, class B>
std::pair<TensorView<T, S1>, TensorView<T, S2>> compact_pair_to(Context<B>& ctx, std::size_t mark,
                                                                TensorView<T, S1> first, TensorView<T, S2> second) {
    auto& ws = ctx.workspace;
    ws.release(mark);
    auto a = ctx.template take<T, S1>(first.batch());
    // `second` must not be overwritten by the first move: move it out of the way first when the
    // first's destination reaches into it.
    const auto* a_end = reinterpret_cast<const std::byte*>(a.data()) + first.bytes();
    const bool clash = reinterpret_cast<const std::byte*>(second.data()) < a_end &&
                       reinterpret_cast<const std::byte*>(second.data()) + second.bytes() >
                           reinterpret_cast<const std::byte*>(a.data());
    if (clash) throw std::logic_error("compact_pair_to: the second tensor lies where the first must go");
    if (a.data() != first.data()) B::copy(ctx.device(), a.data(), first.data(), first.bytes());
    auto b = ctx.template take<T, S2>(second.batch());
    if (b.data() != second.data()) B::copy(ctx.device(), b.data(), second.data(), second.bytes());
    return {a, b};
}

// A backward pass needs what the training forward saved; after an inference forward it is not
// there (inference compacts it away, BN saved no statistics), so it is an error, not silently
// wrong gradients.
[[noreturn]] inline void backward_without_training_forward(const char* layer) {
    throw std::logic_error(std::string(layer) +
                           ": backward() after an inference-mode forward (or with no forward): run forward in "
                           "training mode (nn::Mode::train) before backward");
}

}  // namespace salt::nn
