// Definitions of est/estimator/hooks/early_stopping.hpp (see est/core/config.hpp).
#pragma once

#include <est/estimator/hooks/early_stopping.hpp>

namespace est::hooks {

EST_DECL void early_stopping::after_run(run_context& context, run_values const&) {
    if (context.mode != mode_key::train || !context.latest_evaluation || context.evaluations == seen_)
        return;
    seen_ = context.evaluations;
    auto found = context.latest_evaluation->find(options_.metric);
    if (!found)
        throw error("early_stopping: the evaluation has no metric '" + options_.metric + "'");
    double value = *found;
    bool improved = !best_ || metric_goal{options_.metric, options_.better}.improves(value, *best_, options_.min_delta);
    if (improved) {
        best_ = value;
        stale_ = 0;
    } else if (++stale_ >= options_.patience) {
        stopped_at_ = context.global_step;
        context.request_stop();
    }
}

}  // namespace est::hooks
