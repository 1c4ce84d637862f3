// Adam (Kingma & Ba) with bias correction folded into the step size, as
// tf.compat.v1.train.AdamOptimizer, plus optional L2 weight decay on kernels.
#pragma once

#include <est/core/backend.hpp>
#include <est/train/learning_rate.hpp>
#include <est/train/optimizer.hpp>

#include <cmath>
#include <cstdint>

namespace est {

struct adam_options {
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float epsilon = 1e-7f;
    float weight_decay = 0.0f;  ///< L2 coefficient added to kernel gradients
};

/// `est::adam(0.001f)`; the rate may be a schedule.
template <LearningRate Schedule = constant_rate>
struct adam : detail::minimizer<adam<Schedule>> {
    struct slots {
        detail::parameter_slots first_moment, second_moment;

        /// Calls `f(name, buffers)` for each kind of state, for checkpoints.
        template <class F>
        void for_each_kind(F&& f) {
            f("m", first_moment);
            f("v", second_moment);
        }
    };

    Schedule schedule;
    adam_options options;

    adam(Schedule rate, adam_options o = {}) : schedule(rate), options(o) {}
    adam(float rate, adam_options o = {}) requires std::same_as<Schedule, constant_rate> : schedule{rate}, options(o) {}

    float learning_rate(std::uint64_t step) const { return schedule(step); }

    template <class Net>
    void apply(Net& net, slots& state, std::uint64_t step) const {
        double t = double(step + 1);
        float b1 = options.beta1, b2 = options.beta2, eps = options.epsilon, decay = options.weight_decay;
        float lr =
            float(learning_rate(step) * std::sqrt(1.0 - std::pow(double(b2), t)) / (1.0 - std::pow(double(b1), t)));
        detail::for_each_trainable(net, [&](std::size_t index, parameter_ref const& p) {
            float* w = p.value.data();
            float const* g = p.gradient.data();
            float* m = state.first_moment.at(index, p.value.size()).data();
            float* v = state.second_moment.at(index, p.value.size()).data();
            float wd = p.weight_decay ? decay : 0.0f;
            host::for_each_range(p.value.size(), [=](std::size_t begin, std::size_t end) {
                for (std::size_t i = begin; i < end; ++i) {
                    float grad = g[i] + wd * w[i];
                    m[i] = b1 * m[i] + (1.0f - b1) * grad;
                    v[i] = b2 * v[i] + (1.0f - b2) * grad * grad;
                    w[i] -= lr * m[i] / (std::sqrt(v[i]) + eps);
                }
            });
        });
    }
};

adam(float, adam_options = {})->adam<constant_rate>;
adam(double, adam_options = {})->adam<constant_rate>;

}  // namespace est
