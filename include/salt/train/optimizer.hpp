// salt/train/optimizer.hpp — Adam and AdamW with PyTorch's semantics, and their saved state.
//
// One step, for every trainable parameter p with gradient g (torch.optim.Adam / AdamW, 1.13,
// amsgrad=False, maximize=False):
//   k += 1
//   Adam with weight decay wd:  g = g + wd p              (L2 added to the gradient)
//   AdamW:                      p = p (1 - lr wd)         (decoupled, before the update)
//   m = m beta1 + (1 - beta1) g
//   v = v beta2 + (1 - beta2) g^2
//   p = p - (lr / (1 - beta1^k)) m / (sqrt(v) / sqrt(1 - beta2^k) + eps)
// Weight decay applies only to parameters whose ParamRef::decays() is true (conv weights); BN
// parameters and biases are not decayed (in torch: two parameter groups, one with weight_decay 0).
// Buffers (running statistics, num_batches_tracked) are not optimised.
//
// Precision: the state (m, v) is kept in T. Each element's update follows torch's sequence of
// tensor ops: every op is evaluated in double and its result rounded to T, with the Python-float
// scalars (betas, eps, lr / bc1, ...) cast to T first, as torch's CPU kernels do for a T tensor.
// So Adam<double> reproduces torch in float64 to rounding, and Adam<float> is within an ulp per
// op of torch in float32 (torch's float kernels may round an op's intermediate product, salt
// rounds each op once). It is deterministic: elementwise, no reductions, no threads, the result
// does not depend on the parameter order.
//
// State: one step count (all parameters step together) and m, v per parameter. save() writes
// `<prefix>.step` (I64, shape [1]), `<prefix>.m.<param>` and `<prefix>.v.<param>` (F32 for float,
// F64 for double) in PyTorch's shapes and layouts (conv weights OIHW, as torch's exp_avg /
// exp_avg_sq), so a torch state_dict can be converted to it and back by renaming. load() checks
// that every expected tensor is present with the parameter's shape and a float dtype and that no
// unknown `<prefix>.*` tensor is there, stages everything and only then replaces the state (a bad
// file leaves the optimizer unchanged); errors throw OptimizerStateError naming the tensor.
#pragma once

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

template <class T>
class Adam {
    static_assert(std::is_floating_point_v<T>, "salt::train::Adam: T must be float or double");

public:
    using value_type = T;

    // The trainable parameters among `params` (buffers are skipped).
    Adam(std::vector<nn::ParamRef<T>> params, AdamOptions o) : opt_(o) {
        check_options();
        for (auto& p : params) {
            if (!p.trainable() || p.value == nullptr) continue;
            Slot s;
            s.m.assign(p.count, T(0));
            s.v.assign(p.count, T(0));
            s.ref = std::move(p);
            slots_.push_back(std::move(s));
        }
    }
    // From any model (visit(f)) or layer (visit(prefix, f)).
    template <class Module>
        requires(!std::is_same_v<std::remove_cvref_t<Module>, std::vector<nn::ParamRef<T>>> &&
                 !std::is_base_of_v<Adam, std::remove_cvref_t<Module>>)
    Adam(Module& module, AdamOptions o) : Adam(collect(module), o) {}

    const AdamOptions& options() const { return opt_; }
    double lr() const { return opt_.lr; }
    void set_lr(double lr) {
        if (!(lr >= 0.0)) throw std::invalid_argument("salt::train::Adam: the learning rate must be >= 0, got " + std::to_string(lr));
        opt_.lr = lr;
    }
    std::int64_t step_count() const { return step_; }
    std::size_t parameter_count() const { return slots_.size(); }
    const nn::ParamRef<T>& parameter(std::size_t i) const { return slots_.at(i).ref; }
    std::span<const T> exp_avg(std::size_t i) const { return slots_.at(i).m; }
    std::span<const T> exp_avg_sq(std::size_t i) const { return slots_.at(i).v; }

    void zero_grad() {
        for (auto& s : slots_) std::fill_n(s.ref.grad, s.ref.count, T(0));
    }

