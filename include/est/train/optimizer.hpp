// What optimizers share: `optimizer.minimize(loss)` makes a training_op, which the estimator runs
// (back-propagate, then update). An update is one kernel over the model's arenas: every trainable
// value, its gradient and the optimizer's state at the same offsets. Per-parameter state ("slots")
// lives in the estimator across steps, in the model's back end, sized on the first step.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/buffer.hpp>
#include <est/host/backend.hpp>
#include <est/nn/layer.hpp>
#include <est/train/losses.hpp>

#include <cstddef>
#include <cstdint>

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
}  // namespace detail

/// Optimizer:
///   template <Backend B> struct slots           its per-parameter state on back end B, default-
///                                               constructible, with for_each_kind(f) calling
///                                               f(name, detail::parameter_slots<B>&) for checkpoints
///   apply(Net&, slots&, step)                   updates every trainable parameter from its gradient
///   learning_rate(step) -> float                the rate it uses at a step
template <class O>
concept Optimizer = requires(O const& o, std::uint64_t step) {
    typename O::template slots<host>;
    { o.learning_rate(step) } -> std::convertible_to<float>;
};

/// The TRAIN spec's `train_op`: back-propagates a loss through its model and applies an optimizer.
template <class Opt, class Net>
struct training_op {
    using optimizer_type = Opt;
    using slots_type = typename Opt::template slots<typename Net::backend_type>;

    // The model first: g++ 12's points-to analysis loses a pointer that follows merged float and
    // bool members when a spec holding this op is copied in a local (docs/design.md has the reduced
    // test case); at the start of the object it keeps it.
    Net* net = nullptr;
    Opt optimizer;

    /// Runs the step: gradients from the loss, then the update of step `step` (counted from 0).
    void run(slots_type& slots, std::uint64_t step) const {
        backward();
        update(slots, step);
    }
    /// The gradients of every parameter, from the loss.
    void backward() const { net->backward(); }
    /// The optimizer's update of step `step` from the gradients.
    void update(slots_type& slots, std::uint64_t step) const { optimizer.apply(*net, slots, step); }
    float learning_rate(std::uint64_t step) const { return optimizer.learning_rate(step); }
};

template <class T>
inline constexpr bool is_training_op_v = false;
template <class Opt, class Net>
inline constexpr bool is_training_op_v<training_op<Opt, Net>> = true;

namespace detail {
/// Mixin giving an optimizer `minimize(loss)`.
template <class Derived>
struct minimizer {
    template <class Net>
    training_op<Derived, Net> minimize(loss_value<Net> const& loss) const {
        return {loss.net, static_cast<Derived const&>(*this)};
    }
    /// Of a loss whose mistake was reported where it was made.
    invalid_value minimize(invalid_value) const { return {}; }
};
}  // namespace detail

}  // namespace est
