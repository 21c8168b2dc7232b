// salt/nn/context.hpp — what a forward or backward pass runs with: the backend's workspace, the
// mode (training or inference) and the random generator dropout draws from.
#pragma once

#include <cstring>

#include "salt/core/memory.hpp"
#include "salt/core/rng.hpp"
#include "salt/core/tensor.hpp"

namespace salt::nn {

enum class Mode { eval, train };

template <class B>
struct Context {
    Workspace<typename B::memory>& workspace;
    Mode mode = Mode::eval;
    Rng* rng = nullptr;  // needed only when a Dropout layer runs in training mode

    bool training() const { return mode == Mode::train; }

    template <class T, Shape S>
    TensorView<T, S> take(int batch) {
        return TensorView<T, S>(workspace.template take<T>(S.size() * std::size_t(batch)), batch);
    }
};

// Moves a tensor that sits at the top of the workspace down to `mark` and releases everything above
// it. Containers call this after each child, so a chain of layers needs room for one input, one
// output and the child's scratch at a time rather than for every intermediate tensor.
// A tensor that already lies below the mark (a caller's buffer, updated in place by a ReLU, say) is
// left where it is.
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
    if (dst != top.data()) std::memmove(static_cast<void*>(dst), static_cast<const void*>(top.data()), bytes);
    return TensorView<T, S>(dst, top.batch());
}

}  // namespace salt::nn
