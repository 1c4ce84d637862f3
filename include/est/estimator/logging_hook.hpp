// The hook behind the progress lines of training: every log_step_count_steps it prints the step,
// the loss and the examples per second since the last line.
#pragma once

#include <est/estimator/hook.hpp>

#include <chrono>
#include <cstdio>

namespace est::hooks {

/// Prints "step 200  loss 0.4213  lr 0.001  12345.6 examples/s" during training.
struct logging {
    std::FILE* stream = stdout;

    void begin(run_context&) { reset(); }
    void after_run(run_context& context, run_values const& values) {
        if (context.mode != mode_key::train)
            return;
        examples_ += values.batch_size;
        std::uint64_t every =
            context.config && context.config->log_step_count_steps ? context.config->log_step_count_steps : 100;
        if (context.global_step % every != 0)
            return;
        auto now = std::chrono::steady_clock::now();
        double seconds = std::chrono::duration<double>(now - since_).count();
        std::fprintf(stream, "step %llu  loss %.4f  lr %.6g  %.1f examples/s\n",
                     static_cast<unsigned long long>(context.global_step), double(values.loss),
                     double(values.learning_rate), seconds > 0.0 ? double(examples_) / seconds : 0.0);
        std::fflush(stream);
        reset();
    }

private:
    void reset() {
        since_ = std::chrono::steady_clock::now();
        examples_ = 0;
    }
    std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
    std::size_t examples_ = 0;
};

}  // namespace est::hooks
