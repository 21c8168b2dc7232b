// salt/train/optimizer.hpp — Adam and AdamW with PyTorch's semantics, and their saved state.
//
// The update itself is the backend's op (Op::adam_step; exact semantics and precision in
// salt/ops/adam.hpp). Adam<T, B> holds the step count and the first and second moments m, v in the
// backend's memory, laid out like the model's parameter store ([decayed | not decayed]), so a step
// is two op calls and zeroing the gradients one fill. Weight decay applies to the decayed section
// (conv weights); BN parameters and biases are not decayed (in torch: two parameter groups, one
// with weight_decay 0). Buffers (running statistics, num_batches_tracked) are not optimised.
//
// State: save() writes `<prefix>.step` (I64, shape [1]), `<prefix>.m.<param>` and `<prefix>.v.<param>`
// (F32 for float, F64 for double) in PyTorch's shapes and layouts (conv weights OIHW, as torch's
// exp_avg / exp_avg_sq), so a torch state_dict can be converted to it and back by renaming, and a
// state saved on one backend loads on another. load() checks that every expected tensor is present
// with the parameter's shape and a float dtype and that no unknown `<prefix>.*` tensor is there,
// stages everything and only then replaces the state (a bad file leaves the optimizer unchanged);
// errors throw OptimizerStateError naming the tensor.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "salt/io/safetensors.hpp"
#include "salt/core/backend.hpp"
#include "salt/core/tensor.hpp"
#include "salt/nn/parameter.hpp"
#include "salt/ops/conv2d.hpp"

namespace salt::train {

class OptimizerStateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct AdamOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
    bool decoupled = false;  // false: torch.optim.Adam (L2); true: torch.optim.AdamW
};

template <class T, class B>
class Adam {
    static_assert(std::is_floating_point_v<T>, "salt::train::Adam: T must be float or double");
    static_assert(salt::check::backend_implements<B, OpSet{Op::adam_step}>());

public:
    using value_type = T;
    using backend = B;

    // The trainable parameters of any module with parameters() (a ParamStore) and visit(...): a
    // model, or an nn::Standalone layer.
    template <class Module>
        requires(!std::is_base_of_v<Adam, std::remove_cvref_t<Module>>)
    Adam(Module& module, AdamOptions o)
        : opt_(o), store_(&module.parameters()), m_(store_->device(), store_->sizes().trainable()),
          v_(store_->device(), store_->sizes().trainable()) {
        check_options();
        nn::visit_parameters(module, [&](const auto& p) {
            static_assert(std::is_same_v<std::remove_cvref_t<decltype(p)>, nn::ParamRef<T>>,
                          "salt::train::Adam<T>: the module's parameters are of a different type than T");
            if (p.trainable() && p.value != nullptr) refs_.push_back(p);
        });
    }

    const AdamOptions& options() const { return opt_; }
    double lr() const { return opt_.lr; }
    void set_lr(double lr) {
        if (!(lr >= 0.0)) throw std::invalid_argument("salt::train::Adam: the learning rate must be >= 0, got " + std::to_string(lr));
        opt_.lr = lr;
    }
    std::int64_t step_count() const { return step_; }
    std::size_t parameter_count() const { return refs_.size(); }
    const nn::ParamRef<T>& parameter(std::size_t i) const { return refs_.at(i); }
    // The moments of parameter i, copied to the host (kernel layout).
    std::vector<T> exp_avg(std::size_t i) const { return slice(m_, refs_.at(i)); }
    std::vector<T> exp_avg_sq(std::size_t i) const { return slice(v_, refs_.at(i)); }

    void zero_grad() { store_->zero_grad(); }

    // One update from the gradients currently in the store.
    void step() {
        ++step_;
        AdamStep s;
        s.lr = opt_.lr, s.beta1 = opt_.beta1, s.beta2 = opt_.beta2, s.eps = opt_.eps;
        s.weight_decay = opt_.weight_decay, s.decoupled = opt_.decoupled, s.step = step_;
        const auto& z = store_->sizes();
        auto& dev = store_->device();
        if (z.decay)
            salt::run<Op::adam_step>(dev, z.decay, s, true, store_->decay_values(), static_cast<const T*>(store_->decay_grads()),
                               m_.data(), v_.data());
        if (z.no_decay)
            salt::run<Op::adam_step>(dev, z.no_decay, s, false, store_->no_decay_values(),
                               static_cast<const T*>(store_->no_decay_grads()), m_.data() + z.decay, v_.data() + z.decay);
    }

