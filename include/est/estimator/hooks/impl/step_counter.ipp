// Definitions of est/estimator/hooks/step_counter.hpp (see est/core/config.hpp).
#pragma once

#include <est/estimator/hooks/step_counter.hpp>

namespace est::hooks {

EST_DECL void step_counter::after_run(run_context& context, run_values const& values) {
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

}  // namespace est::hooks
