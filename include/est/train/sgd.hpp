// Stochastic gradient descent with optional momentum (heavy-ball or Nesterov) and L2 weight
// decay, with tf.compat.v1.train.MomentumOptimizer's update rule: one kernel over the model's
// arenas per step.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/host_device.hpp>
#include <est/train/learning_rate.hpp>
#include <est/train/optimizer.hpp>

#include <cstddef>
#include <cstdint>

namespace est {

struct sgd_options {
    float momentum = 0.0f;
    bool nesterov = false;
    float weight_decay = 0.0f;  ///< L2 coefficient added to kernel gradients
};

namespace detail {
/// Value i of a range of the arenas; `velocity` is null without momentum.
struct sgd_update {
    float *w, *velocity;
    float const* g;
    float rate, momentum, weight_decay;
    bool nesterov;
    EST_HOST_DEVICE void operator()(std::size_t i) const {
        float grad = g[i] + weight_decay * w[i];
        if (!velocity) {
            w[i] -= rate * grad;
            return;
        }
        velocity[i] = momentum * velocity[i] + grad;
        w[i] -= rate * (nesterov ? grad + momentum * velocity[i] : velocity[i]);
    }
    /// The arrays value i streams, which the host fetches ahead.
    streamed_arrays<1, 2> streams() const { return {{g}, {w, velocity}}; }
};
}  // namespace detail

/// `est::sgd(0.01f, {.momentum = 0.9f, .nesterov = true})`; the rate may be a schedule.
template <LearningRate Schedule = constant_rate>
struct sgd : detail::minimizer<sgd<Schedule>> {
    template <Backend B>
    struct slots {
        detail::parameter_slots<B> velocity;

        /// Calls `f(name, state)` for each kind of state, for checkpoints.
        template <class F>
        void for_each_kind(F&& f) {
            f("velocity", velocity);
        }
    };

    Schedule schedule;
    sgd_options options;

    sgd(Schedule rate, sgd_options o = {}) : schedule(rate), options(o) { check(); }
    sgd(float rate, sgd_options o = {}) requires std::same_as<Schedule, constant_rate> : schedule{rate}, options(o) {
        check();
    }

    float learning_rate(std::uint64_t step) const { return schedule(step); }

private:
    void check() const {
        detail::require_rate_and_decay(schedule, options.weight_decay, "sgd");
        detail::require_non_negative(options.momentum, "sgd", "momentum");
        detail::require_option(!options.nesterov || options.momentum > 0.0f, "sgd", "momentum", options.momentum,
                               "> 0 with nesterov");
    }

public:
    template <class Net>
    void apply(Net& net, slots<typename Net::backend_type>& state, std::uint64_t step) const {
        std::size_t n = net.trainable_size(), decayed = net.weights_size();
        float* velocity = options.momentum == 0.0f ? nullptr : state.velocity.sized(n);
        detail::sgd_update update{net.values(),        velocity,         net.gradients(),
                                  learning_rate(step), options.momentum, options.weight_decay,
                                  options.nesterov};
        // Two ranges of one pass: the weights with decay, then the other trainable values without.
        Net::backend_type::for_each(decayed, update);
        update.w += decayed, update.g += decayed;
        if (velocity)
            update.velocity += decayed;
        update.weight_decay = 0.0f;
        Net::backend_type::for_each(n - decayed, update);
    }
};

sgd(float, sgd_options = {})->sgd<constant_rate>;
sgd(double, sgd_options = {})->sgd<constant_rate>;

}  // namespace est
