// salt/data/tgs.hpp — the TGS Salt Identification data set in Kaggle's layout.
//
//   <root>/train/images/<id>.png   101x101 seismic image (8-bit gray, or RGB with equal channels)
//   <root>/train/masks/<id>.png    101x101 mask: 0 = no salt, 255 (8-bit) or 65535 (16-bit) = salt
//   <root>/train.csv               id,rle_mask   (Kaggle RLE, empty = no salt)
//   <root>/depths.csv              id,z          (z may be empty = missing)
//   <root>/amplitudes.txt          optional, written by `salt synth --segy`: how the images were made
//                                  from seismic amplitudes (clip_percentile=P: clipped at the P and
//                                  100-P percentiles, then mapped to 0..255). Training records it in
//                                  the weights, and `salt segy` prepares volumes the same way.
//
// load_tgs(options) reads every sample into memory (decoding in parallel with OpenMP). The ids are the
// rows of train.csv when it exists, otherwise the PNG files in train/images (sorted). Masks come from
// the PNGs (MaskSource::png), from train.csv (MaskSource::rle), or automatically (png if train/masks
// exists, else rle). Images are stored as 8-bit gray, masks as 0/1 bytes, row-major.
//
// Errors (all salt::io::IoError, one line "<file>[:line]: <reason>"):
//   unreadable directory   "<root>/train/images: cannot read directory: ..."
//   missing image / mask   "<file>: cannot open: No such file or directory"
//   wrong image size       "<file>: image is 64x64, expected 101x101"
//   non-binary mask        "<file>: mask is not binary: found value 7 (expected 0 and 255, or 0 and 65535)"
//   bad RLE                "<root>/train.csv:<line>: bad RLE: ..."
//   missing depth          "<root>/depths.csv: no depth for id '<id>'" (only when depths are required)
//   truncated PNG          "<file>: cannot decode PNG (truncated or corrupt): ..."
//   bad amplitudes.txt     "<root>/amplitudes.txt: 'clip_percentile' must be a number in [0, 50), got 'x'"
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <omp.h>

#include "salt/io/csv.hpp"
#include "salt/io/error.hpp"
#include "salt/io/file.hpp"
#include "salt/io/image.hpp"
#include "salt/io/key_value.hpp"
#include "salt/io/number.hpp"
#include "salt/io/png.hpp"
#include "salt/io/rle.hpp"

namespace salt::data {

enum class MaskSource { automatic, png, rle };

struct TgsOptions {
    std::filesystem::path root;
    MaskSource masks = MaskSource::automatic;
    bool require_depth = false;  // true: every id must have a depth in depths.csv
    int size = 101;              // every image and mask must be size x size
    int threads = 0;             // OpenMP threads for decoding; 0 = OpenMP's default
};

struct TgsSample {
    std::string id;
    io::Image8 image;                 // size x size x 1
    std::vector<std::uint8_t> mask;   // size*size, 0/1
    float depth = std::numeric_limits<float>::quiet_NaN();  // NaN when unknown
    bool has_depth() const { return !std::isnan(depth); }
    double coverage() const {
        if (mask.empty()) return 0.0;
        std::size_t on = 0;
        for (auto v : mask) on += v;
        return double(on) / double(mask.size());
    }
    // 0 for an empty mask, else ceil(coverage * 10) in 1..10: the stratification key.
    int coverage_class() const {
        const double c = coverage();
        return c <= 0 ? 0 : std::clamp(int(std::ceil(c * 10.0)), 1, 10);
    }
};

struct TgsDataset {
    std::filesystem::path root;
    int size = 101;
    double amplitude_clip_percentile = -1;  // from amplitudes.txt; < 0: not recorded (Kaggle's TGS files)
    std::vector<TgsSample> samples;

    std::size_t index_of(const std::string& id) const {
        for (std::size_t i = 0; i < samples.size(); ++i)
            if (samples[i].id == id) return i;
        throw std::out_of_range("TgsDataset: no sample with id '" + id + "'");
    }
    std::vector<std::string> ids() const {
        std::vector<std::string> v;
        for (const auto& s : samples) v.push_back(s.id);
        return v;
    }
    std::vector<int> coverage_classes() const {
        std::vector<int> v;
        for (const auto& s : samples) v.push_back(s.coverage_class());
        return v;
    }
};

// Intersection over union of two 0/nonzero masks of equal size; 1 when both are empty.
inline double mask_iou(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
    if (a.size() != b.size()) throw std::invalid_argument("mask_iou: masks differ in size");
    std::size_t inter = 0, uni = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        inter += (a[i] && b[i]);
        uni += (a[i] || b[i]);
    }
    return uni == 0 ? 1.0 : double(inter) / double(uni);
}

// depths.csv as id -> z; empty z is stored as NaN (missing).
inline std::unordered_map<std::string, float> read_depths(const std::filesystem::path& path) {
    const auto t = io::read_csv(path);
    const auto id = t.column("id"), z = t.column("z");
    std::unordered_map<std::string, float> out;
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        const auto& f = t.rows[r][z];
        float v = std::numeric_limits<float>::quiet_NaN();
        if (!f.empty()) {
            try {
                std::size_t used = 0;
                v = std::stof(f, &used);
                if (used != f.size()) throw std::invalid_argument(f);
            } catch (const std::exception&) {
                throw io::IoError(path.string(), "depth '" + f + "' is not a number", t.lines[r]);
            }
        }
        out[t.rows[r][id]] = v;
    }
    return out;
}

