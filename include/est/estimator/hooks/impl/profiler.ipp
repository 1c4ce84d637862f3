// Definitions of est/estimator/hooks/profiler.hpp (see est/core/config.hpp).
#pragma once

#include <est/estimator/hooks/profiler.hpp>

#include <est/core/error.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace est::hooks {

EST_DECL void profiler::end(run_context& context) {
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

}  // namespace est::hooks
