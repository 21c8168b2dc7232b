// salt synth --out DIR [--count N] [--seed S] [--empty-fraction F]: a synthetic TGS-layout data set.
// salt synth --out DIR --segy [--inlines N --crosslines N --samples N]: a synthetic 3D volume with a
// salt dome (DIR/volume.sgy), its truth (DIR/truth.sgy) and 101x101 tiles of its sections in the TGS
// layout, so `salt train --data DIR` learns from the volume and `salt segy` predicts one.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <system_error>

#include "commands.hpp"
#include "salt/data/synth.hpp"
#if SALT_CLI_SEGY
#include "salt/data/seismic_volume.hpp"
#include "salt/io/segy.hpp"
#endif

namespace salt::cli {

Args synth_args() {
    Args a("synth", "Write a synthetic seismic data set in the TGS layout (train/images, train/masks, train.csv,\n"
                    "depths.csv) to DIR, which must not exist or be empty. Deterministic in --seed.");
    a.required("out", "DIR", "output directory");
    a.option("count", "N", "number of image/mask pairs", "100");
    a.option("seed", "S", "random seed", "1");
    a.option("empty-fraction", "F", "expected fraction of empty masks, 0-1", "0.4");
    a.flag("segy", "write a synthetic 3D volume instead: DIR/volume.sgy, DIR/truth.sgy (1 = salt) and the 101x101 "
                   "tiles of every 4th inline and crossline section in the TGS layout");
    a.option("inlines", "N", "--segy: inlines, at least 101", "128");
    a.option("crosslines", "N", "--segy: crosslines, at least 101", "128");
    a.option("samples", "N", "--segy: samples per trace, at least 101", "128");
    return a;
}

#if SALT_CLI_SEGY
namespace {
int synth_segy(const Args& a) {
    namespace fs = std::filesystem;
    if (a.has("count") || a.has("empty-fraction")) throw UsageError("--count and --empty-fraction do not apply with --segy");
    data::VolumeSynthOptions o;
    o.inlines = int(a.get_int("inlines", 101, 4096));
    o.crosslines = int(a.get_int("crosslines", 101, 4096));
    o.samples = int(a.get_int("samples", 101, 4096));
    o.seed = std::uint64_t(a.get_int("seed", 0, std::numeric_limits<long long>::max()));
    const fs::path out = a.get("out");
    const auto v = data::synth_volume(o);
    constexpr double clip_percentile = 1.0;  // as `salt segy` clips by default
    const auto range = data::robust_range(v.amplitude.values, clip_percentile);
    const auto tiles = data::volume_tiles(v.amplitude, v.truth, range, 101, 50, 4, "v" + std::to_string(o.seed) + "_");
    data::write_tgs_dataset(out, tiles);
    try {
        // The tiles' amplitude normalisation, which `salt train` records in the weights for `salt segy`.
        char rec[64];
        std::snprintf(rec, sizeof rec, "clip_percentile=%g\n", clip_percentile);
        io::write_file_atomic(out / "amplitudes.txt", std::string_view(rec));
        const std::vector<std::string> text = {"salt synth --segy: a synthetic post-stack volume with a salt dome",
                                               "seed " + std::to_string(o.seed) + ", " + std::to_string(o.inlines) +
                                                   " inlines from 1000, " + std::to_string(o.crosslines) +
                                                   " crosslines from 2000, " + std::to_string(o.samples) + " samples of 4 ms",
                                               "IEEE float samples; truth.sgy holds 1 inside the salt, 0 outside"};
        for (const auto* which : {"volume", "truth"}) {
            const data::Volume& vol = std::string(which) == "volume" ? v.amplitude : v.truth;
            io::write_segy_volume(out / (std::string(which) + ".sgy"), o.inlines, o.crosslines, o.samples, 4000, 1000, 2000,
                                  text, [&](int il, int xl) { return vol.trace(il, xl); });
        }
    } catch (...) {
        std::error_code ec;
        fs::remove_all(out, ec);  // all or nothing: the tiles were written a moment ago by this command
        throw;
    }
    double salt = 0;
    for (float t : v.truth.values) salt += t;
    std::printf("wrote %s/volume.sgy and truth.sgy (%d x %d x %d, %.1f%% salt) and %zu tiles of its sections (seed %llu)\n",
                out.c_str(), o.inlines, o.crosslines, o.samples, 100.0 * salt / double(v.truth.values.size()), tiles.size(),
                static_cast<unsigned long long>(o.seed));
    return 0;
}
}  // namespace
#endif

int cmd_synth(int argc, char** argv) {
    Args a = synth_args();
    a.parse(argc, argv);
    if (a.has("segy")) {
#if SALT_CLI_SEGY
        return synth_segy(a);
#else
        throw UsageError("--segy: this salt was built without segyio (apt install libsegyio-dev, then rebuild)");
#endif
    }
    data::SynthOptions o;
    o.count = int(a.get_int("count", 0, 1000000));
    o.seed = std::uint64_t(a.get_int("seed", 0, std::numeric_limits<long long>::max()));
    o.empty_fraction = a.get_real("empty-fraction", 0, 1);
    data::write_synth_dataset(a.get("out"), o);
    std::printf("wrote %d samples to %s (seed %llu)\n", o.count, a.get("out").c_str(), static_cast<unsigned long long>(o.seed));
    return 0;
}

}  // namespace salt::cli
