// salt/data/synth.hpp — synthetic seismic images with salt bodies, in the exact TGS layout.
//
// Each sample is drawn from its own generator, salt::Rng(mix(seed, index)), so a data set is a pure
// function of (seed, count, size) and can be generated in parallel. A sample is built as:
//   * sediments: a sparse random reflectivity series convolved with a Ricker wavelet gives a 1-D trace;
//     the image samples it along a warped depth u(x, y) = y + folds (a few random sinusoids) + fault
//     throws (1-2 straight faults shift u on one side), + Gaussian noise and a light blur;
//   * salt (about 60% of samples; empty_fraction = 0.4 by default): a smooth dome rising from below, a
//     blob (a radius with random harmonics) or a flank entering from a side. Inside: weak, chaotic
//     texture (smoothed noise at a quarter of the sediment amplitude); on the boundary a strong
//     reflection (a band whose sign and strength are random per sample); sediments are dragged up
//     next to domes;
//   * an 8-bit image with mean and contrast in the range of the TGS images, and a 0/1 mask.
// write_synth_dataset writes <out>/train/images/<id>.png (8-bit RGB with three equal channels, as TGS),
// <out>/train/masks/<id>.png (8-bit gray, 0 and 255 — TGS uses 16-bit 0/65535; the loader accepts both),
// <out>/train.csv (id,rle_mask with Kaggle RLE) and <out>/depths.csv (id,z). Ids are 10 hex digits.
// The directory is built under a temporary name and renamed into place: it appears complete or not at all.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "salt/core/rng.hpp"
#include "salt/io/csv.hpp"
#include "salt/io/error.hpp"
#include "salt/io/file.hpp"
#include "salt/io/image.hpp"
#include "salt/io/png.hpp"
#include "salt/io/rle.hpp"

namespace salt::data {

struct SynthOptions {
    int count = 100;
    std::uint64_t seed = 1;
    int size = 101;
    double empty_fraction = 0.4;
};

struct SynthSample {
    std::string id;
    io::Image8 image;                // size x size x 1
    std::vector<std::uint8_t> mask;  // 0/1
    int depth = 0;
};

namespace detail {

inline std::uint64_t synth_mix(std::uint64_t seed, std::uint64_t index) {
    std::uint64_t z = seed * 0x9E3779B97F4A7C15ULL + index * 0xD1B54A32D192ED03ULL + 0x5A175A17ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

inline double uni(Rng& r, double a, double b) { return a + (b - a) * r.uniform(); }

// Separable box blur (radius r, clamped borders), `passes` times: close to a Gaussian after 2-3 passes.
inline void blur(std::vector<double>& f, int w, int h, int r, int passes) {
    std::vector<double> tmp(f.size());
    for (int p = 0; p < passes; ++p) {
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                double s = 0;
                for (int k = -r; k <= r; ++k) s += f[std::size_t(y * w + std::clamp(x + k, 0, w - 1))];
                tmp[std::size_t(y * w + x)] = s / (2 * r + 1);
            }
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                double s = 0;
                for (int k = -r; k <= r; ++k) s += tmp[std::size_t(std::clamp(y + k, 0, h - 1) * w + x)];
                f[std::size_t(y * w + x)] = s / (2 * r + 1);
            }
    }
}

// A 1-D seismic trace: sparse reflectivity convolved with a Ricker wavelet of peak period `period` px.
inline std::vector<double> seismic_trace(Rng& rng, int length, double period) {
    std::vector<double> refl(std::size_t(length), 0.0);
    for (int i = 0; i < length; ++i) {
        if (rng.uniform() < 0.22) refl[std::size_t(i)] = rng.normal() * (rng.uniform() < 0.15 ? 2.2 : 0.8);
    }
    const int half = int(std::ceil(period * 1.5));
    std::vector<double> wav(std::size_t(2 * half + 1));
    const double pi2f2 = std::pow(3.14159265358979 / period, 2);
    for (int k = -half; k <= half; ++k) wav[std::size_t(k + half)] = (1 - 2 * pi2f2 * k * k) * std::exp(-pi2f2 * k * k);
    std::vector<double> tr(std::size_t(length), 0.0);
    for (int i = 0; i < length; ++i)
        for (int k = -half; k <= half; ++k) {
            const int j = i + k;
            if (j >= 0 && j < length) tr[std::size_t(i)] += refl[std::size_t(j)] * wav[std::size_t(k + half)];
        }
    return tr;
}

inline double sample_trace(const std::vector<double>& tr, double u) {
    const double n = double(tr.size());
    u = std::clamp(u, 0.0, n - 1.001);
    const int i = int(u);
    const double f = u - i;
    return tr[std::size_t(i)] * (1 - f) + tr[std::size_t(i) + 1] * f;
}

}  // namespace detail

