// hooks::step_counter: "global_step/sec" and "examples/sec" summaries of training.
#pragma once

#include <est/core/config.hpp>
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
    EST_DECL void after_run(run_context& context, run_values const& values);

private:
    step_counter_options options_;
    std::uint64_t last_step_ = 0;
    std::size_t examples_ = 0;
    std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
};

}  // namespace est::hooks

#if defined(EST_DEFINITIONS)
#include <est/estimator/hooks/impl/step_counter.ipp>
#endif
