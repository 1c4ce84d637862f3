// hooks::step_counter: "global_step/sec" and "examples/sec" summaries of training.
#pragma once

#include <est/estimator/hook.hpp>

#include <chrono>
#include <cstdint>

namespace est::hooks {

/// Every `every_steps` steps writes the steps and examples per second since the last write to
/// the training run's TensorBoard events.
struct step_counter {
    std::uint64_t every_steps = 100;

    void begin(run_context& context) {
        last_step_ = context.global_step;
        since_ = std::chrono::steady_clock::now();
        examples_ = 0;
    }
    void after_run(run_context& context, run_values const& values) {
        if (context.mode != mode_key::train || values.update_skipped || !every_steps)
            return;
        examples_ += values.batch_size;
        if (context.global_step % every_steps != 0)
            return;
        auto now = std::chrono::steady_clock::now();
        double seconds = std::chrono::duration<double>(now - since_).count();
        if (seconds > 0.0 && context.global_step > last_step_) {
            auto& events = context.session->train_summaries();
            auto step = std::int64_t(context.global_step);
            events.scalar("global_step/sec", float(double(context.global_step - last_step_) / seconds), step);
            events.scalar("examples/sec", float(double(examples_) / seconds), step);
            events.flush();
        }
        last_step_ = context.global_step;
        since_ = now;
        examples_ = 0;
    }

    // What follows is the hook's state during a run, not a setting (public so that the settings
    // above can be given with designated initializers).
    std::uint64_t last_step_ = 0;
    std::size_t examples_ = 0;
    std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
};

}  // namespace est::hooks
