// Adam (Kingma & Ba) with bias correction folded into the step size, as
// tf.compat.v1.train.AdamOptimizer, plus optional L2 weight decay on kernels: one kernel over the
// model's arenas per step.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/host_device.hpp>
#include <est/train/learning_rate.hpp>
#include <est/train/optimizer.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace est {

struct adam_options {
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float epsilon = 1e-7f;
    float weight_decay = 0.0f;  ///< L2 coefficient added to kernel gradients
};

namespace detail {
/// Value i of a range of the arenas: the moments follow the gradient (plus weight decay), the value
/// takes the step.
struct adam_update {
    float *w, *m, *v;
    float const* g;
    float rate, beta1, beta2, epsilon, weight_decay;
    EST_HOST_DEVICE void operator()(std::size_t i) const {
        float grad = g[i] + weight_decay * w[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * grad;
        v[i] = beta2 * v[i] + (1.0f - beta2) * grad * grad;
        w[i] -= rate * m[i] / (std::sqrt(v[i]) + epsilon);
    }
    /// The arrays value i streams, which the host fetches ahead.
    streamed_arrays<1, 3> streams() const { return {{g}, {w, m, v}}; }
};
}  // namespace detail

/// `est::adam(0.001f)`; the rate may be a schedule.
template <LearningRate Schedule = constant_rate>
struct adam : detail::minimizer<adam<Schedule>> {
    template <Backend B>
    struct slots {
        detail::parameter_slots<B> first_moment, second_moment;

        /// Calls `f(name, state)` for each kind of state, for checkpoints.
        template <class F>
        void for_each_kind(F&& f) {
            f("m", first_moment);
            f("v", second_moment);
        }
    };

    Schedule schedule;
    adam_options options;

    adam(Schedule rate, adam_options o = {}) : schedule(rate), options(o) { check(); }
    adam(float rate, adam_options o = {}) requires std::same_as<Schedule, constant_rate> : schedule{rate}, options(o) {
        check();
    }

    float learning_rate(std::uint64_t step) const { return schedule(step); }

private:
    void check() const {
        detail::require_rate_and_decay(schedule, options.weight_decay, "adam");
        // beta1 = 1 divides by 0 in the bias correction; beta2 = 1 makes every step 0; epsilon = 0
        // divides 0 by 0 for a value whose gradients have all been 0.
        detail::require_option(options.beta1 >= 0.0f && options.beta1 < 1.0f, "adam", "beta1", options.beta1,
                               "in [0, 1)");
        detail::require_option(options.beta2 >= 0.0f && options.beta2 < 1.0f, "adam", "beta2", options.beta2,
                               "in [0, 1)");
        detail::require_option(options.epsilon > 0.0f && std::isfinite(options.epsilon), "adam", "epsilon",
                               options.epsilon, "a finite number > 0");
    }

public:
    template <class Net>
    void apply(Net& net, slots<typename Net::backend_type>& state, std::uint64_t step) const {
        double t = double(step + 1);
        float rate = float(learning_rate(step) * std::sqrt(1.0 - std::pow(double(options.beta2), t)) /
                           (1.0 - std::pow(double(options.beta1), t)));
        std::size_t n = net.trainable_size(), decayed = net.weights_size();
        detail::adam_update update{net.values(),
                                   state.first_moment.sized(n),
                                   state.second_moment.sized(n),
                                   net.gradients(),
                                   rate,
                                   options.beta1,
                                   options.beta2,
                                   options.epsilon,
                                   options.weight_decay};
        // Two ranges of one pass: the weights with decay, then the other trainable values without.
        Net::backend_type::for_each(decayed, update);
        update.w += decayed, update.m += decayed, update.v += decayed, update.g += decayed;
        update.weight_decay = 0.0f;
        Net::backend_type::for_each(n - decayed, update);
    }
};

adam(float, adam_options = {})->adam<constant_rate>;
adam(double, adam_options = {})->adam<constant_rate>;

}  // namespace est
