// hooks::progress_bar: on a terminal, one live line per run (steps, it/s, ETA when the total is
// known, smoothed training loss, the last evaluation's metrics; during an evaluation its running
// metrics); when output is not a terminal, a plain line every few seconds and at the end.
// `display = off` silences it.
#pragma once

#include <est/estimator/hook.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <utility>

namespace est::hooks {

/// The settings of hooks::progress_bar.
struct progress_bar_options {
    enum class style { automatic, terminal, plain, off };
    style display = style::automatic;  ///< automatic: terminal if the stream is a TTY
    std::FILE* stream = stderr;
    double plain_every_secs = 10.0;  ///< plain lines at most this often
    std::size_t width = 30;          ///< characters of the bar
};

class progress_bar {
public:
    using options = progress_bar_options;
    using style = progress_bar_options::style;

    progress_bar() = default;
    explicit progress_bar(progress_bar_options options) : options_(std::move(options)) {}

    void begin(run_context& context) {
        terminal_ = options_.display == style::terminal ||
                    (options_.display == style::automatic && ::isatty(::fileno(options_.stream)) == 1);
        bar_of(context) = {};
        bar_of(context).first_step = context.mode == mode_key::train ? context.global_step : 0;
    }
    void after_run(run_context& context, run_values const& values) {
        if (options_.display == style::off || context.mode == mode_key::predict)
            return;
        auto& bar = bar_of(context);
        ++bar.batches;
        if (std::isfinite(values.loss))
            bar.smoothed_loss =
                std::isnan(bar.smoothed_loss) ? values.loss : 0.95 * bar.smoothed_loss + 0.05 * values.loss;
        bar.metrics = context.mode == mode_key::eval ? values.metrics
                      : context.latest_evaluation    ? *context.latest_evaluation
                                                     : metric_values{};
        auto now = std::chrono::steady_clock::now();
        if (std::chrono::duration<double>(now - bar.last_draw).count() < (terminal_ ? 0.1 : options_.plain_every_secs))
            return;
        draw(context, false);
        bar.last_draw = now;
    }
    void end(run_context& context) {
        if (options_.display == style::off || context.mode == mode_key::predict || bar_of(context).batches == 0)
            return;
        draw(context, true);
    }

private:
    progress_bar_options options_;
    struct bar_state {
        std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), last_draw = start;
        std::uint64_t first_step = 0;
        std::uint64_t batches = 0;
        double smoothed_loss = NAN;
        metric_values metrics;
    };
    bar_state& bar_of(run_context const& context) { return context.mode == mode_key::train ? train_ : eval_; }

    void draw(run_context const& context, bool final) {
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

    bool terminal_ = false;
    bar_state train_, eval_;
};

}  // namespace est::hooks
