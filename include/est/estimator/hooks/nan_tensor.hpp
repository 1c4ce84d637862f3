// hooks::nan_tensor: reacts to a non-finite training loss. The estimator never applies the update
// of such a step; this hook decides whether training fails (the default without it) or stops
// cleanly, keeping the last finite weights and checkpointing them.
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/hook.hpp>

#include <cstdio>
#include <string>
#include <utility>

namespace est::hooks {

/// The settings of hooks::nan_tensor.
struct nan_tensor_options {
    bool fail_on_nan_loss = true;  ///< false: log to stderr and request a stop instead
    std::FILE* stream = stderr;
};

class nan_tensor {
public:
    using options = nan_tensor_options;

    nan_tensor() = default;
    explicit nan_tensor(nan_tensor_options options) : options_(std::move(options)) {}

    void after_run(run_context& context, run_values const& values) {
        if (context.mode != mode_key::train || !values.update_skipped)
            return;
        std::string what = "nan_tensor: the training loss is " + std::to_string(values.loss) + " at global step " +
                           std::to_string(context.global_step) + "; the update of this step was not applied";
        if (options_.fail_on_nan_loss)
            throw error(what);
        std::fprintf(options_.stream, "%s; stopping\n", what.c_str());
        context.request_stop();
    }

private:
    nan_tensor_options options_;
};

}  // namespace est::hooks
