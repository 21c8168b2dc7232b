// salt/data/batch.hpp — normalisation and seeded, shuffled NHWC batches for training and evaluation.
//
// Normalisation: pixels are first mapped to [0, 1] (v / 255), then standardised with the mean and
// standard deviation of the training split's pixels (compute_normalisation). With a depth channel, each
// sample gets a second channel: a constant plane (z - depth_mean) / depth_std, statistics again from
// the training split; a sample without depth is an error when the depth channel is on.
//
// BatchLoader walks a list of sample indices in batches. Each epoch's order is a Fisher-Yates shuffle
// with salt::Rng(seed + epoch) (when shuffle is on); each sample's augmentation uses its own generator
// seeded from (seed, epoch, sample index), so batches do not depend on the number of OpenMP threads.
// Output geometry: `size` = 101 keeps the images as they are; another size either pads (Fit::pad,
// centred, reflect-101 for the image and the mask alike, so the padded truth matches the padded image;
// unpad() with centred_padding() recovers the 101x101 prediction) or resizes (Fit::resize: bilinear
// image, nearest mask).
// Output buffers: images [n][size][size][channels] float, masks [n][size][size][1] float 0/1.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/core/rng.hpp"
#include "salt/data/augment.hpp"
#include "salt/data/resize.hpp"
#include "salt/data/split.hpp"
#include "salt/data/tgs.hpp"
#include "salt/io/error.hpp"

namespace salt::data {

struct Normalisation {
    float mean = 0.f, std = 1.f;              // of [0, 1] pixel values
    float depth_mean = 0.f, depth_std = 1.f;  // of z
};

inline Normalisation compute_normalisation(const TgsDataset& ds, const std::vector<std::size_t>& train) {
    if (train.empty()) throw std::invalid_argument("compute_normalisation: the training split is empty");
    double s = 0, s2 = 0, n = 0, zs = 0, zs2 = 0, zn = 0;
    for (auto i : train) {
        const auto& smp = ds.samples.at(i);
        for (auto v : smp.image.pixels) {
            const double x = v / 255.0;
            s += x;
            s2 += x * x;
        }
        n += double(smp.image.size());
        if (smp.has_depth()) {
            zs += smp.depth;
            zs2 += double(smp.depth) * smp.depth;
            zn += 1;
        }
    }
    Normalisation r;
    r.mean = float(s / n);
    r.std = float(std::sqrt(std::max(s2 / n - (s / n) * (s / n), 1e-12)));
    if (zn > 0) {
        r.depth_mean = float(zs / zn);
        r.depth_std = float(std::sqrt(std::max(zs2 / zn - (zs / zn) * (zs / zn), 1e-12)));
    }
    return r;
}

// Indices of a split part in a data set (ids absent from the data set are an error naming the id).
inline std::vector<std::size_t> indices_of(const TgsDataset& ds, const Split& split, Part part) {
    std::unordered_map<std::string, std::size_t> where;
    for (std::size_t i = 0; i < ds.samples.size(); ++i) where[ds.samples[i].id] = i;
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < split.ids.size(); ++k) {
        if (split.parts[k] != part) continue;
        const auto it = where.find(split.ids[k]);
        if (it == where.end()) throw io::IoError(ds.root.string(), "the split names id '" + split.ids[k] + "', which is not in the data set");
        out.push_back(it->second);
    }
    return out;
}

enum class Fit { pad, resize };

struct BatchOptions {
    int batch_size = 8;
    int size = 101;            // output height and width
    Fit fit = Fit::pad;        // how 101 becomes `size`
    bool shuffle = true;
    bool drop_last = false;
    bool depth_channel = false;
    bool augment = false;
    AugmentOptions augment_options{};
    std::uint64_t seed = 1;
    Normalisation norm{};
    int threads = 0;           // host threads preparing a batch; 0 = OpenMP's default
};

struct Batch {
    int count = 0;                     // samples in this batch (the last one may be short)
    int size = 0, channels = 0;
    std::vector<float> images;         // count * size * size * channels
    std::vector<float> masks;          // count * size * size
    std::vector<std::size_t> indices;  // data set indices
};

