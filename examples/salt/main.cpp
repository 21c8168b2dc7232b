// examples/salt/main.cpp — the `salt` command: dispatch to subcommands.
//
// To add a subcommand: write examples/salt/cmd_<name>.cpp with `Args <name>_args()` and
// `int cmd_<name>(int, char**)`, declare both in commands.hpp, add the file to examples/CMakeLists.txt
// and one line to kCommands below.
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "devices.hpp"
#include "salt/io/error.hpp"

namespace {

using salt::cli::Command;

const Command kCommands[] = {
    {"synth", "write a synthetic seismic data set in the TGS layout", salt::cli::cmd_synth, salt::cli::synth_args},
    {"show", "draw image | truth | prediction tiles with IoU into a PNG grid", salt::cli::cmd_show, salt::cli::show_args},
    {"stats", "print data set statistics (counts, coverage, depth, intensity)", salt::cli::cmd_stats, salt::cli::stats_args},
    {"info", "print the layers, parameters and memory of a compiled DeepLabV3-ResNet50", salt::cli::cmd_info, salt::cli::info_args},
    {"forward", "run the model on an NCHW NPY batch and write the logits (check against PyTorch)", salt::cli::cmd_forward, salt::cli::forward_args},
    {"train", "train DeepLabV3-ResNet50 on a TGS-layout data set (or a synthetic one)", salt::cli::cmd_train, salt::cli::train_args},
    {"eval", "IoU, Dice, precision, recall and TGS mAP of trained weights", salt::cli::cmd_eval, salt::cli::eval_args},
    {"predict", "mask PNGs and a Kaggle submission CSV for a directory of images", salt::cli::cmd_predict, salt::cli::predict_args},
    {"export-embedded", "pack trained weights for the no-heap embedded inference path", salt::cli::cmd_export_embedded, salt::cli::export_embedded_args},
    {"quantize", "int8 post-training quantisation for the embedded inference path", salt::cli::cmd_quantize, salt::cli::quantize_args},
    {"bench", "time inference and a training step of the full model", salt::cli::cmd_bench, salt::cli::bench_args},
#if SALT_CLI_SEGY
    {"segy", "a salt-probability volume for a 3D SEG-Y volume", salt::cli::cmd_segy, salt::cli::segy_args},
#endif
};

void print_top_usage(std::FILE* to) {
    std::fprintf(to, "usage: salt <command> [options]   (salt <command> --help for its options)\n\ncommands:\n");
    for (const auto& c : kCommands) std::fprintf(to, "  %-10s %s\n", c.name, c.summary);
    // The device choice is shared by every model-running command; say here what this build offers.
    const std::string cuda = salt::cli::cuda_built() ? "cuda[:N] for " + salt::cli::cuda_configurations()
                                                     : std::string("cuda: not built into this salt");
    std::fprintf(to, "\ndevices (train, eval, predict, forward, bench --device): cpu (default, every configuration); %s. "
                     "salt info --backends lists the GPUs found.\n", cuda.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        print_top_usage(stderr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_top_usage(stdout);
        return 0;
    }
    for (const auto& c : kCommands) {
        if (name != c.name) continue;
        try {
            return c.run(argc - 2, argv + 2);
        } catch (const salt::cli::HelpRequested&) {
            std::fputs(c.make_args().usage().c_str(), stdout);
            return 0;
        } catch (const salt::cli::UsageError& e) {
            std::fprintf(stderr, "salt %s: %s\n%s\n(salt %s --help describes every option)\n", c.name, e.what(),
                         c.make_args().synopsis().c_str(), c.name);
            return 2;
        } catch (const salt::io::IoError& e) {
            std::fprintf(stderr, "salt %s: %s\n", c.name, e.what());
            return 1;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "salt %s: error: %s\n", c.name, e.what());
            return 1;
        }
    }
    std::fprintf(stderr, "salt: unknown command '%s'\n\n", name.c_str());
    print_top_usage(stderr);
    return 2;
}
