// Shared helpers of the tests/train tests: fixture files and element-wise comparisons.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/io/safetensors.hpp"
#include "support/test_env.hpp"

namespace salt::test {

inline io::SafetensorsFile train_fixture(const std::string& file) {
    return io::SafetensorsFile::read(fixture_dir() / "train" / file);
}

// Largest |a - r| / (|r| + floor) over the elements; `floor` keeps elements whose reference is
// (almost) zero from dividing by zero — it is an absolute tolerance scale, stated per test.
template <class A>
double max_rel_error(std::span<const A> a, std::span<const double> r, double floor) {
    REQUIRE(a.size() == r.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double e = std::abs(double(a[i]) - r[i]) / (std::abs(r[i]) + floor);
        if (!(e <= worst)) worst = std::isnan(e) ? std::numeric_limits<double>::infinity() : std::max(worst, e);
    }
    return worst;
}

inline double rel_error(double a, double r) { return std::abs(a - r) / std::max(std::abs(r), 1e-300); }

}  // namespace salt::test