    // ---- state ----
    void save(io::SafetensorsWriter& w, const std::string& prefix = "adam") const {
        const std::int64_t k = step_;
        w.add_i64(prefix + ".step", {1}, &k);
        const auto m = m_.download(), v = v_.download();
        std::vector<T> buf;
        for (const auto& r : refs_) {
            add_tensor(w, prefix + ".m." + r.name, r, m.data() + offset(r), buf);
            add_tensor(w, prefix + ".v." + r.name, r, v.data() + offset(r), buf);
        }
    }
    void load(const io::SafetensorsFile& f, const std::string& prefix = "adam") {
        auto fail = [&](const std::string& name, const std::string& what) {
            return OptimizerStateError("optimizer state in " + f.source() + ": tensor '" + name + "': " + what);
        };
        const std::string step_name = prefix + ".step";
        const auto* st = f.find(step_name);
        if (!st) throw fail(step_name, "missing (is this an Adam state saved under prefix '" + prefix + "'?)");
        if (st->numel() != 1) throw fail(step_name, "expected one value, found shape " + io::shape_string(st->shape));
        if (st->dtype != io::DType::I64) throw fail(step_name, "dtype " + std::string(io::dtype_name(st->dtype)) + ", expected I64");
        const std::int64_t k = f.to_int64(step_name)[0];
        if (k < 0) throw fail(step_name, "negative step count " + std::to_string(k));

        std::vector<T> m(m_.size(), T(0)), v(v_.size(), T(0));
        for (const auto& r : refs_) {
            read_tensor(f, prefix + ".m." + r.name, r, fail, m.data() + offset(r));
            read_tensor(f, prefix + ".v." + r.name, r, fail, v.data() + offset(r));
            const T* vr = v.data() + offset(r);
            for (std::size_t i = 0; i < r.count; ++i)
                if (!(vr[i] >= T(0)))
                    throw fail(prefix + ".v." + r.name, "negative or NaN second moment at index " + std::to_string(i));
        }
        // Anything else under the prefix means the file belongs to a different model.
        const std::string pre = prefix + ".";
        std::set<std::string> names{step_name};
        for (const auto& r : refs_) {
            names.insert(prefix + ".m." + r.name);
            names.insert(prefix + ".v." + r.name);
        }
        for (const auto& t : f.tensors()) {
            if (t.name.compare(0, pre.size(), pre) != 0) continue;
            if (!names.count(t.name))
                throw fail(t.name, "not a state tensor of this model's parameters (a different model or optimizer?)");
        }
        step_ = k;
        m_.upload(m);
        v_.upload(v);
    }
    std::vector<std::byte> state_bytes(const std::string& prefix = "adam") const {
        io::SafetensorsWriter w;
        save(w, prefix);
        return w.serialize();
    }
    void load_state_bytes(std::span<const std::byte> bytes, const std::string& prefix = "adam") {
        load(io::SafetensorsFile::parse(bytes, "<optimizer state bytes>"), prefix);
    }

private:
    // Where a parameter's moments sit: at its offset in the store's trainable sections.
    std::size_t offset(const nn::ParamRef<T>& r) const { return std::size_t(r.value - store_->values()); }
    std::vector<T> slice(const Buffer<T, B>& b, const nn::ParamRef<T>& r) const {
        const auto all = b.download();
        return std::vector<T>(all.begin() + std::ptrdiff_t(offset(r)), all.begin() + std::ptrdiff_t(offset(r) + r.count));
    }

    void check_options() const {
        auto bad = [](const std::string& what) { return std::invalid_argument("salt::train::Adam: " + what); };
        if (!(opt_.lr >= 0.0)) throw bad("lr must be >= 0");
        if (!(opt_.beta1 >= 0.0 && opt_.beta1 < 1.0)) throw bad("beta1 must be in [0, 1)");
        if (!(opt_.beta2 >= 0.0 && opt_.beta2 < 1.0)) throw bad("beta2 must be in [0, 1)");
        if (!(opt_.eps >= 0.0)) throw bad("eps must be >= 0");
        if (!(opt_.weight_decay >= 0.0)) throw bad("weight_decay must be >= 0");
    }

    static void add_tensor(io::SafetensorsWriter& w, const std::string& name, const nn::ParamRef<T>& r, const T* data,
                           std::vector<T>& buf) {
        const T* src = data;
        if (r.kind == nn::ParamKind::conv_weight) {
            buf.resize(r.count);
            ops::conv2d_weight_to_oihw(B::conv_weight_layout, r.conv, data, buf.data());
            src = buf.data();
        }
        if constexpr (std::is_same_v<T, float>) w.add_f32(name, r.torch_shape, src);
        else w.add_f64(name, r.torch_shape, src);
    }

    template <class Fail>
    static void read_tensor(const io::SafetensorsFile& f, const std::string& name, const nn::ParamRef<T>& r, Fail& fail,
                            T* out) {
        const auto* t = f.find(name);
        if (!t) throw fail(name, "missing (the model has this parameter but the state does not)");
        if (t->shape != r.torch_shape)
            throw fail(name, "shape " + io::shape_string(t->shape) + ", the parameter's is " + io::shape_string(r.torch_shape));
        if (t->dtype != io::DType::F32 && t->dtype != io::DType::F64)
            throw fail(name, "dtype " + std::string(io::dtype_name(t->dtype)) + ", expected F32 or F64");
        const auto d = f.to_double(name);
        std::vector<T> v(d.begin(), d.end());
        if (r.kind == nn::ParamKind::conv_weight) ops::conv2d_weight_from_oihw(B::conv_weight_layout, r.conv, v.data(), out);
        else std::copy(v.begin(), v.end(), out);
    }

    AdamOptions opt_;
    nn::ParamStore<T, B>* store_;
    Buffer<T, B> m_, v_;
    std::vector<nn::ParamRef<T>> refs_;
    std::int64_t step_ = 0;
};

// torch.optim.AdamW: Adam with decoupled weight decay (set weight_decay; torch's AdamW default is 0.01).
template <class T, class B>
class AdamW : public Adam<T, B> {
public:
    static AdamOptions defaults(AdamOptions o) {
        o.decoupled = true;
        return o;
    }
    template <class Module>
        requires(!std::is_base_of_v<Adam<T, B>, std::remove_cvref_t<Module>>)
    AdamW(Module& module, AdamOptions o) : Adam<T, B>(module, defaults(o)) {}
};

}  // namespace salt::train
