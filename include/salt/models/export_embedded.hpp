// salt/models/export_embedded.hpp — a weights file (torchvision's names, safetensors) packed into the
// blob the embedded inference path loads (salt/embedded/deeplabv3.hpp): BatchNorm folded into each
// convolution (in double, rounded once to float), the weights reordered to [ky][kx][in][out] in the
// order of the walk in salt/embedded/plan.hpp, after a header carrying the configuration and the
// recorded pre- and post-processing. Runs on the host (allocates, throws WeightsError naming the
// tensor and the file).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "salt/embedded/deeplabv3.hpp"
#include "salt/io/safetensors.hpp"
#include "salt/models/weights.hpp"

namespace salt::models {

inline constexpr double kBatchNormEps = 1e-5;  // torchvision's BatchNorm2d default, as nn/batch_norm.hpp

template <DeepLabV3Config C>
std::vector<unsigned char> embedded_blob(const io::SafetensorsFile& file, const embedded::Settings& settings) {
    using Net = embedded::DeepLabV3<C>;
    const std::string src = file.source();
    std::vector<unsigned char> blob(Net::blob_bytes, 0);

    std::uint32_t w[embedded::format::kHeaderBytes / 4] = {};
    std::memcpy(w, embedded::format::kMagic, sizeof embedded::format::kMagic);
    w[embedded::format::version] = embedded::format::kVersion;
    w[embedded::format::byte_order] = embedded::format::kByteOrder;
    embedded::format::config_words(C, w);
    std::memcpy(&w[embedded::format::mean], &settings.mean, 4);
    std::memcpy(&w[embedded::format::stddev], &settings.std, 4);
    std::memcpy(&w[embedded::format::threshold], &settings.threshold, 8);
    std::memcpy(&w[embedded::format::gate], &settings.gate, 8);
    w[embedded::format::min_area] = std::uint32_t(settings.min_area);
    w[embedded::format::tta] = settings.tta ? 1u : 0u;
    const std::uint64_t count = Net::weight_floats;
    w[embedded::format::count_lo] = std::uint32_t(count & 0xffffffffu);
    w[embedded::format::count_hi] = std::uint32_t(count >> 32);
    std::memcpy(blob.data(), w, sizeof w);

    struct Pack : embedded::ConvVisitor {
        const io::SafetensorsFile& file;
        const std::string& src;
        unsigned char* out;
        std::size_t written = 0;

        std::vector<double> tensor(const std::string& name, const std::vector<std::int64_t>& shape) const {
            const io::TensorRecord* r = file.find(name);
            if (!r) throw WeightsError(src + ": tensor '" + name + "' is missing (the embedded model needs it)");
            if (r->shape != shape)
                throw WeightsError(src + ": tensor '" + name + "': shape " + io::shape_string(r->shape) + ", expected " +
                                   io::shape_string(shape));
            return detail::float_values(file, *r, src);
        }
        bool conv(const embedded::ConvStep& s) {
            const int K = s.p.kernel, Ci = s.p.in_channels, Co = s.p.out_channels;
            const std::string c(s.conv.text);
            const auto weight = tensor(c + ".weight", {Co, Ci, K, K});
            std::vector<double> scale(std::size_t(Co), 1.0), shift(std::size_t(Co), 0.0);
            if (!s.bn.empty()) {
                const std::string b(s.bn.text);
                const auto gamma = tensor(b + ".weight", {Co}), beta = tensor(b + ".bias", {Co});
                const auto mean = tensor(b + ".running_mean", {Co}), var = tensor(b + ".running_var", {Co});
                for (int o = 0; o < Co; ++o) {
                    if (!(var[std::size_t(o)] >= 0))
                        throw WeightsError(src + ": tensor '" + b + ".running_var' holds a negative or NaN variance");
                    scale[std::size_t(o)] = gamma[std::size_t(o)] / std::sqrt(var[std::size_t(o)] + kBatchNormEps);
                    shift[std::size_t(o)] = beta[std::size_t(o)] - mean[std::size_t(o)] * scale[std::size_t(o)];
                }
            } else if (s.p.bias) {
                shift = tensor(c + ".bias", {Co});
            }
            std::vector<float> packed(s.weight_floats());
            for (int ky = 0; ky < K; ++ky)
                for (int kx = 0; kx < K; ++kx)
                    for (int ci = 0; ci < Ci; ++ci)
                        for (int co = 0; co < Co; ++co)
                            packed[((std::size_t(ky) * std::size_t(K) + std::size_t(kx)) * std::size_t(Ci) + std::size_t(ci)) * std::size_t(Co) +
                                   std::size_t(co)] =
                                float(weight[((std::size_t(co) * std::size_t(Ci) + std::size_t(ci)) * std::size_t(K) + std::size_t(ky)) *
                                                 std::size_t(K) +
                                             std::size_t(kx)] *
                                      scale[std::size_t(co)]);
            for (int co = 0; co < Co; ++co) packed[s.p.weight_count() + std::size_t(co)] = float(shift[std::size_t(co)]);
            for (float v : packed)
                if (!std::isfinite(v)) throw WeightsError(src + ": '" + c + "' folds to a NaN or infinite weight");
            std::memcpy(out + written * sizeof(float), packed.data(), packed.size() * sizeof(float));
            written += packed.size();
            return true;
        }
    };
    Pack pack{{}, file, src, blob.data() + embedded::format::kHeaderBytes};
    embedded::walk<C>(pack);
    if (pack.written != Net::weight_floats)
        throw std::logic_error("embedded_blob: packed " + std::to_string(pack.written) + " weights, the model has " +
                               std::to_string(Net::weight_floats));
    return blob;
}

}  // namespace salt::models
