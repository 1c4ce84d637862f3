// hooks::early_stopping: stops training when an evaluation metric has not improved for a number
// of evaluations (made by train_and_evaluate while training runs).
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/hook.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace est::hooks {

/// The settings of hooks::early_stopping.
struct early_stopping_options {
    std::string metric = "loss";
    goal better = goal::lower;
    std::uint64_t patience = 3;  ///< evaluations without improvement before stopping
    double min_delta = 0.0;      ///< an improvement smaller than this does not count
};

class early_stopping {
public:
    using options = early_stopping_options;

    early_stopping() = default;
    explicit early_stopping(early_stopping_options options) : options_(std::move(options)) {}

    void after_run(run_context& context, run_values const&) {
        if (context.mode != mode_key::train || !context.latest_evaluation || context.evaluations == seen_)
            return;
        seen_ = context.evaluations;
        auto found = context.latest_evaluation->find(options_.metric);
        if (!found)
            throw error("early_stopping: the evaluation has no metric '" + options_.metric + "'");
        double value = *found;
        bool improved =
            !best_ || metric_goal{options_.metric, options_.better}.improves(value, *best_, options_.min_delta);
        if (improved) {
            best_ = value;
            stale_ = 0;
        } else if (++stale_ >= options_.patience) {
            stopped_at_ = context.global_step;
            context.request_stop();
        }
    }

    std::optional<double> best() const { return best_; }
    /// The global step at which it requested the stop, if it did.
    std::optional<std::uint64_t> stopped_at() const { return stopped_at_; }

private:
    early_stopping_options options_;
    std::uint64_t seen_ = 0;
    std::uint64_t stale_ = 0;
    std::optional<double> best_;
    std::optional<std::uint64_t> stopped_at_;
};

}  // namespace est::hooks
