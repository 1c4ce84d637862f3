// Definitions of est/estimator/hooks/logging.hpp (see est/core/config.hpp).
#pragma once

#include <est/estimator/hooks/logging.hpp>

namespace est::hooks {

EST_DECL void logging::after_run(run_context& context, run_values const& values) {
    if (context.mode != mode_key::train || values.update_skipped)
        return;
    examples_ += values.batch_size;
    if (!due(context.global_step))
        return;
    auto now = std::chrono::steady_clock::now();
    double seconds = std::chrono::duration<double>(now - since_).count();
    std::string line = "step " + std::to_string(context.global_step);
    char buffer[160];
    std::snprintf(buffer, sizeof buffer, "  loss %.4f  lr %.6g  %.1f examples/s", double(values.loss),
                  double(values.learning_rate), seconds > 0.0 ? double(examples_) / seconds : 0.0);
    line += buffer;
    for (auto const& [name, v] : values.tensors) {
        double sum = 0.0, largest = 0.0;
        for (float x : v) {
            sum += x;
            largest = std::max(largest, double(x < 0 ? -x : x));
        }
        std::snprintf(buffer, sizeof buffer, "  %s mean %.4g max|x| %.4g", name.c_str(),
                      v.empty() ? 0.0 : sum / double(v.size()), largest);
        line += buffer;
    }
    std::fprintf(options_.stream, "%s\n", line.c_str());
    std::fflush(options_.stream);
    reset();
}

}  // namespace est::hooks