    // One update from the gradients currently in the parameters.
    void step() {
        ++step_;
        const double lr = opt_.lr, b1 = opt_.beta1, b2 = opt_.beta2, eps = opt_.eps;
        const double k = double(step_);
        const double bc1 = 1.0 - std::pow(b1, k);
        const double bc2 = 1.0 - std::pow(b2, k);
        const double step_size = lr / bc1;
        const double bc2_sqrt = std::sqrt(bc2);
        // Scalars are cast to T as torch does for a T tensor op with a Python-float scalar; every
        // tensor op's result is rounded to T (no-ops for double).
        auto r = [](double x) { return double(T(x)); };
        const double c_b1 = r(b1), c_b2 = r(b2), c_one_b1 = r(1.0 - b1), c_one_b2 = r(1.0 - b2);
        const double c_bc2_sqrt = r(bc2_sqrt), c_eps = r(eps), c_neg_step = r(-step_size);
        for (auto& s : slots_) {
            const bool decay = opt_.weight_decay != 0.0 && s.ref.decays();
            const bool l2 = decay && !opt_.decoupled;
            const bool shrink = decay && opt_.decoupled;
            const double c_wd = r(opt_.weight_decay), c_shrink = r(1.0 - lr * opt_.weight_decay);
            T* p = s.ref.value;
            const T* g = s.ref.grad;
            T* m = s.m.data();
            T* v = s.v.data();
            // Elementwise and independent: threads split the elements without changing any result.
            const long count = long(s.ref.count);
            if constexpr (std::is_same_v<T, float>) {
                // The same update in float, vectorised: each single operation below rounds as
                // r(double op) does (for +, -, *, / and sqrt, rounding the double result to float
                // gives the correctly rounded float result), and r(x + c*y) with c*y exact in
                // double is fma(c, y, x). Only v's c*g*g and p's c*m/d differ from the double path
                // (one rounding more or less), which is within torch's own float arithmetic.
                const float f_b1 = float(c_b1), f_b2 = float(c_b2), f_ob1 = float(c_one_b1), f_ob2 = float(c_one_b2);
                const float f_bc2 = float(c_bc2_sqrt), f_eps = float(c_eps), f_step = float(c_neg_step);
                const float f_wd = float(c_wd), f_shrink = float(c_shrink);
#pragma omp parallel for simd schedule(static) if (count >= 65536)
                for (long i = 0; i < count; ++i) {
                    float pi = p[i], gi = g[i];
                    if (l2) gi = std::fma(f_wd, pi, gi);
                    if (shrink) pi = pi * f_shrink;
                    const float mi = std::fma(f_ob1, gi, m[i] * f_b1);
                    const float vi = std::fma(f_ob2 * gi, gi, v[i] * f_b2);
                    const float denom = std::sqrt(vi) / f_bc2 + f_eps;
                    m[i] = mi;
                    v[i] = vi;
                    p[i] = pi + f_step * mi / denom;
                }
                continue;
            }
#pragma omp parallel for schedule(static) if (count >= 65536)
            for (long i = 0; i < count; ++i) {
                double pi = double(p[i]);
                double gi = double(g[i]);
                if (l2) gi = r(gi + c_wd * pi);           // grad.add(param, alpha=wd)
                if (shrink) pi = r(pi * c_shrink);        // param.mul_(1 - lr wd)
                const double mi = r(r(double(m[i]) * c_b1) + c_one_b1 * gi);        // exp_avg.mul_(b1).add_(g, 1-b1)
                const double vi = r(r(double(v[i]) * c_b2) + c_one_b2 * gi * gi);   // exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2)
                const double denom = r(r(r(std::sqrt(vi)) / c_bc2_sqrt) + c_eps);   // (sqrt(v) / sqrt(bc2)).add_(eps)
                m[i] = T(mi);
                v[i] = T(vi);
                p[i] = T(pi + c_neg_step * mi / denom);  // param.addcdiv_(m, denom, value=-lr/bc1)
            }
        }
    }

