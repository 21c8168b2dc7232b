// libFuzzer harness: training checkpoints (RUN/last.ckpt) from strangers. A checkpoint is a
// safetensors file (fuzzed on its own in fuzz_safetensors.cpp) whose tensors a resume reads back into
// a model (weights under "model.", BatchNorm counters), Adam's moments and step, the LR schedule's
// state and the trainer's own state vector; this harness runs those readers, as the trainer does, on
// a small real module (Conv2d 3->4 with bias, BatchNorm2d) so the names, shapes and dtypes they
// check can be hit.
//
// The seed (tests/fuzz/seeds/checkpoint/small.ckpt) is this module's checkpoint, written by the same
// file built as a program: g++ -std=c++20 -Iinclude -DSALT_FUZZ_WRITE_SEED tests/fuzz/fuzz_checkpoint.cpp
// -o /tmp/seed && /tmp/seed tests/fuzz/seeds/checkpoint/small.ckpt
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "salt/backend/reference/reference.hpp"
#include "salt/io/safetensors.hpp"
#include "salt/models/weights.hpp"
#include "salt/nn/batch_norm.hpp"
#include "salt/nn/conv2d.hpp"
#include "salt/nn/parameter.hpp"
#include "salt/nn/standalone.hpp"
#include "salt/train/optimizer.hpp"
#include "salt/train/schedule.hpp"

namespace {
using namespace salt;
using B = backend::Reference;
// Conv2d then BatchNorm2d under the names "0.*" and "1.*" (as nn::Sequential names them; written out
// here because clang 14, the fuzzer's compiler, cannot compile the headers with floating-point
// template parameters that Sequential's spec list pulls in).
struct ConvBn {
    using scalar_type = float;
    using backend_type = B;
    using Conv = nn::Conv2d<float, Shape{5, 5, 3}, Conv2dParams{3, 4, 3, 1, 1, 1, true}, B>;
    using Bn = nn::BatchNorm2d<float, Conv::out_shape, B>;
    static constexpr Shape in_shape = Conv::in_shape;
    static constexpr Shape out_shape = Bn::out_shape;
    static constexpr OpSet ops_used = Conv::ops_used | Bn::ops_used;
    static constexpr nn::ParamSizes param_sizes() { return Conv::param_sizes() + Bn::param_sizes(); }
    void bind(nn::ParamBinder<float>& b) {
        conv.bind(b);
        bn.bind(b);
    }
    void visit(const std::string& prefix, nn::ParamVisitor<float> f) {
        conv.visit(nn::join_name(prefix, "0"), f);
        bn.visit(nn::join_name(prefix, "1"), f);
    }
    Conv conv;
    Bn bn;
};
using Net = nn::Standalone<ConvBn>;
struct State {
    Net net;
    salt::train::Adam<float, salt::backend::Reference> adam{net, salt::train::AdamOptions{}};
    salt::train::ReduceLROnPlateau plateau{1e-3};
};
}  // namespace

#ifdef SALT_FUZZ_WRITE_SEED
#include <cstdio>
int main(int argc, char** argv) {
    if (argc != 2) return 2;
    State s;
    salt::io::SafetensorsWriter w;
    salt::models::add_weights(w, s.net, "model.");
    s.adam.save(w, "adam");
    s.plateau.save(w, "plateau");
    const std::int64_t state[4] = {3, 1, 2, 1};
    w.add_i64("trainer.state", {4}, state);
    const double best = 0.5;
    w.add_f64("trainer.best", {1}, &best);
    w.set_metadata("salt.model", "deeplabv3");
    w.write(argv[1]);
    // The seed must pass every reader, or the fuzzer starts from a file that fails early.
    const auto f = salt::io::SafetensorsFile::read(argv[1]);
    salt::models::LoadOptions lo;
    lo.prefix = "model.";
    (void)salt::models::load_weights(s.net, f, lo);
    s.adam.load(f, "adam");
    s.plateau.load(f, "plateau");
    std::printf("wrote %s; it loads\n", argv[1]);
    return 0;
}
#else
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static State& s = *new State;  // built once; every reader below either loads completely or throws
    try {
        const auto f = salt::io::SafetensorsFile::parse(
            std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size), "fuzz");
        salt::models::LoadOptions lo;
        lo.prefix = "model.";
        try {
            (void)salt::models::load_weights(s.net, f, lo);
        } catch (const std::exception&) {
        }
        try {
            s.adam.load(f, "adam");
        } catch (const std::exception&) {
        }
        try {
            s.plateau.load(f, "plateau");
        } catch (const std::exception&) {
        }
        try {
            (void)f.to_int64("trainer.state");
            (void)f.to_double("trainer.best");
        } catch (const std::exception&) {
        }
    } catch (const std::exception&) {
    }
    return 0;
}
#endif
