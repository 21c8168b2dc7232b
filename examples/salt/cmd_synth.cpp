// salt synth --out DIR [--count N] [--seed S] [--empty-fraction F]: a synthetic TGS-layout data set.
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "commands.hpp"
#include "salt/data/synth.hpp"

namespace salt::cli {

Args synth_args() {
    Args a("synth", "Write a synthetic seismic data set in the TGS layout (train/images, train/masks, train.csv,\n"
                    "depths.csv) to DIR, which must not exist or be empty. Deterministic in --seed.");
    a.required("out", "DIR", "output directory");
    a.option("count", "N", "number of image/mask pairs", "100");
    a.option("seed", "S", "random seed", "1");
    a.option("empty-fraction", "F", "expected fraction of empty masks, 0-1", "0.4");
    return a;
}

int cmd_synth(int argc, char** argv) {
    Args a = synth_args();
    a.parse(argc, argv);
    data::SynthOptions o;
    o.count = int(a.get_int("count", 0, 1000000));
    o.seed = std::uint64_t(a.get_int("seed", 0, std::numeric_limits<long long>::max()));
    o.empty_fraction = a.get_real("empty-fraction", 0, 1);
    data::write_synth_dataset(a.get("out"), o);
    std::printf("wrote %d samples to %s (seed %llu)\n", o.count, a.get("out").c_str(), static_cast<unsigned long long>(o.seed));
    return 0;
}

}  // namespace salt::cli
