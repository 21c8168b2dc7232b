// salt/core/rng.hpp — a small, seedable, serialisable random number generator.
//
// Dropout masks, initialisation, shuffling and augmentation all draw from this, so a run is
// reproducible from its seed and a checkpoint can store the generator's full state (two words).
#pragma once

#include <cmath>
#include <cstdint>

#include "salt/core/hd.hpp"

namespace salt {

// SplitMix64 to expand a seed, xoshiro256** style state would be overkill: this is a 128-bit
// xorshift-multiply generator (xoroshiro128**), fast and with a state that is easy to save.
class Rng {
public:
    explicit Rng(std::uint64_t seed = 0x5A17ULL) { reseed(seed); }

    void reseed(std::uint64_t seed) {
        s0_ = splitmix(seed);
        s1_ = splitmix(seed);
        if (s0_ == 0 && s1_ == 0) s1_ = 1;
    }

    std::uint64_t next_u64() {
        const std::uint64_t a = s0_;
        std::uint64_t b = s1_;
        const std::uint64_t result = rotl(a * 5, 7) * 9;
        b ^= a;
        s0_ = rotl(a, 24) ^ b ^ (b << 16);
        s1_ = rotl(b, 37);
        return result;
    }

    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return double(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
    // Uniform integer in [0, n).
    std::uint64_t below(std::uint64_t n) { return n ? next_u64() % n : 0; }
    // Standard normal by Box-Muller (one value per call; the second is dropped for simplicity).
    double normal() {
        double u1 = uniform();
        while (u1 <= 0.0) u1 = uniform();
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }

    struct State {
        std::uint64_t s0, s1;
    };
    State state() const { return {s0_, s1_}; }
    void set_state(State s) {
        s0_ = s.s0;
        s1_ = s.s1;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t splitmix(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::uint64_t s0_ = 0, s1_ = 0;
};

// A counter-based stream: element i of the stream keyed by `key` is a function of (key, i) alone,
// so a kernel can draw element i on any thread, in any order, on the host or on a GPU, and get the
// same value (dropout masks). SplitMix64's finaliser over key + (i + 1) * golden ratio.
SALT_HD inline std::uint64_t counter_u64(std::uint64_t key, std::uint64_t i) {
    std::uint64_t z = key + (i + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

}  // namespace salt
