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

// A check that cannot run here. Under CI=true that is a failure (CI must run everything it can);
// elsewhere a WARN line starting "SKIPPED:", which makes CTest list the whole test executable as
// skipped, not passed (salt_add_test sets SKIP_REGULAR_EXPRESSION "SKIPPED:").
inline void skip_or_fail(const std::string& why) {
    if (running_in_ci()) FAIL("CI=true, and this check cannot run: " << why);
    WARN("SKIPPED: " << why);
}

// A check that needs an instruction set the build does not target. Skipped only when this machine
// truly lacks it (cpu_has_it false); a machine that has it but runs a narrower build (SALT_ARCH)
// fails under CI=true, as skip_or_fail.
inline void skip_for_missing_isa(bool cpu_has_it, const std::string& isa, const std::string& what) {
    if (cpu_has_it) {
        skip_or_fail("this CPU has " + isa + " but this build does not use it (a narrower SALT_ARCH): " + what);
        return;
    }
    WARN("SKIPPED: this CPU has no " << isa << ": " << what);
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
    skip_or_fail("the TGS data is not at " + dir.string() + " (set SALT_TGS_DIR to point at it)");
    return false;
}

}  // namespace salt::test
