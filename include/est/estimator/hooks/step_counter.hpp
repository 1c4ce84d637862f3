// hooks::step_counter: "global_step/sec" and "examples/sec" summaries of training.
#pragma once

#include <est/estimator/hook.hpp>

#include <chrono>
#include <cstdint>
#include <utility>

namespace est::hooks {

/// The settings of hooks::step_counter.
struct step_counter_options {
    std::uint64_t every_steps = 100;
};

/// Every `every_steps` steps writes the steps and examples per second since the last write to
/// the training run's TensorBoard events.
class step_counter {
public:
    using options = step_counter_options;

    step_counter() = default;
    explicit step_counter(step_counter_options options) : options_(std::move(options)) {}

    void begin(run_context& context) {
        last_step_ = context.global_step;
        since_ = std::chrono::steady_clock::now();
        examples_ = 0;
    }
    void after_run(run_context& context, run_values const& values) {
        if (context.mode != mode_key::train || values.update_skipped || !options_.every_steps)
            return;
        examples_ += values.batch_size;
        if (context.global_step % options_.every_steps != 0)
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

private:
    step_counter_options options_;
    std::uint64_t last_step_ = 0;
    std::size_t examples_ = 0;
    std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
};

}  // namespace est::hooks
