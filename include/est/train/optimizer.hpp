// What optimizers share: `optimizer.minimize(loss)` makes a training_op, which the estimator runs
// (back-propagate, then update). An update is one kernel over the model's arenas: every trainable
// value, its gradient and the optimizer's state at the same offsets. Per-parameter state ("slots")
// lives in the estimator across steps, in the model's back end, sized on the first step.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/buffer.hpp>
#include <est/core/error.hpp>
#include <est/host/backend.hpp>
#include <est/nn/layer.hpp>
#include <est/train/learning_rate.hpp>
#include <est/train/losses.hpp>

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace est {

namespace detail {
/// One kind of an optimizer's per-parameter state, shaped like the trainable part of a model's
/// values arena, zero on first use.
template <class B>
struct parameter_slots {
    buffer<float, B> values;

    /// The state for a model with `trainable_size` trainable stored values.
    float* sized(std::size_t trainable_size) {
        if (values.size() != trainable_size) {
            values.resize(trainable_size);
            fill<B>(values.data(), trainable_size, 0.0f);
        }
        return values.data();
    }
};

/// Throws an est::error naming the optimizer, the option and its value unless `valid`, so that
/// a bad setting fails where it is made (as torch.optim's constructors do), not as a NaN loss or
/// a model that silently does not learn.
inline void require_option(bool valid, std::string_view optimizer, std::string_view option, double value,
                           std::string_view allowed) {
    if (!valid)
        throw error(std::string(optimizer) + ": " + std::string(option) + " must be " + std::string(allowed) +
                    ", not " + std::to_string(value));
}

/// `value` is a finite number >= 0.
inline void require_non_negative(double value, std::string_view optimizer, std::string_view option) {
    require_option(value >= 0.0 && std::isfinite(value), optimizer, option, value, "a finite number >= 0");
}

/// A schedule of est's own has settings that keep every step's rate a finite number >= 0: at least
/// one step to decay over (the formulas divide by it), a decay rate > 0 (a power of a negative one
/// is NaN), an end rate >= 0 and a power >= 0 (a negative one is infinite at the end). Other
/// schedules are checked at step 0 only.
template <class Schedule>
void require_schedule(Schedule const&, std::string_view) {}
inline void require_schedule(exponential_decay const& s, std::string_view optimizer) {
    require_option(s.decay_steps > 0, optimizer, "exponential_decay's decay_steps", double(s.decay_steps), "> 0");
    require_option(s.decay_rate > 0.0f && std::isfinite(s.decay_rate), optimizer, "exponential_decay's decay_rate",
                   s.decay_rate, "a finite number > 0");
}
inline void require_schedule(polynomial_decay const& s, std::string_view optimizer) {
    require_option(s.decay_steps > 0, optimizer, "polynomial_decay's decay_steps", double(s.decay_steps), "> 0");
    require_non_negative(s.end_rate, optimizer, "polynomial_decay's end_rate");
    require_non_negative(s.power, optimizer, "polynomial_decay's power");
}

/// The learning rate at step 0, and the weight decay, are finite numbers >= 0, and so is every
/// later rate of est's own schedules.
template <class Schedule>
void require_rate_and_decay(Schedule const& schedule, float weight_decay, std::string_view optimizer) {
    require_non_negative(schedule(0), optimizer, "the learning rate");
    require_schedule(schedule, optimizer);
    require_non_negative(weight_decay, optimizer, "weight_decay");
}
}  // namespace detail

/// An optimizer's per-parameter state for a model: what a train_op of that model keeps across steps.
template <class Opt, class Net>
using optimizer_slots = typename Opt::template slots<typename Net::backend_type>;

/// The TRAIN spec's `train_op`: back-propagates a loss through its model and applies an optimizer.
template <class Opt, class Loss>
struct training_op {
    using optimizer_type = Opt;
    using model_type = typename Loss::model_type;
    using slots_type = optimizer_slots<Opt, model_type>;

    // The loss (which starts with its model) first: g++ 12's points-to analysis loses a pointer that
    // follows merged float and bool members when a spec holding this op is copied in a local
    // (docs/design.md has the reduced test case); at the start of the object it keeps it.
    Loss loss;
    Opt optimizer;

    /// Runs the step: gradients from the loss, then the update of step `step` (counted from 0).
    void run(slots_type& slots, std::uint64_t step) const {
        backward();
        update(slots, step);
    }
    /// The gradients of every parameter, from the loss.
    void backward() const { loss.backward(); }
    /// The optimizer's update of step `step` from the gradients.
    void update(slots_type& slots, std::uint64_t step) const { optimizer.apply(loss.model(), slots, step); }
    float learning_rate(std::uint64_t step) const { return optimizer.learning_rate(step); }
};

template <class T>
inline constexpr bool is_training_op_v = false;
template <class Opt, class Loss>
inline constexpr bool is_training_op_v<training_op<Opt, Loss>> = true;

namespace detail {
/// Mixin giving an optimizer `minimize(loss)`.
template <class Derived>
struct minimizer {
    template <class Net, class... Terms>
    training_op<Derived, model_loss<Net, Terms...>> minimize(model_loss<Net, Terms...> const& loss) const {
        return {loss, static_cast<Derived const&>(*this)};
    }
    /// Of a loss whose mistake was reported where it was made.
    invalid_value minimize(invalid_value) const { return {}; }
};
}  // namespace detail

/// Optimizer: turns a loss into a training_op and applies its update.
///
/// Minimal complete definition: a copyable type, deriving from detail::minimizer<O> (which gives
/// it `minimize(loss)`), with
///   template <Backend B> struct slots;        its per-parameter state on back end B, default-
///                                             constructible, with for_each_kind(f) calling
///                                             f(name, detail::parameter_slots<B>&) for checkpoints
///   void apply(Net&, slots<Net's back end>&, std::uint64_t step) const;
///                                             updates every trainable parameter from its gradient
///                                             (checked for a model by OptimizerFor<O, Net>)
///   float learning_rate(std::uint64_t step) const;   the rate it uses at a step
template <class O>
concept Optimizer = std::copyable<O> && std::default_initializable<typename O::template slots<host>> &&
                    std::derived_from<O, detail::minimizer<O>> &&
                    requires(O const& o, typename O::template slots<host>& s, std::uint64_t step) {
    s.for_each_kind([](char const*, detail::parameter_slots<host>&) {});
    { o.learning_rate(step) } -> std::convertible_to<float>;
};

/// An Optimizer that can update the model Net.
template <class O, class Net>
concept OptimizerFor = Optimizer<O> && requires(O const& o, Net& net, optimizer_slots<O, Net>& s, std::uint64_t step) {
    o.apply(net, s, step);
};

}  // namespace est