inline SynthSample synth_sample(std::uint64_t seed, std::uint64_t index, const SynthOptions& o = {}) {
    using detail::uni;
    Rng rng(detail::synth_mix(seed, index));
    const int W = o.size, H = o.size;
    SynthSample s;
    {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%010llx", static_cast<unsigned long long>(rng.next_u64() & 0xFFFFFFFFFFULL));
        s.id = buf;
    }
    s.depth = int(uni(rng, 50, 960));
    const bool has_salt = rng.uniform() >= o.empty_fraction;

    // --- Salt geometry (mask) ---
    std::vector<double> inside(std::size_t(W * H), 0.0);  // signed "depth into salt" proxy, >0 inside
    const int kind = int(rng.below(3));                   // 0 dome, 1 blob, 2 flank
    const double xc = uni(rng, 0.15, 0.85) * W, top = uni(rng, 0.15, 0.8) * H;
    const double width = uni(rng, 0.25, 0.9) * W, radius = uni(rng, 0.15, 0.45) * W;
    std::array<double, 4> harm_a{}, harm_p{};
    for (int k = 0; k < 4; ++k) {
        harm_a[std::size_t(k)] = uni(rng, -0.12, 0.12) / (k + 1);
        harm_p[std::size_t(k)] = uni(rng, 0, 6.2832);
    }
    const double flank_side = rng.uniform() < 0.5 ? -1 : 1, flank_x = uni(rng, 0.2, 0.8) * W, flank_tilt = uni(rng, -0.6, 0.6);
    const double yc = uni(rng, 0.25, 0.75) * H;
    if (has_salt) {
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                double v = 0;
                const double wob = harm_a[0] * std::sin(6.2832 * x / W * 1.3 + harm_p[0]) + harm_a[1] * std::sin(6.2832 * x / W * 2.7 + harm_p[1]);
                if (kind == 0) {  // dome: a smooth surface rising from the bottom
                    const double dx = (x - xc) / (width / 2);
                    const double surface = top + (H - top) * 0.9 * std::min(1.0, dx * dx) + wob * H;
                    v = (y - surface);
                } else if (kind == 1) {  // blob
                    const double dx = x - xc, dy = (y - yc) * 1.3;
                    const double th = std::atan2(dy, dx), r = std::hypot(dx, dy);
                    double rr = radius;
                    for (int k = 0; k < 4; ++k) rr *= 1 + harm_a[std::size_t(k)] * 1.5 * std::cos((k + 2) * th + harm_p[std::size_t(k)]);
                    v = rr - r;
                } else {  // flank from one side, with a tilted, wobbly boundary
                    const double edge = flank_x + flank_tilt * (y - H / 2.0) + wob * W;
                    v = flank_side * (x - edge);
                }
                inside[std::size_t(y * W + x)] = v;
            }
    }
    s.mask.assign(std::size_t(W * H), 0);
    std::size_t on = 0;
    for (std::size_t i = 0; i < s.mask.size(); ++i) on += (s.mask[i] = inside[i] > 0 ? 1 : 0);
    if (has_salt && on == 0) {  // the body missed the tile: put a small blob in the middle instead
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const double r = std::hypot(x - W / 2.0, y - H / 2.0);
                inside[std::size_t(y * W + x)] = W * 0.2 - r;
                s.mask[std::size_t(y * W + x)] = r < W * 0.2 ? 1 : 0;
            }
    }

    // --- Sediments ---
    const double period = uni(rng, 3.5, 7.5);
    const auto trace = detail::seismic_trace(rng, 4 * H, period);
    const double dip = uni(rng, -0.35, 0.35);
    std::array<double, 3> fa{}, fw{}, fp{};
    for (int k = 0; k < 3; ++k) {
        fa[std::size_t(k)] = uni(rng, 0, 6) / (k + 1);
        fw[std::size_t(k)] = uni(rng, 40, 160) / (k + 1);
        fp[std::size_t(k)] = uni(rng, 0, 6.2832);
    }
    const int faults = int(rng.below(3));
    std::array<double, 2> f_x0{}, f_slope{}, f_throw{};
    for (int k = 0; k < 2; ++k) {
        f_x0[std::size_t(k)] = uni(rng, 0.1, 0.9) * W;
        f_slope[std::size_t(k)] = uni(rng, -0.7, 0.7);
        f_throw[std::size_t(k)] = uni(rng, -9, 9);
    }
    const double drag = kind == 0 ? uni(rng, 4, 14) : uni(rng, 0, 5);
    const double offset = uni(rng, H * 0.5, H * 2.5);
    std::vector<double> f(std::size_t(W * H));
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            double u = y + dip * (x - W / 2.0) + offset;
            for (int k = 0; k < 3; ++k) u += fa[std::size_t(k)] * std::sin(6.2832 * x / fw[std::size_t(k)] + fp[std::size_t(k)]);
            for (int k = 0; k < faults; ++k)
                if (x > f_x0[std::size_t(k)] + f_slope[std::size_t(k)] * (y - H / 2.0)) u += f_throw[std::size_t(k)];
            if (has_salt) {  // sediments bend up against the salt
                const double d = inside[std::size_t(y * W + x)];
                if (d < 0) u += drag * std::exp(d / 12.0);
            }
            f[std::size_t(y * W + x)] = detail::sample_trace(trace, u);
        }
    // Noise, then a light blur (band limitation).
    std::vector<double> noise(f.size());
    for (auto& v : noise) v = rng.normal();
    for (std::size_t i = 0; i < f.size(); ++i) f[i] += 0.25 * noise[i];
    detail::blur(f, W, H, 1, 1);

    if (has_salt) {
        // Chaotic, weak interior.
        std::vector<double> chaos(f.size());
        for (auto& v : chaos) v = rng.normal();
        detail::blur(chaos, W, H, 1, 2);
        const double interior_gain = uni(rng, 0.25, 0.5);
        // Strong boundary reflection: a band around inside == 0.
        const double band = uni(rng, 1.2, 2.5), strength = uni(rng, 1.6, 3.2) * (rng.uniform() < 0.75 ? 1 : -1);
        for (std::size_t i = 0; i < f.size(); ++i) {
            const double d = inside[i];
            if (d > 0) {
                const double t = std::min(1.0, d / 4.0);  // fade from sediments into salt over 4 px
                f[i] = f[i] * (1 - t) * 0.4 + chaos[i] * 3.0 * interior_gain * t + f[i] * 0.6 * (1 - t);
            }
            const double edge = std::exp(-(d * d) / (2 * band * band));
            f[i] += strength * edge * (d > 0 ? 1.0 : -0.35);
        }
        detail::blur(f, W, H, 1, 1);
    }

    // To 8 bits: TGS-like mean ~120 and contrast drawn per sample.
    double m = 0, m2 = 0;
    for (auto v : f) {
        m += v;
        m2 += v * v;
    }
    m /= double(f.size());
    const double sd = std::sqrt(std::max(m2 / double(f.size()) - m * m, 1e-9));
    const double gain = uni(rng, 28, 55), base = uni(rng, 95, 150);
    s.image = io::Image8(W, H, 1);
    for (std::size_t i = 0; i < f.size(); ++i)
        s.image.pixels[i] = static_cast<std::uint8_t>(std::clamp(std::lround(base + gain * (f[i] - m) / sd), 0L, 255L));
    return s;
}