    // ---- state ----
    void save(io::SafetensorsWriter& w, const std::string& prefix = "adam") const {
        const std::int64_t k = step_;
        w.add_i64(prefix + ".step", {1}, &k);
        std::vector<T> buf;
        for (const auto& s : slots_) {
            add_tensor(w, prefix + ".m." + s.ref.name, s.ref, s.m, buf);
            add_tensor(w, prefix + ".v." + s.ref.name, s.ref, s.v, buf);
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

        std::vector<std::pair<std::vector<T>, std::vector<T>>> staged;
        staged.reserve(slots_.size());
        for (const auto& s : slots_) {
            auto m = read_tensor(f, prefix + ".m." + s.ref.name, s.ref, fail);
            auto v = read_tensor(f, prefix + ".v." + s.ref.name, s.ref, fail);
            for (std::size_t i = 0; i < v.size(); ++i)
                if (!(v[i] >= T(0)))
                    throw fail(prefix + ".v." + s.ref.name, "negative or NaN second moment at index " + std::to_string(i));
            staged.emplace_back(std::move(m), std::move(v));
        }
        // Anything else under the prefix means the file belongs to a different model.
        const std::string pre = prefix + ".";
        std::set<std::string> names{step_name};
        for (const auto& s : slots_) {
            names.insert(prefix + ".m." + s.ref.name);
            names.insert(prefix + ".v." + s.ref.name);
        }
        for (const auto& t : f.tensors()) {
            if (t.name.compare(0, pre.size(), pre) != 0) continue;
            if (!names.count(t.name))
                throw fail(t.name, "not a state tensor of this model's parameters (a different model or optimizer?)");
        }
        step_ = k;
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            slots_[i].m = std::move(staged[i].first);
            slots_[i].v = std::move(staged[i].second);
        }
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
    struct Slot {
        nn::ParamRef<T> ref;
        std::vector<T> m, v;
    };

    template <class Module>
    static std::vector<nn::ParamRef<T>> collect(Module& module) {
        std::vector<nn::ParamRef<T>> out;
        nn::visit_parameters(module, [&](const auto& p) {
            static_assert(std::is_same_v<std::remove_cvref_t<decltype(p)>, nn::ParamRef<T>>,
                          "salt::train::Adam<T>: the module's parameters are of a different type than T");
            out.push_back(p);
        });
        return out;
    }

    void check_options() const {
        auto bad = [](const std::string& what) { return std::invalid_argument("salt::train::Adam: " + what); };
        if (!(opt_.lr >= 0.0)) throw bad("lr must be >= 0");
        if (!(opt_.beta1 >= 0.0 && opt_.beta1 < 1.0)) throw bad("beta1 must be in [0, 1)");
        if (!(opt_.beta2 >= 0.0 && opt_.beta2 < 1.0)) throw bad("beta2 must be in [0, 1)");
        if (!(opt_.eps >= 0.0)) throw bad("eps must be >= 0");
        if (!(opt_.weight_decay >= 0.0)) throw bad("weight_decay must be >= 0");
    }

    static bool is_conv_weight(const nn::ParamRef<T>& r) { return r.kind == nn::ParamKind::conv_weight; }

    static void add_tensor(io::SafetensorsWriter& w, const std::string& name, const nn::ParamRef<T>& r,
                           const std::vector<T>& data, std::vector<T>& buf) {
        const T* src = data.data();
        if (is_conv_weight(r)) {
            buf.resize(data.size());
            ops::conv2d_weight_to_oihw(r.conv, data.data(), buf.data());
            src = buf.data();
        }
        if constexpr (std::is_same_v<T, float>) w.add_f32(name, r.torch_shape, src);
        else w.add_f64(name, r.torch_shape, src);
    }

    template <class Fail>
    static std::vector<T> read_tensor(const io::SafetensorsFile& f, const std::string& name, const nn::ParamRef<T>& r,
                                      Fail& fail) {
        const auto* t = f.find(name);
        if (!t) throw fail(name, "missing (the model has this parameter but the state does not)");
        if (t->shape != r.torch_shape)
            throw fail(name, "shape " + io::shape_string(t->shape) + ", the parameter's is " + io::shape_string(r.torch_shape));
        if (t->dtype != io::DType::F32 && t->dtype != io::DType::F64)
            throw fail(name, "dtype " + std::string(io::dtype_name(t->dtype)) + ", expected F32 or F64");
        const auto d = f.to_double(name);
        std::vector<T> v(d.begin(), d.end());
        if (is_conv_weight(r)) {
            std::vector<T> hwio(v.size());
            ops::conv2d_weight_from_oihw(r.conv, v.data(), hwio.data());
            v = std::move(hwio);
        }
        return v;
    }

    AdamOptions opt_;
    std::vector<Slot> slots_;
    std::int64_t step_ = 0;
};

// torch.optim.AdamW: Adam with decoupled weight decay (set weight_decay; torch's AdamW default is 0.01).
template <class T>
class AdamW : public Adam<T> {
public:
    static AdamOptions defaults(AdamOptions o) {
        o.decoupled = true;
        return o;
    }
    AdamW(std::vector<nn::ParamRef<T>> params, AdamOptions o) : Adam<T>(std::move(params), defaults(o)) {}
    template <class Module>
        requires(!std::is_same_v<std::remove_cvref_t<Module>, std::vector<nn::ParamRef<T>>> &&
                 !std::is_base_of_v<Adam<T>, std::remove_cvref_t<Module>>)
    AdamW(Module& module, AdamOptions o) : Adam<T>(module, defaults(o)) {}
};

}  // namespace salt::train
