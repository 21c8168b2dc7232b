// salt/models/weights.hpp — a model's parameters and buffers to and from safetensors files, under
// exactly torchvision's state_dict names and shapes (conv weights OIHW on disk, the backend's kernel
// layout in memory).
//
// The parameters live in backend memory; both directions stage them on the host: one download of
// the model's parameter store, edits there, one upload (Model is anything with visit(f),
// parameters() and a `backend` type: a DeepLabV3, an nn::Standalone layer).
// Loading is all-or-nothing: every tensor is checked and converted into staging buffers first, and
// the model is written only when all of them are good, so a bad file leaves the model unchanged.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/io/safetensors.hpp"
#include "salt/nn/parameter.hpp"
#include "salt/ops/conv2d.hpp"

namespace salt::models {

class WeightsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct LoadOptions {
    // Fill only the backbone ("backbone.*") and leave the head as initialised. The file may be a
    // segmentation checkpoint or a plain torchvision ResNet (names without the "backbone." prefix,
    // with "fc.*"); tensors that do not belong to the backbone are ignored and listed in the report.
    bool backbone_only = false;
    // Read the tensors named `prefix` + the parameter's name and ignore every tensor without the
    // prefix (a checkpoint keeps the model under "model." beside the optimizer's state).
    std::string prefix;
};

struct LoadReport {
    std::size_t loaded = 0;              // tensors written into the model
    std::vector<std::string> ignored;    // file tensors not used (backbone_only)
    std::vector<std::string> adapted;    // e.g. conv1 folded from 3 input channels to 1
};

namespace detail {

inline std::string shape_str(const std::vector<std::int64_t>& s) { return io::shape_string(s); }

// The record's values as double, whatever float type it holds; integer dtypes are refused for
// parameters (a wrong dtype is the file's error, not something to convert silently).
inline std::vector<double> float_values(const io::SafetensorsFile& f, const io::TensorRecord& r, const std::string& src) {
    if (r.dtype != io::DType::F32 && r.dtype != io::DType::F64)
        throw WeightsError(src + ": tensor '" + r.name + "': dtype " + std::string(io::dtype_name(r.dtype)) +
                           ", expected F32 (or F64)");
    return f.to_double(r.name);
}

}  // namespace detail

// Loads `file` into `model`.
template <class Model>
LoadReport load_weights(Model& model, const io::SafetensorsFile& file, const LoadOptions& opt = {}) {
    constexpr WeightLayout layout = Model::backend::conv_weight_layout;
    const std::string src = file.source();
    LoadReport report;
    struct Staged {
        const void* target;  // identifies the ParamRef by its value pointer (or counter)
        std::vector<double> values;
        std::int64_t counter = 0;
    };
    std::vector<Staged> staged;
    std::set<std::string> used;
    std::vector<std::string> missing;

    auto lookup = [&](const std::string& param) -> const io::TensorRecord* {
        const std::string name = opt.prefix + param;
        if (const auto* r = file.find(name)) return r;
        // A plain ResNet checkpoint has the backbone's names without the prefix.
        if (opt.backbone_only && name.rfind("backbone.", 0) == 0) return file.find(name.substr(9));
        return nullptr;
    };

    nn::visit_parameters(model, [&](const auto& p) {
        if (opt.backbone_only && p.name.rfind("backbone.", 0) != 0) return;
        const io::TensorRecord* r = lookup(p.name);
        if (!r) {
            missing.push_back(opt.prefix + p.name);
            return;
        }
        used.insert(r->name);
        if (p.kind == nn::ParamKind::bn_num_batches_tracked) {
            if (r->dtype != io::DType::I64 || !r->shape.empty())
                throw WeightsError(src + ": tensor '" + r->name + "': dtype " + std::string(io::dtype_name(r->dtype)) +
                                   " shape " + detail::shape_str(r->shape) + ", expected I64 shape []");
            staged.push_back({p.counter, {}, file.to_int64(r->name).at(0)});
            ++report.loaded;
            return;
        }
        std::vector<double> v = detail::float_values(file, *r, src);
        std::vector<std::int64_t> want = p.torch_shape;
        if (p.kind == nn::ParamKind::conv_weight && r->shape != want && want.size() == 4 && r->shape.size() == 4 &&
            want[1] == 1 && r->shape[1] == 3 && r->shape[0] == want[0] && r->shape[2] == want[2] &&
            r->shape[3] == want[3]) {
            // A 3-channel (RGB) first conv into a 1-channel model: sum over the input channels, as
            // segmentation_models_pytorch adapts pretrained encoders to grayscale.
            const std::int64_t O = want[0], K = want[2] * want[3];
            std::vector<double> folded(std::size_t(O * K), 0.0);
            for (std::int64_t o = 0; o < O; ++o)
                for (std::int64_t c = 0; c < 3; ++c)
                    for (std::int64_t k = 0; k < K; ++k) folded[std::size_t(o * K + k)] += v[std::size_t((o * 3 + c) * K + k)];
            v = std::move(folded);
            report.adapted.push_back(p.name + ": folded " + detail::shape_str(r->shape) + " to " + detail::shape_str(want) +
                                     " by summing over the input channels");
        } else if (r->shape != want) {
            throw WeightsError(src + ": tensor '" + r->name + "': shape " + detail::shape_str(r->shape) + ", expected " +
                               detail::shape_str(want));
        }
        if (p.kind == nn::ParamKind::conv_weight) {
            std::vector<double> kernel(v.size());
            ops::conv2d_weight_from_oihw(layout, p.conv, v.data(), kernel.data());
            v = std::move(kernel);
        }
        staged.push_back({p.value, std::move(v)});
        ++report.loaded;
    });

    if (!missing.empty()) {
        std::string m = src + ": " + std::to_string(missing.size()) + " tensor(s) the model needs are missing: ";
        for (std::size_t i = 0; i < missing.size() && i < 5; ++i) m += (i ? ", " : "") + std::string("'") + missing[i] + "'";
        if (missing.size() > 5) m += ", ...";
        throw WeightsError(m);
    }
    for (const auto& r : file.tensors()) {
        if (used.count(r.name)) continue;
        if (r.name.compare(0, opt.prefix.size(), opt.prefix) != 0) continue;
        if (opt.backbone_only) report.ignored.push_back(r.name);
        else throw WeightsError(src + ": unexpected tensor '" + r.name + "' (not a parameter or buffer of this model)");
    }

    // Everything checked: commit (one download, the edits on the host, one upload).
    auto host = model.parameters().download();
    std::size_t i = 0;
    nn::visit_parameters(model, [&](const auto& p) {
        if (opt.backbone_only && p.name.rfind("backbone.", 0) != 0) return;
        const Staged& s = staged[i++];
        if (p.kind == nn::ParamKind::bn_num_batches_tracked) *p.counter = s.counter;
        else {
            auto* dst = host.at(p.value);
            for (std::size_t k = 0; k < p.count; ++k) dst[k] = static_cast<std::remove_reference_t<decltype(*dst)>>(s.values[k]);
        }
    });
    model.parameters().upload(host);
    return report;
}

template <class Model>
LoadReport load_weights(Model& model, const std::filesystem::path& path, const LoadOptions& opt = {}) {
    return load_weights(model, io::SafetensorsFile::read(path), opt);
}

// Writes every parameter and buffer (float32; num_batches_tracked int64) with torchvision's names,
// plus `metadata`. The write is atomic (temporary file, fsync, rename).
// Adds every parameter and buffer to a writer under `prefix` + torchvision's name.
template <class Model>
void add_weights(io::SafetensorsWriter& w, Model& model, const std::string& prefix = "") {
    constexpr WeightLayout layout = Model::backend::conv_weight_layout;
    auto host = model.parameters().download();
    nn::visit_parameters(model, [&](const auto& p) {
        if (p.kind == nn::ParamKind::bn_num_batches_tracked) {
            w.add_i64(prefix + p.name, {}, p.counter);
            return;
        }
        const auto* src = host.at(p.value);
        std::vector<float> v(p.count);
        if (p.kind == nn::ParamKind::conv_weight) {
            std::vector<std::remove_const_t<std::remove_reference_t<decltype(*src)>>> oihw(p.count);
            ops::conv2d_weight_to_oihw(layout, p.conv, src, oihw.data());
            std::copy(oihw.begin(), oihw.end(), v.begin());
        } else {
            std::copy(src, src + p.count, v.begin());
        }
        w.add_f32(prefix + p.name, p.torch_shape, v.data());
    });
}

template <class Model>
void save_weights(Model& model, const std::filesystem::path& path,
                  const std::map<std::string, std::string>& metadata = {}) {
    io::SafetensorsWriter w;
    add_weights(w, model);
    for (const auto& [k, val] : metadata) w.set_metadata(k, val);
    w.write(path);
}

}  // namespace salt::models
