// Shared helpers for tests: where fixtures and the shared TGS data are, and how a test that needs
// the real data behaves when it is absent (skip with a message; fail under CI=true).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

namespace salt::test {

inline std::filesystem::path fixture_dir() { return SALT_FIXTURE_DIR; }
inline std::filesystem::path source_dir() { return SALT_SOURCE_DIR; }
inline std::string python() { return SALT_TEST_PYTHON; }

inline bool running_in_ci() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

// The TGS directory: $SALT_TGS_DIR if set, else ../shared/data/tgs beside the repository.
inline std::filesystem::path tgs_dir() {
    if (const char* env = std::getenv("SALT_TGS_DIR"); env && *env) return env;
    return SALT_TGS_DIR_DEFAULT;
}

// True when the real data is there. Otherwise: under CI=true the test fails; elsewhere it is
// reported as skipped (a WARN line) and the caller returns.
inline bool require_tgs_data() {
    const auto dir = tgs_dir();
    if (std::filesystem::exists(dir / "train.csv") && std::filesystem::is_directory(dir / "train" / "images")) return true;
    if (running_in_ci()) FAIL("CI=true but the TGS data is missing at " << dir.string());
    WARN("SKIPPED: the TGS data is not at " << dir.string() << " (set SALT_TGS_DIR to point at it)");
    return false;
}

}  // namespace salt::test
