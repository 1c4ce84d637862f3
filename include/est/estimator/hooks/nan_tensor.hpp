// hooks::nan_tensor: reacts to a non-finite training loss. The estimator never applies the update
// of such a step; this hook decides whether training fails (the default without it) or stops
// cleanly, keeping the last finite weights and checkpointing them.
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/hook.hpp>

#include <cstdio>
#include <string>

namespace est::hooks {

struct nan_tensor {
    bool fail_on_nan_loss = true;  ///< false: log to stderr and request a stop instead
    std::FILE* stream = stderr;

    void after_run(run_context& context, run_values const& values) {
        if (context.mode != mode_key::train || !values.update_skipped)
            return;
        std::string what = "nan_tensor: the training loss is " + std::to_string(values.loss) + " at global step " +
                           std::to_string(context.global_step) + "; the update of this step was not applied";
        if (fail_on_nan_loss)
            throw error(what);
        std::fprintf(stream, "%s; stopping\n", what.c_str());
        context.request_stop();
    }
};

}  // namespace est::hooks
