// hooks::profiler: where the time of training goes, per phase (input wait, forward, backward,
// update, hooks), summed over the run; printed at the end and written to model_dir/profile.json.
#pragma once

#include <est/core/config.hpp>
#include <est/estimator/hook.hpp>

#include <cstdint>
#include <cstdio>
#include <utility>

namespace est::hooks {

/// The settings of hooks::profiler.
struct profiler_options {
    std::FILE* stream = stdout;  ///< nullptr: no table at the end
    bool write_json = true;
};

class profiler {
public:
    using options = profiler_options;

    profiler() = default;
    explicit profiler(profiler_options options) : options_(std::move(options)) {}

    void begin(run_context& context) {
        if (context.mode == mode_key::train)
            total_ = {}, steps_ = 0;
    }
    void after_run(run_context& context, run_values const& values) {
        if (context.mode != mode_key::train)
            return;
        total_.input += values.phases.input;
        total_.forward += values.phases.forward;
        total_.backward += values.phases.backward;
        total_.update += values.phases.update;
        total_.hooks += values.phases.hooks;
        ++steps_;
    }
    EST_DECL void end(run_context& context);

    phase_times const& total() const { return total_; }
    std::uint64_t steps() const { return steps_; }

private:
    profiler_options options_;
    phase_times total_;
    std::uint64_t steps_ = 0;
};

}  // namespace est::hooks

#if defined(EST_DEFINITIONS)
#include <est/estimator/hooks/impl/profiler.ipp>
#endif
