// Parity with PyTorch: loads the safetensors files written by tests/parity/make_parity_fixtures.py
// (NCHW activations, OIHW weights, torchvision names) and compares salt's results.
//
// Tolerances, from the issue: eval-mode outputs max|d| / max|ref| <= 1e-4; train-mode outputs and
// every gradient relative L2 <= 1e-3 against torch float32 — or, where torch's own float32 result
// misses 1e-3 against torch float64 (fp32 conditioning), salt must be at least as close to float64
// as torch float32 is.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/io/safetensors.hpp"
#include "salt/models/weights.hpp"
#include "salt/nn/context.hpp"
#include "salt/ops/conv2d.hpp"

namespace salt::test {

// NCHW (PyTorch) <-> NHWC (salt).
template <class T>
std::vector<T> nchw_to_nhwc(const std::vector<T>& src, int n, int c, int h, int w) {
    std::vector<T> dst(src.size());
    for (int b = 0; b < n; ++b)
        for (int ch = 0; ch < c; ++ch)
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x)
                    dst[((std::size_t(b) * h + y) * w + x) * c + ch] = src[((std::size_t(b) * c + ch) * h + y) * w + x];
    return dst;
}
template <class T>
std::vector<T> nhwc_to_nchw(const T* src, int n, int c, int h, int w) {
    std::vector<T> dst(std::size_t(n) * c * h * w);
    for (int b = 0; b < n; ++b)
        for (int ch = 0; ch < c; ++ch)
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x)
                    dst[((std::size_t(b) * c + ch) * h + y) * w + x] = src[((std::size_t(b) * h + y) * w + x) * c + ch];
    return dst;
}

inline double rel_l2(const std::vector<double>& a, const std::vector<double>& ref) {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        num += (a[i] - ref[i]) * (a[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}
inline double max_rel(const std::vector<double>& a, const std::vector<double>& ref) {
    double d = 0, m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - ref[i])), m = std::max(m, std::abs(ref[i]));
    return m > 0 ? d / m : d;
}

struct ParityTally {
    int tensors = 0, via_f64 = 0;
    double worst = 0;
    double worst_f64_ratio = 0;  // max over f64-judged tensors of err(salt, f64) / err(torch f32, f64)
    std::string worst_name;
};

// One train-mode tensor against torch f32 (1e-3 relative L2) or, failing that, the f64 rule.
inline void check_train_tensor(const std::string& name, const std::vector<double>& salt,
                               const io::SafetensorsFile& t32, const io::SafetensorsFile& t64, ParityTally& tally) {
    const auto ref32 = t32.to_double(name);
    REQUIRE(ref32.size() == salt.size());
    const double e32 = rel_l2(salt, ref32);
    ++tally.tensors;
    if (e32 > tally.worst) tally.worst = e32, tally.worst_name = name;
    if (e32 <= 1e-3) return;
    const auto ref64 = t64.to_double(name);
    const double salt64 = rel_l2(salt, ref64), torch64 = rel_l2(ref32, ref64);
    ++tally.via_f64;
    if (torch64 > 0) tally.worst_f64_ratio = std::max(tally.worst_f64_ratio, salt64 / torch64);
    INFO(name << ": vs torch f32 " << e32 << "; vs torch f64: salt " << salt64 << ", torch f32 " << torch64);
    CHECK(salt64 <= torch64);
}

}  // namespace salt::test
