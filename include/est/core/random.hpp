// Seeded randomness. One seed in run_config drives initialisation, shuffling and dropout; values
// come from a counter-based hash, so a parallel kernel draws the same numbers on any thread count.
#pragma once

#include <est/core/host_device.hpp>

#include <cmath>
#include <cstdint>
#include <numbers>

namespace est {

/// SplitMix64's finaliser: a bijective 64-bit mix with good avalanche.
EST_HOST_DEVICE constexpr std::uint64_t mix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// A uniform float in [0, 1) for element `index` of stream `stream` under `seed`; pure, so
/// kernels call it per element in any order.
EST_HOST_DEVICE constexpr float uniform_at(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
    std::uint64_t bits = mix64(seed ^ mix64(stream ^ mix64(index)));
    return static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
}

/// Derives an independent seed for a named part of a run (a layer, a dataset stage).
EST_HOST_DEVICE constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t salt) {
    return mix64(seed ^ mix64(salt));
}

/// A sequential generator for host-side work (initialisation, shuffle buffers).
class random_engine {
public:
    using result_type = std::uint64_t;

    explicit constexpr random_engine(std::uint64_t seed = 0) : state_(seed) {}

    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return ~result_type{0}; }
    constexpr result_type operator()() { return mix64(state_++); }

    /// Uniform in [0, 1).
    constexpr float uniform() { return static_cast<float>((*this)() >> 40) * (1.0f / 16777216.0f); }
    /// Uniform in [low, high).
    constexpr float uniform(float low, float high) { return low + (high - low) * uniform(); }
    /// Uniform integer in [0, bound).
    constexpr std::uint64_t below(std::uint64_t bound) { return bound ? (*this)() % bound : 0; }
    /// Standard normal (Box-Muller).
    float normal() {
        float u1 = 1.0f - uniform();
        float u2 = uniform();
        return std::sqrt(-2.0f * std::log(u1)) * std::cos(2.0f * std::numbers::pi_v<float> * u2);
    }

private:
    std::uint64_t state_;
};

}  // namespace est
