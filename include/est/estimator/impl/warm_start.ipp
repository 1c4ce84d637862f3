// Definitions of est/estimator/warm_start.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/checkpoint.hpp>
#include <est/estimator/warm_start.hpp>

#include <regex>

namespace est::detail {

EST_DECL std::filesystem::path warm_start_file(warm_start_settings const& settings) {
    std::filesystem::path file = settings.checkpoint;
    if (std::filesystem::is_directory(file)) {
        auto latest = checkpoint_index(file).latest();
        if (!latest)
            throw error("warm start: '" + file.string() + "' has no checkpoint");
        file = checkpoint_index(file).path_of(*latest);
    }
    return file;
}

EST_DECL std::vector<bool> warm_start_matches(std::vector<std::string> const& names,
                                              warm_start_settings const& settings) {
    std::regex pattern;
    try {
        pattern = std::regex(settings.variables);
    } catch (std::regex_error const& e) {
        throw error("warm start: variables '" + settings.variables + "' is not a regular expression: " + e.what());
    }
    std::vector<bool> matches;
    for (auto const& name : names) matches.push_back(std::regex_match(name, pattern));
    return matches;
}

}  // namespace est::detail
