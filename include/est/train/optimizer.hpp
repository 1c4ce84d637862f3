// What optimizers share: `optimizer.minimize(loss)` makes a training_op, which the estimator runs
// (back-propagate, then update). Per-parameter state ("slots") lives in the estimator across
// steps and is sized once, on the first step.
#pragma once

#include <est/nn/layer.hpp>
#include <est/train/losses.hpp>

#include <xtensor/xtensor.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace est {

/// Optimizer: `using slots` (per-parameter state, default-constructible, with
/// `for_each_kind(f)` calling f(name, parameter_slots&) for checkpoints), and
/// `apply(Net&, slots&, step)` updating every trainable parameter from its gradient;
/// `learning_rate(step)` tells the rate it used.
template <class O>
concept Optimizer = requires(O const& o, std::uint64_t step) {
    typename O::slots;
    { o.learning_rate(step) } -> std::convertible_to<float>;
};

/// The TRAIN spec's `train_op`: back-propagates a loss through its model and applies an optimizer.
template <class Opt, class Net>
struct training_op {
    using optimizer_type = Opt;
    using slots_type = typename Opt::slots;

    Opt optimizer;
    Net* net = nullptr;

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

namespace detail {
/// Mixin giving an optimizer `minimize(loss)`.
template <class Derived>
struct minimizer {
    template <class Net>
    training_op<Derived, Net> minimize(loss_value<Net> const& loss) const {
        return {static_cast<Derived const&>(*this), loss.net};
    }
};

/// One state vector per trainable parameter, allocated on first use.
struct parameter_slots {
    std::vector<xt::xtensor<float, 1>> buffers;

    std::span<float> at(std::size_t index, std::size_t size) {
        if (index >= buffers.size())
            buffers.resize(index + 1);
        if (buffers[index].size() != size) {
            buffers[index] = xt::xtensor<float, 1>::from_shape({size});
            buffers[index].fill(0.0f);
        }
        return {buffers[index].data(), size};
    }
};

/// Calls `f(index, parameter)` for each trainable parameter of `net`.
template <class Net, class F>
void for_each_trainable(Net& net, F&& f) {
    std::size_t index = 0;
    net.for_each_parameter([&](std::string_view, parameter_ref const& p) {
        if (p.trainable)
            f(index++, p);
    });
}
}  // namespace detail

}  // namespace est