inline std::vector<SynthSample> synth_samples(const SynthOptions& o) {
    if (o.count < 0) throw std::invalid_argument("synth: count must be >= 0");
    std::vector<SynthSample> out(std::size_t(o.count));
    const long n = o.count;
#pragma omp parallel for schedule(dynamic, 8)
    for (long i = 0; i < n; ++i) out[std::size_t(i)] = synth_sample(o.seed, std::uint64_t(i), o);
    return out;
}

// Writes image/mask pairs in the TGS layout (train/images, train/masks, train.csv, depths.csv) to
// `out`, which must not exist or be an empty directory; all or nothing (a temporary directory renamed).
inline void write_tgs_dataset(const std::filesystem::path& out, const std::vector<SynthSample>& samples) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(out, ec)) {
        if (!fs::is_directory(out, ec)) throw io::IoError(out.string(), "exists and is not a directory");
        if (!fs::is_empty(out, ec)) throw io::IoError(out.string(), "exists and is not empty; refusing to overwrite");
    }
    const fs::path tmp = io::temp_path_for(out.has_filename() ? out : out.parent_path());
    try {
        fs::create_directories(tmp / "train" / "images");
        fs::create_directories(tmp / "train" / "masks");
    } catch (const fs::filesystem_error& e) {
        throw io::IoError(out.string(), std::string("cannot create the output directory: ") + e.code().message());
    }
    try {
        std::string train = "id,rle_mask\n", depths = "id,z\n";
        std::exception_ptr err;
        const long n = long(samples.size());
#pragma omp parallel for schedule(dynamic, 8)
        for (long i = 0; i < n; ++i) {
            try {
                const auto& s = samples[std::size_t(i)];
                io::Image8 rgb(s.image.width, s.image.height, 3);
                for (std::size_t p = 0; p < s.image.size(); ++p) rgb.pixels[3 * p] = rgb.pixels[3 * p + 1] = rgb.pixels[3 * p + 2] = s.image.pixels[p];
                io::write_png(tmp / "train" / "images" / (s.id + ".png"), rgb);
                io::Image8 m(s.image.width, s.image.height, 1);
                for (std::size_t p = 0; p < m.size(); ++p) m.pixels[p] = s.mask[p] ? 255 : 0;
                io::write_png(tmp / "train" / "masks" / (s.id + ".png"), m);
            } catch (...) {
#pragma omp critical(salt_synth_error)
                if (!err) err = std::current_exception();
            }
        }
        if (err) std::rethrow_exception(err);
        for (const auto& s : samples) {
            train += s.id + "," + io::rle_encode(s.mask, s.image.width, s.image.height) + "\n";
            depths += s.id + "," + std::to_string(s.depth) + "\n";
        }
        io::write_file_atomic(tmp / "train.csv", train);
        io::write_file_atomic(tmp / "depths.csv", depths);
        if (fs::exists(out)) fs::remove(out);  // the empty directory
        fs::rename(tmp, out);
    } catch (const fs::filesystem_error& e) {
        fs::remove_all(tmp, ec);
        throw io::IoError(out.string(), std::string("cannot write the data set: ") + e.code().message());
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
}

// Writes the synthetic data set of `o` in the TGS layout (write_tgs_dataset).
inline void write_synth_dataset(const std::filesystem::path& out, const SynthOptions& o) {
    write_tgs_dataset(out, synth_samples(o));
}

}  // namespace salt::data
