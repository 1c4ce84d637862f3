// Definitions of est/estimator/hooks/checkpoint_saver.hpp (see est/core/config.hpp).
#pragma once

#include <est/estimator/hooks/checkpoint_saver.hpp>

namespace est::hooks {

EST_DECL void checkpoint_saver::after_run(run_context& context, run_values const& values) {
    if (context.mode != mode_key::train || values.update_skipped)
        return;
    bool due = options_.every_steps
                   ? context.global_step % options_.every_steps == 0
                   : options_.every_secs > 0.0 &&
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - last_save_).count() >=
                             options_.every_secs;
    if (due)
        save(context);
}

EST_DECL void checkpoint_saver::save(run_context& context) {
    for (auto& l : options_.listeners) l->before_save(context, context.global_step);
    auto file = context.session->save_checkpoint();
    for (auto& l : options_.listeners) l->after_save(context, context.global_step, file);
    saved_step_ = context.global_step;
    last_save_ = std::chrono::steady_clock::now();
}

}  // namespace est::hooks
