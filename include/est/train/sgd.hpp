// Stochastic gradient descent with optional momentum (heavy-ball or Nesterov) and L2 weight
// decay, with tf.compat.v1.train.MomentumOptimizer's update rule.
#pragma once

#include <est/core/backend.hpp>
#include <est/train/learning_rate.hpp>
#include <est/train/optimizer.hpp>

#include <cstdint>

namespace est {

struct sgd_options {
    float momentum = 0.0f;
    bool nesterov = false;
    float weight_decay = 0.0f;  ///< L2 coefficient added to kernel gradients
};

/// `est::sgd(0.01f, {.momentum = 0.9f, .nesterov = true})`; the rate may be a schedule.
template <LearningRate Schedule = constant_rate>
struct sgd : detail::minimizer<sgd<Schedule>> {
    struct slots {
        detail::parameter_slots velocity;

        /// Calls `f(name, buffers)` for each kind of state, for checkpoints.
        template <class F>
        void for_each_kind(F&& f) {
            f("velocity", velocity);
        }
    };

    Schedule schedule;
    sgd_options options;

    sgd(Schedule rate, sgd_options o = {}) : schedule(rate), options(o) {}
    sgd(float rate, sgd_options o = {}) requires std::same_as<Schedule, constant_rate> : schedule{rate}, options(o) {}

    float learning_rate(std::uint64_t step) const { return schedule(step); }

    template <class Net>
    void apply(Net& net, slots& state, std::uint64_t step) const {
        float lr = learning_rate(step);
        float momentum = options.momentum, decay = options.weight_decay;
        bool nesterov = options.nesterov;
        detail::for_each_trainable(net, [&](std::size_t index, parameter_ref const& p) {
            float* w = p.value.data();
            float const* g = p.gradient.data();
            float wd = p.weight_decay ? decay : 0.0f;
            if (momentum == 0.0f) {
                host::for_each_index(p.value.size(), [=](std::size_t i) { w[i] -= lr * (g[i] + wd * w[i]); });
                return;
            }
            float* v = state.velocity.at(index, p.value.size()).data();
            host::for_each_index(p.value.size(), [=](std::size_t i) {
                float grad = g[i] + wd * w[i];
                v[i] = momentum * v[i] + grad;
                w[i] -= lr * (nesterov ? grad + momentum * v[i] : v[i]);
            });
        });
    }
};

sgd(float, sgd_options = {})->sgd<constant_rate>;
sgd(double, sgd_options = {})->sgd<constant_rate>;

}  // namespace est
