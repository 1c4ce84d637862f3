// Learning-rate schedules as functions of the global step, with tf.compat.v1.train's formulas.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>

namespace est {

/// A learning rate that may depend on the global step.
template <class S>
concept LearningRate = requires(S const& s, std::uint64_t step) {
    { s(step) } -> std::convertible_to<float>;
};

/// The same rate at every step.
struct constant_rate {
    float rate = 0.001f;
    constexpr float operator()(std::uint64_t) const { return rate; }
};

/// rate * decay_rate ^ (step / decay_steps); the exponent is floored when `staircase`.
struct exponential_decay {
    float initial_rate = 0.001f;
    std::uint64_t decay_steps = 1000;
    float decay_rate = 0.96f;
    bool staircase = false;

    float operator()(std::uint64_t step) const {
        double p = double(step) / double(std::max<std::uint64_t>(decay_steps, 1));  // optimizers refuse 0
        if (staircase)
            p = std::floor(p);
        return float(initial_rate * std::pow(double(decay_rate), p));
    }
};

/// (initial - end) * (1 - step / decay_steps) ^ power + end; with `cycle`, decay_steps grows to the
/// next multiple of itself past step, otherwise the rate stays at `end_rate` after decay_steps.
struct polynomial_decay {
    float initial_rate = 0.001f;
    std::uint64_t decay_steps = 1000;
    float end_rate = 0.0001f;
    float power = 1.0f;
    bool cycle = false;

    float operator()(std::uint64_t step) const {
        double steps = double(std::max<std::uint64_t>(decay_steps, 1));  // optimizers refuse 0
        double s = double(step);
        if (cycle)
            steps *= std::max(1.0, std::ceil(s / steps));
        else
            s = std::min(s, steps);
        return float((initial_rate - end_rate) * std::pow(1.0 - s / steps, double(power)) + end_rate);
    }
};

}  // namespace est
