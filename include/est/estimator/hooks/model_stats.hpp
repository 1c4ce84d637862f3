// hooks::model_stats: writes model_dir/model_stats.csv, every layer's output shape, parameters and
// MACs per example, from the model's compile-time numbers.
#pragma once

#include <est/core/config.hpp>
#include <est/estimator/hook.hpp>

#include <string>
#include <utility>

namespace est::hooks {

/// The settings of hooks::model_stats.
struct model_stats_options {
    std::string file_name = "model_stats.csv";
};

class model_stats {
public:
    using options = model_stats_options;

    model_stats() = default;
    explicit model_stats(model_stats_options options) : options_(std::move(options)) {}

    EST_DECL void begin(run_context& context);

private:
    model_stats_options options_;
    bool written_ = false;
};

}  // namespace est::hooks

#if defined(EST_DEFINITIONS)
#include <est/estimator/hooks/impl/model_stats.ipp>
#endif
