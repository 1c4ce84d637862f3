// hooks::progress_bar: on a terminal, one live line per run (steps, it/s, ETA when the total is
// known, smoothed training loss, the last evaluation's metrics; during an evaluation its running
// metrics); when output is not a terminal, a plain line every few seconds and at the end.
// `display = off` silences it.
#pragma once

#include <est/core/config.hpp>
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
    EST_DECL void after_run(run_context& context, run_values const& values);
    EST_DECL void end(run_context& context);

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

    EST_DECL void draw(run_context const& context, bool final);

    bool terminal_ = false;
    bar_state train_, eval_;
};

}  // namespace est::hooks

#if defined(EST_DEFINITIONS)
#include <est/estimator/hooks/impl/progress_bar.ipp>
#endif
