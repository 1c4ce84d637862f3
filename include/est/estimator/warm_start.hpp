// Warm start: initial values for a chosen subset of the parameters, from another run's
// checkpoint (fine-tuning), as tf.estimator.WarmStartSettings.
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/checkpoint.hpp>
#include <est/estimator/run_config.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

namespace est {

/// Copies the parameters matching `settings.variables` from `settings.checkpoint` into `net` and
/// returns their names. A directory means its latest checkpoint. A matching parameter the
/// checkpoint lacks, one of another size, or a pattern that matches nothing is an error.
template <class Net>
std::vector<std::string> warm_start(Net& net, warm_start_settings const& settings) {
    std::filesystem::path file = settings.checkpoint;
    if (std::filesystem::is_directory(file)) {
        auto latest = checkpoint_index(file).latest();
        if (!latest)
            throw error("warm start: '" + file.string() + "' has no checkpoint");
        file = checkpoint_index(file).path_of(*latest);
    }
    auto content = io::read_safetensors(file);
    std::regex pattern;
    try {
        pattern = std::regex(settings.variables);
    } catch (std::regex_error const& e) {
        throw error("warm start: variables '" + settings.variables + "' is not a regular expression: " + e.what());
    }
    std::vector<std::string> restored;
    for (auto const& p : net.parameters()) {
        if (!std::regex_match(p.name, pattern))
            continue;
        auto it = content.tensors.find(p.name);
        if (it == content.tensors.end())
            throw error("warm start: checkpoint '" + file.string() + "' has no parameter '" + p.name + "'");
        if (it->second.values.size() != p.spec.size)
            throw error("warm start: parameter '" + p.name + "' has " + std::to_string(it->second.values.size()) +
                        " values in '" + file.string() + "' and " + std::to_string(p.spec.size) + " in the model");
        net.write(p, it->second.values);
        restored.push_back(p.name);
    }
    if (restored.empty())
        throw error("warm start: no parameter of the model matches '" + settings.variables + "'");
    return restored;
}

}  // namespace est
