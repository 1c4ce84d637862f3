// hooks::stop_at_step: ends training after a number of steps of this run, or at a global step.
#pragma once

#include <est/estimator/hook.hpp>

#include <cstdint>
#include <optional>
#include <utility>

namespace est::hooks {

/// The settings of hooks::stop_at_step.
struct stop_at_step_options {
    std::optional<std::uint64_t> num_steps;
    std::optional<std::uint64_t> last_step;
};

/// Requests a stop once `num_steps` steps of this train() call ran, or global step `last_step` is
/// reached (whichever is given; with both, the earlier).
class stop_at_step {
public:
    using options = stop_at_step_options;

    stop_at_step() = default;
    explicit stop_at_step(stop_at_step_options options) : options_(std::move(options)) {}

    void begin(run_context& context) {
        if (context.mode == mode_key::train)
            start_ = context.global_step;
    }
    void after_run(run_context& context, run_values const&) {
        if (context.mode != mode_key::train)
            return;
        if ((options_.num_steps && context.global_step - start_ >= *options_.num_steps) ||  // no sum to wrap
            (options_.last_step && context.global_step >= *options_.last_step))
            context.request_stop();
    }

private:
    stop_at_step_options options_;
    std::uint64_t start_ = 0;
};

}  // namespace est::hooks