namespace detail {

inline void check_readable_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) throw io::IoError(dir.string(), "cannot read directory: " + ec.message());
}

// Decode a mask PNG to 0/1, checking size and binariness.
inline std::vector<std::uint8_t> load_mask_png(const std::filesystem::path& path, int size) {
    const auto m = io::read_png_gray16(path);
    if (m.width != size || m.height != size)
        throw io::IoError(path.string(), "mask is " + std::to_string(m.width) + "x" + std::to_string(m.height) + ", expected " +
                                             std::to_string(size) + "x" + std::to_string(size));
    std::vector<std::uint8_t> out(m.size());
    for (std::size_t i = 0; i < m.size(); ++i) {
        const auto v = m.pixels[i];
        if (v != 0 && v != 65535) {
            const bool eight = io::png_info(path).bit_depth == 8;
            throw io::IoError(path.string(), "mask is not binary: found value " + std::to_string(eight ? v / 257 : v) +
                                                 " (expected 0 and 255, or 0 and 65535)");
        }
        out[i] = v ? 1 : 0;
    }
    return out;
}

inline io::Image8 load_image_png(const std::filesystem::path& path, int size) {
    auto img = io::read_png_gray8(path);
    if (img.width != size || img.height != size)
        throw io::IoError(path.string(), "image is " + std::to_string(img.width) + "x" + std::to_string(img.height) + ", expected " +
                                             std::to_string(size) + "x" + std::to_string(size));
    return img;
}

}  // namespace detail

inline TgsDataset load_tgs(const TgsOptions& opt) {
    namespace fs = std::filesystem;
    TgsDataset ds;
    ds.root = opt.root;
    ds.size = opt.size;
    const fs::path images_dir = opt.root / "train" / "images", masks_dir = opt.root / "train" / "masks";
    const fs::path train_csv = opt.root / "train.csv", depths_csv = opt.root / "depths.csv";
    detail::check_readable_dir(opt.root);
    detail::check_readable_dir(images_dir);

    // Ids (and RLE strings when present).
    std::vector<std::string> ids, rles;
    std::vector<long> rle_lines;
    const bool have_csv = fs::exists(train_csv);
    if (have_csv) {
        const auto t = io::read_csv(train_csv);
        const auto ci = t.column("id");
        const std::size_t cr = (opt.masks == MaskSource::png) ? 0 : t.column("rle_mask");
        for (std::size_t r = 0; r < t.rows.size(); ++r) {
            ids.push_back(t.rows[r][ci]);
            if (opt.masks != MaskSource::png) rles.push_back(t.rows[r][cr]);
            rle_lines.push_back(t.lines[r]);
        }
    } else {
        for (const auto& e : fs::directory_iterator(images_dir))
            if (e.path().extension() == ".png") ids.push_back(e.path().stem().string());
        std::sort(ids.begin(), ids.end());
    }
    MaskSource src = opt.masks;
    if (src == MaskSource::automatic) src = fs::is_directory(masks_dir) ? MaskSource::png : MaskSource::rle;
    if (src == MaskSource::png) detail::check_readable_dir(masks_dir);
    if (src == MaskSource::rle && !have_csv) throw io::IoError(train_csv.string(), "cannot open: masks from RLE need train.csv");

    const fs::path amplitudes_txt = opt.root / "amplitudes.txt";
    if (fs::exists(amplitudes_txt)) {
        const auto kv = io::parse_key_value_lines(io::read_file_text(amplitudes_txt), amplitudes_txt.string());
        const auto it = kv.find("clip_percentile");
        const auto p = it == kv.end() ? std::nullopt : io::to_real(it->second);
        if (!p || !(*p >= 0 && *p < 50))
            throw io::IoError(amplitudes_txt.string(), "'clip_percentile' must be a number in [0, 50), got '" +
                                                           (it == kv.end() ? std::string("(missing)") : it->second) + "'");
        ds.amplitude_clip_percentile = *p;
    }

    std::unordered_map<std::string, float> depths;
    if (fs::exists(depths_csv)) depths = read_depths(depths_csv);
    else if (opt.require_depth) throw io::IoError(depths_csv.string(), "cannot open: depths are required");

    ds.samples.resize(ids.size());
    auto n_max = [] { return std::numeric_limits<long>::max(); };
    // The error of the lowest index is reported, so the message does not depend on thread timing.
    std::exception_ptr first_error;
    long first_error_index = n_max();
    std::mutex error_mutex;
    const long n = long(ids.size());
    const int threads = opt.threads;
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads > 0 ? threads : omp_get_max_threads())
    for (long i = 0; i < n; ++i) {
        try {
            auto& s = ds.samples[std::size_t(i)];
            s.id = ids[std::size_t(i)];
            s.image = detail::load_image_png(images_dir / (s.id + ".png"), opt.size);
            if (src == MaskSource::png)
                s.mask = detail::load_mask_png(masks_dir / (s.id + ".png"), opt.size);
            else
                s.mask = io::rle_decode(rles[std::size_t(i)], opt.size, opt.size, {train_csv.string(), rle_lines[std::size_t(i)]});
            if (const auto it = depths.find(s.id); it != depths.end()) s.depth = it->second;
            if (opt.require_depth && !s.has_depth()) throw io::IoError(depths_csv.string(), "no depth for id '" + s.id + "'");
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex);
            if (i < first_error_index) {
                first_error = std::current_exception();
                first_error_index = i;
            }
        }
    }
    if (first_error) std::rethrow_exception(first_error);
    return ds;
}

}  // namespace salt::data
