// hooks::stop_at_step: ends training after a number of steps of this run, or at a global step.
#pragma once

#include <est/estimator/hook.hpp>

#include <cstdint>
#include <optional>

namespace est::hooks {

/// Requests a stop once `num_steps` steps of this train() call ran, or global step `last_step` is
/// reached (whichever is given; with both, the earlier).
struct stop_at_step {
    std::optional<std::uint64_t> num_steps;
    std::optional<std::uint64_t> last_step;

    void begin(run_context& context) {
        if (context.mode == mode_key::train)
            start_ = context.global_step;
    }
    void after_run(run_context& context, run_values const&) {
        if (context.mode != mode_key::train)
            return;
        if ((num_steps && context.global_step >= start_ + *num_steps) ||
            (last_step && context.global_step >= *last_step))
            context.request_stop();
    }

    // What follows is the hook's state during a run, not a setting (public so that the settings
    // above can be given with designated initializers).
    std::uint64_t start_ = 0;
};

}  // namespace est::hooks
