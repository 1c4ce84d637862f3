// hooks::checkpoint_saver: saves checkpoints on its own schedule (steps or seconds) and tells
// listeners before and after each save; the estimator's run_config schedule works without it.
#pragma once

#include <est/core/config.hpp>
#include <est/estimator/hook.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>
#include <utility>

namespace est {

/// Told around every save of a checkpoint_saver (TF's CheckpointSaverListener).
class checkpoint_listener {
public:
    virtual ~checkpoint_listener() = default;
    virtual void begin(run_context&) {}
    virtual void before_save(run_context&, std::uint64_t /*global_step*/) {}
    /// May call context.request_stop().
    virtual void after_save(run_context&, std::uint64_t /*global_step*/, std::filesystem::path const& /*file*/) {}
    virtual void end(run_context&, std::uint64_t /*global_step*/) {}
};

namespace hooks {

/// The settings of hooks::checkpoint_saver.
struct checkpoint_saver_options {
    std::uint64_t every_steps = 0;
    double every_secs = 0.0;
    std::vector<std::shared_ptr<checkpoint_listener>> listeners = {};
};

/// Saves every `every_steps` steps or `every_secs` seconds of training and at the end of it.
class checkpoint_saver {
public:
    using options = checkpoint_saver_options;

    checkpoint_saver() = default;
    explicit checkpoint_saver(checkpoint_saver_options options) : options_(std::move(options)) {}

    void begin(run_context& context) {
        if (context.mode != mode_key::train)
            return;
        last_save_ = std::chrono::steady_clock::now();
        saved_step_ = context.global_step;
        for (auto& l : options_.listeners) l->begin(context);
    }
    EST_DECL void after_run(run_context& context, run_values const& values);
    void end(run_context& context) {
        if (context.mode != mode_key::train)
            return;
        if (saved_step_ != context.global_step)
            save(context);
        for (auto& l : options_.listeners) l->end(context, context.global_step);
    }

private:
    checkpoint_saver_options options_;
    EST_DECL void save(run_context& context);
    std::chrono::steady_clock::time_point last_save_ = std::chrono::steady_clock::now();
    std::uint64_t saved_step_ = 0;
};

}  // namespace hooks
}  // namespace est

#if defined(EST_DEFINITIONS)
#include <est/estimator/hooks/impl/checkpoint_saver.ipp>
#endif
