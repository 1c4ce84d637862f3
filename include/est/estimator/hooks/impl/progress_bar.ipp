// Definitions of est/estimator/hooks/progress_bar.hpp (see est/core/config.hpp).
#pragma once

#include <est/estimator/hooks/progress_bar.hpp>

namespace est::hooks {

EST_DECL void progress_bar::after_run(run_context& context, run_values const& values) {
    if (options_.display == style::off || context.mode == mode_key::predict)
        return;
    auto& bar = bar_of(context);
    ++bar.batches;
    if (std::isfinite(values.loss))
        bar.smoothed_loss = std::isnan(bar.smoothed_loss) ? values.loss : 0.95 * bar.smoothed_loss + 0.05 * values.loss;
    bar.metrics = context.mode == mode_key::eval ? values.metrics
                  : context.latest_evaluation    ? *context.latest_evaluation
                                                 : metric_values{};
    auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - bar.last_draw).count() < (terminal_ ? 0.1 : options_.plain_every_secs))
        return;
    draw(context, false);
    bar.last_draw = now;
}

EST_DECL void progress_bar::end(run_context& context) {
    if (options_.display == style::off || context.mode == mode_key::predict || bar_of(context).batches == 0)
        return;
    draw(context, true);
}

EST_DECL void progress_bar::draw(run_context const& context, bool final) {
    bool train = context.mode == mode_key::train;
    auto const& bar = bar_of(context);
    std::uint64_t done = train ? context.global_step : bar.batches;
    std::uint64_t first = bar.first_step;
    // A plain flag and value rather than std::optional: g++ 12 reports the optional's value as
    // maybe uninitialized once this is inlined.
    bool bounded = context.last_step && *context.last_step != std::numeric_limits<std::uint64_t>::max();
    std::uint64_t total = bounded ? *context.last_step : 0;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - bar.start).count();
    double rate = seconds > 0.0 ? double(done - first) / seconds : 0.0;
    std::string line = train ? "train " : "eval ";
    char buffer[128];
    if (bounded && total > first) {
        double fraction = std::min(1.0, double(done - first) / double(total - first));
        if (terminal_) {
            auto filled = std::size_t(fraction * double(options_.width));
            line += '[' + std::string(filled, '=') + (filled < options_.width ? ">" : "") +
                    std::string(options_.width - std::min(options_.width, filled + 1), ' ') + "] ";
        }
        std::snprintf(buffer, sizeof buffer, "%llu/%llu %3.0f%%", static_cast<unsigned long long>(done),
                      static_cast<unsigned long long>(total), 100.0 * fraction);
        line += buffer;
    } else {
        std::snprintf(buffer, sizeof buffer, "%llu", static_cast<unsigned long long>(done));
        line += buffer;
    }
    std::snprintf(buffer, sizeof buffer, "  %.1f it/s", rate);
    line += buffer;
    if (bounded && total > done && rate > 0.0 && !final) {
        auto eta = std::uint64_t(double(total - done) / rate);
        std::snprintf(buffer, sizeof buffer, "  ETA %llu:%02llu", static_cast<unsigned long long>(eta / 60),
                      static_cast<unsigned long long>(eta % 60));
        line += buffer;
    }
    if (train && !std::isnan(bar.smoothed_loss)) {
        std::snprintf(buffer, sizeof buffer, "  loss %.4f", bar.smoothed_loss);
        line += buffer;
    }
    for (auto const& [name, value] : bar.metrics) {
        if (name == "global_step")
            continue;
        std::snprintf(buffer, sizeof buffer, "  %s%s %.4f", train ? "eval " : "", name.c_str(), value);
        line += buffer;
    }
    if (terminal_)
        std::fprintf(options_.stream, "\r%s\x1b[K%s", line.c_str(), final ? "\n" : "");
    else
        std::fprintf(options_.stream, "%s\n", line.c_str());
    std::fflush(options_.stream);
}

}  // namespace est::hooks
