// A small synthetic data set in a temporary directory, for tests that need files to break.
#pragma once

#include <filesystem>
#include <string>

#include <unistd.h>

#include "salt/data/synth.hpp"

namespace salt::test {

struct TempTgs {
    std::filesystem::path root;
    explicit TempTgs(int count = 24, std::uint64_t seed = 5, const std::string& tag = "tgs") {
        static int serial = 0;
        root = std::filesystem::temp_directory_path() / ("salt_test_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(serial++));
        std::filesystem::remove_all(root);
        data::SynthOptions o;
        o.count = count;
        o.seed = seed;
        data::write_synth_dataset(root, o);
    }
    ~TempTgs() {
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
    TempTgs(const TempTgs&) = delete;
    TempTgs& operator=(const TempTgs&) = delete;
};

}  // namespace salt::test
