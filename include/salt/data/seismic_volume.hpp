// salt/data/seismic_volume.hpp — 3D seismic volumes on the host: a synthetic volume with a salt dome
// and its truth, the amplitude clipping that turns sections into 8-bit images like TGS's, and the
// tiling of a section into overlapping model-sized patches with the window that blends them.
// No file formats here (salt/io/segy.hpp reads and writes SEG-Y).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/core/rng.hpp"
#include "salt/data/synth.hpp"

namespace salt::data {

// Samples of a post-stack volume, trace-major: value (il, xl, z) at (il * crosslines + xl) * samples + z.
struct Volume {
    int inlines = 0, crosslines = 0, samples = 0;
    std::vector<float> values;

    float& at(int il, int xl, int z) { return values[index(il, xl, z)]; }
    float at(int il, int xl, int z) const { return values[index(il, xl, z)]; }
    std::size_t index(int il, int xl, int z) const {
        return (std::size_t(il) * std::size_t(crosslines) + std::size_t(xl)) * std::size_t(samples) + std::size_t(z);
    }
    const float* trace(int il, int xl) const { return values.data() + index(il, xl, 0); }
};

struct VolumeSynthOptions {
    int inlines = 128, crosslines = 128, samples = 128;
    std::uint64_t seed = 1;
};

// A synthetic post-stack volume: sediment layers (a random reflectivity series convolved with a Ricker
// wavelet) dipping gently, draped up around a salt dome whose top is a paraboloid with a rough crest,
// cut by one inclined normal fault that offsets the layers, with weak noise; inside the salt only
// faint chaotic noise (salt is nearly transparent on seismic). `truth` is 1 inside the salt.
struct SynthVolume {
    Volume amplitude, truth;
};

inline SynthVolume synth_volume(const VolumeSynthOptions& o) {
    if (o.inlines < 2 || o.crosslines < 2 || o.samples < 2)
        throw std::invalid_argument("synth_volume: a volume needs at least 2 inlines, 2 crosslines and 2 samples");
    using detail::uni;
    Rng rng(detail::synth_mix(o.seed, 0x5E15));
    const int NI = o.inlines, NX = o.crosslines, NZ = o.samples;
    SynthVolume v;
    v.amplitude = Volume{NI, NX, NZ, std::vector<float>(std::size_t(NI) * NX * NZ)};
    v.truth = Volume{NI, NX, NZ, std::vector<float>(std::size_t(NI) * NX * NZ)};

    const double ci = uni(rng, 0.35, 0.65) * NI, cx = uni(rng, 0.35, 0.65) * NX;
    const double crest = uni(rng, 0.22, 0.4) * NZ;
    const double base_radius = uni(rng, 0.28, 0.38) * std::min(NI, NX);  // the dome's radius at the bottom
    const double k = (NZ - crest) / (base_radius * base_radius);
    const double rough_a = uni(rng, 1.5, 3.5), rough_f = uni(rng, 0.15, 0.3);
    const double uplift = uni(rng, 0.08, 0.16) * NZ, drape = base_radius * uni(rng, 0.8, 1.3);
    const double dip_i = uni(rng, -0.12, 0.12), dip_x = uni(rng, -0.12, 0.12);
    // The fault plane: a*il + b*xl - z*tan = d; the side beyond it slips by `slip` samples.
    const double fa = uni(rng, -1, 1), fb = uni(rng, -1, 1), fnorm = std::hypot(fa, fb) + 1e-9;
    const double ftan = uni(rng, 0.3, 0.8), fd = uni(rng, -0.15, 0.15) * std::min(NI, NX);
    const double slip = uni(rng, 4, 10);
    const std::vector<double> layers = detail::seismic_trace(rng, NZ * 3, uni(rng, 4.5, 7.0));

    for (int il = 0; il < NI; ++il)
        for (int xl = 0; xl < NX; ++xl) {
            const double di = il - ci, dx = xl - cx;
            const double r2 = di * di + dx * dx;
            const double top = crest + k * r2 + rough_a * std::sin(rough_f * il) * std::cos(rough_f * 1.3 * xl);
            const double lift = uplift * std::exp(-r2 / (2 * drape * drape));
            const double fault_side = (fa * di + fb * dx) / fnorm - fd;
            for (int z = 0; z < NZ; ++z) {
                const bool salt = z >= top;
                const std::size_t at = v.amplitude.index(il, xl, z);
                v.truth.values[at] = salt ? 1.0f : 0.0f;
                double a;
                if (salt) {
                    a = 0.08 * rng.normal();
                } else {
                    double tau = z + lift - dip_i * il - dip_x * xl + NZ;  // relative geologic time
                    if (fault_side - z * ftan > 0) tau += slip;
                    a = detail::sample_trace(layers, tau) + 0.06 * rng.normal();
                }
                v.amplitude.values[at] = float(a);
            }
        }
    return v;
}

// The amplitude range [lo, hi] between the `percentile` and 100 - `percentile` percentiles of the
// values (at most ~2^20 of them, evenly spaced, so a large volume costs no sort of all its samples).
struct AmplitudeRange {
    float lo = 0, hi = 1;
};
inline AmplitudeRange robust_range(const std::vector<float>& values, double percentile) {
    if (values.empty()) throw std::invalid_argument("robust_range: no values");
    if (!(percentile >= 0 && percentile < 50)) throw std::invalid_argument("robust_range: the percentile must be in [0, 50)");
    const std::size_t step = std::max<std::size_t>(1, values.size() >> 20);
    std::vector<float> s;
    s.reserve(values.size() / step + 1);
    for (std::size_t i = 0; i < values.size(); i += step)
        if (std::isfinite(values[i])) s.push_back(values[i]);
    if (s.empty()) throw std::invalid_argument("robust_range: no finite values");
    auto nth = [&](double q) {
        const std::size_t k = std::min(s.size() - 1, std::size_t(q / 100.0 * double(s.size() - 1) + 0.5));
        std::nth_element(s.begin(), s.begin() + std::ptrdiff_t(k), s.end());
        return s[k];
    };
    AmplitudeRange r{nth(percentile), nth(100.0 - percentile)};
    if (!(r.hi > r.lo)) r.hi = r.lo + 1.0f;  // a constant volume: every sample maps to 0
    return r;
}

// An amplitude as an 8-bit grey level: clipped to the range, lo -> 0, hi -> 255.
inline std::uint8_t to_grey(float v, AmplitudeRange r) {
    if (!(v == v)) return 128;  // NaN: mid-grey
    const double t = (double(std::clamp(v, r.lo, r.hi)) - r.lo) / (double(r.hi) - r.lo);
    return std::uint8_t(std::lround(255.0 * t));
}

// Starts of `tile`-long windows covering [0, extent) with at least `overlap` shared between
// neighbours, the last flush with the end. extent >= tile.
inline std::vector<int> tile_starts(int extent, int tile, int overlap) {
    if (tile <= 0 || extent < tile || overlap < 0 || overlap >= tile)
        throw std::invalid_argument("tile_starts: need 0 <= overlap < tile <= extent (extent " + std::to_string(extent) +
                                    ", tile " + std::to_string(tile) + ", overlap " + std::to_string(overlap) + ")");
    const int stride = tile - overlap;
    const int n = extent == tile ? 1 : 1 + (extent - tile + stride - 1) / stride;
    std::vector<int> s(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) s[std::size_t(i)] = n == 1 ? 0 : int(std::lround(double(i) * (extent - tile) / (n - 1)));
    return s;
}

// The blending weight of position i of a tile of length n: a raised cosine (Hann) lifted off zero, so
// overlapping predictions fade into each other and no position of a section has zero total weight.
inline float blend_weight(int i, int n) {
    const double pi = 3.14159265358979323846;
    return float(0.1 + 0.9 * std::sin(pi * (i + 0.5) / n) * std::sin(pi * (i + 0.5) / n));
}

// Image/mask tiles of the inline and crossline sections of a volume, in the TGS layout's form
// (write_tgs_dataset): section images are depth (samples) down and traces across; every `every`-th
// section, tiles of `tile` x `tile` at the overlap `overlap`, grey levels from `range`.
inline std::vector<SynthSample> volume_tiles(const Volume& amp, const Volume& truth, AmplitudeRange range, int tile,
                                             int overlap, int every, const std::string& id_prefix) {
    std::vector<SynthSample> out;
    auto cut = [&](bool along_inline, int s) {
        const int traces = along_inline ? amp.crosslines : amp.inlines;
        if (traces < tile || amp.samples < tile) return;
        for (int t0 : tile_starts(traces, tile, overlap))
            for (int z0 : tile_starts(amp.samples, tile, overlap)) {
                SynthSample smp;
                smp.id = id_prefix + (along_inline ? "i" : "x") + std::to_string(s) + "_" + std::to_string(t0) + "_" +
                         std::to_string(z0);
                smp.depth = z0;
                smp.image = io::Image8(tile, tile, 1);
                smp.mask.assign(std::size_t(tile) * tile, 0);
                for (int y = 0; y < tile; ++y)
                    for (int x = 0; x < tile; ++x) {
                        const int il = along_inline ? s : t0 + x, xl = along_inline ? t0 + x : s;
                        const std::size_t at = amp.index(il, xl, z0 + y);
                        smp.image.pixels[std::size_t(y) * tile + x] = to_grey(amp.values[at], range);
                        smp.mask[std::size_t(y) * tile + x] = truth.values[at] > 0.5f ? 1 : 0;
                    }
                out.push_back(std::move(smp));
            }
    };
    for (int s = 0; s < amp.inlines; s += every) cut(true, s);
    for (int s = 0; s < amp.crosslines; s += every) cut(false, s);
    return out;
}

}  // namespace salt::data
