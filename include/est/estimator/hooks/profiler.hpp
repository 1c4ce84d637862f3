// hooks::profiler: where the time of training goes, per phase (input wait, forward, backward,
// update, hooks), summed over the run; printed at the end and written to model_dir/profile.json.
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/hook.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
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
    void end(run_context& context) {
        if (context.mode != mode_key::train || steps_ == 0)
            return;
        double sum = total_.input + total_.forward + total_.backward + total_.update + total_.hooks;
        nlohmann::ordered_json json = {{"steps", steps_},
                                       {"seconds",
                                        {{"input", total_.input},
                                         {"forward", total_.forward},
                                         {"backward", total_.backward},
                                         {"update", total_.update},
                                         {"hooks", total_.hooks}}}};
        if (options_.stream) {
            std::fprintf(options_.stream, "profile of %llu steps:\n", static_cast<unsigned long long>(steps_));
            for (auto const& [phase, seconds] : json["seconds"].items())
                std::fprintf(options_.stream, "  %-9s %9.3f s  %5.1f%%  %8.3f ms/step\n", phase.c_str(),
                             seconds.get<double>(), sum > 0.0 ? 100.0 * seconds.get<double>() / sum : 0.0,
                             1e3 * seconds.get<double>() / double(steps_));
            std::fflush(options_.stream);
        }
        if (options_.write_json) {
            auto path = std::filesystem::path(context.config->model_dir) / "profile.json";
            std::ofstream out(path);
            out << json.dump(2) << '\n';
            if (!out)
                throw error("profiler: cannot write '" + path.string() + "'");
        }
    }

    phase_times const& total() const { return total_; }
    std::uint64_t steps() const { return steps_; }

private:
    profiler_options options_;
    phase_times total_;
    std::uint64_t steps_ = 0;
};

}  // namespace est::hooks