class BatchLoader {
public:
    BatchLoader(const TgsDataset& ds, std::vector<std::size_t> indices, BatchOptions opt)
        : ds_(&ds), indices_(std::move(indices)), opt_(opt), order_(indices_) {
        if (opt_.batch_size <= 0) throw std::invalid_argument("BatchLoader: batch_size must be positive");
        if (opt_.size < ds.size && opt_.fit == Fit::pad) throw std::invalid_argument("BatchLoader: cannot pad to a smaller size");
        if (opt_.depth_channel)
            for (auto i : indices_)
                if (!ds.samples.at(i).has_depth())
                    throw io::IoError((ds.root / "depths.csv").string(), "no depth for id '" + ds.samples[i].id + "' (needed for the depth channel)");
        start_epoch(0);
    }

    int channels() const { return opt_.depth_channel ? 2 : 1; }
    std::size_t size() const { return indices_.size(); }
    std::size_t batches_per_epoch() const {
        const auto b = std::size_t(opt_.batch_size);
        return opt_.drop_last ? indices_.size() / b : (indices_.size() + b - 1) / b;
    }

    void start_epoch(std::uint64_t epoch) {
        epoch_ = epoch;
        cursor_ = 0;
        order_ = indices_;
        if (opt_.shuffle) {
            Rng rng(opt_.seed + 0x9E3779B97F4A7C15ULL * (epoch + 1));
            shuffle(order_, rng);
        }
    }

    // Fills `b` with the next batch of this epoch; false at the end of the epoch.
    bool next(Batch& b) {
        const std::size_t bs = std::size_t(opt_.batch_size);
        if (cursor_ >= order_.size()) return false;
        const std::size_t n = std::min(bs, order_.size() - cursor_);
        if (opt_.drop_last && n < bs) return false;
        const int S = opt_.size, C = channels();
        b.count = int(n);
        b.size = S;
        b.channels = C;
        b.indices.assign(order_.begin() + long(cursor_), order_.begin() + long(cursor_ + n));
        b.images.assign(n * std::size_t(S) * std::size_t(S) * std::size_t(C), 0.f);
        b.masks.assign(n * std::size_t(S) * std::size_t(S), 0.f);
        const long count = long(n);
        const int threads = opt_.threads > 0 ? opt_.threads : omp_get_max_threads();
#pragma omp parallel for schedule(static) num_threads(threads)
        for (long k = 0; k < count; ++k) fill_one(b, std::size_t(k), b.indices[std::size_t(k)]);
        cursor_ += n;
        return true;
    }

private:
    void fill_one(Batch& b, std::size_t slot, std::size_t index) const {
        const auto& smp = ds_->samples[index];
        const int w = smp.image.width, h = smp.image.height;
        io::ImageF img(w, h, 1);
        for (std::size_t i = 0; i < img.size(); ++i) img.pixels[i] = float(smp.image.pixels[i]) / 255.0f;
        std::vector<std::uint8_t> mask = smp.mask;
        if (opt_.augment) {
            Rng rng(opt_.seed ^ (0xA24BAED4963EE407ULL * (epoch_ + 1)) ^ (0x9FB21C651E98DF25ULL * (index + 1)));
            augment(img, mask, opt_.augment_options, rng);
        }
        io::Image8 m8(w, h, 1);
        std::copy(mask.begin(), mask.end(), m8.pixels.begin());
        const int S = opt_.size;
        if (S != w || S != h) {
            if (opt_.fit == Fit::pad) {
                const Padding p = centred_padding(w, h, S, S);
                img = pad(img, p, Border::reflect101);
                m8 = pad(m8, p, Border::reflect101);
            } else {
                img = cv_resize_linear(img, S, S);
                m8 = cv_resize_nearest(m8, S, S);
            }
        }
        const int C = channels();
        float* out = b.images.data() + slot * std::size_t(S) * std::size_t(S) * std::size_t(C);
        const float inv_std = 1.0f / opt_.norm.std;
        const float z = opt_.depth_channel ? (smp.depth - opt_.norm.depth_mean) / opt_.norm.depth_std : 0.f;
        for (std::size_t p = 0; p < std::size_t(S) * std::size_t(S); ++p) {
            out[p * std::size_t(C)] = (img.pixels[p] - opt_.norm.mean) * inv_std;
            if (C == 2) out[p * 2 + 1] = z;
        }
        float* mo = b.masks.data() + slot * std::size_t(S) * std::size_t(S);
        for (std::size_t p = 0; p < std::size_t(S) * std::size_t(S); ++p) mo[p] = m8.pixels[p] ? 1.f : 0.f;
    }

    const TgsDataset* ds_;
    std::vector<std::size_t> indices_;
    BatchOptions opt_;
    std::vector<std::size_t> order_;
    std::uint64_t epoch_ = 0;
    std::size_t cursor_ = 0;
};

}  // namespace salt::data
