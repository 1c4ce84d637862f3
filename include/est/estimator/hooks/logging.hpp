// hooks::logging: progress lines of training, every N steps or seconds: the step, the loss, the
// learning rate, the examples per second since the last line and any tensors it was asked to
// show.
#pragma once

#include <est/core/config.hpp>
#include <est/estimator/hook.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>
#include <utility>

namespace est::hooks {

/// The settings of hooks::logging.
struct logging_options {
    std::uint64_t every_steps = 0;          ///< 0: run_config's log_step_count_steps (or every_secs alone)
    double every_secs = 0.0;                ///< 0: by steps only
    std::vector<std::string> tensors = {};  ///< "<layer>/<parameter>" or "<layer>/output": mean and max |x|
    std::FILE* stream = stdout;
};

/// Prints "step 200  loss 0.4213  lr 0.001  12345.6 examples/s" during training.
class logging {
public:
    using options = logging_options;

    logging() = default;
    explicit logging(logging_options options) : options_(std::move(options)) {}

    void begin(run_context& context) {
        steps_ = context.config && context.config->log_step_count_steps ? context.config->log_step_count_steps : 100;
        reset();
    }
    void before_run(run_context& context) {
        if (context.mode == mode_key::train && due(context.global_step + 1))
            for (auto const& t : options_.tensors) context.request_tensor(t);
    }
    EST_DECL void after_run(run_context& context, run_values const& values);

private:
    logging_options options_;
    bool due(std::uint64_t step) const {
        std::uint64_t n = options_.every_steps ? options_.every_steps : (options_.every_secs > 0.0 ? 0 : steps_);
        if (n && step % n == 0)
            return true;
        return options_.every_secs > 0.0 &&
               std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count() >= options_.every_secs;
    }
    void reset() {
        since_ = std::chrono::steady_clock::now();
        examples_ = 0;
    }
    std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
    std::size_t examples_ = 0;
    std::uint64_t steps_ = 100;
};

}  // namespace est::hooks

#if defined(EST_DEFINITIONS)
#include <est/estimator/hooks/impl/logging.ipp>
#endif
