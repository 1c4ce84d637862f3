// hooks::early_stopping: stops training when an evaluation metric has not improved for a number
// of evaluations (made by train_and_evaluate while training runs).
#pragma once

#include <est/core/config.hpp>
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

    EST_DECL void after_run(run_context& context, run_values const&);

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

#if defined(EST_DEFINITIONS)
#include <est/estimator/hooks/impl/early_stopping.ipp>
#endif
