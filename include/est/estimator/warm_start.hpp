// Warm start: initial values for a chosen subset of the parameters, from another run's
// checkpoint (fine-tuning), as tf.estimator.WarmStartSettings.
#pragma once

#include <est/core/config.hpp>
#include <est/core/error.hpp>
#include <est/estimator/checkpoint.hpp>
#include <est/estimator/run_config.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace est {

namespace detail {
/// The checkpoint file that `settings.checkpoint` names (a directory: its latest checkpoint).
EST_DECL std::filesystem::path warm_start_file(warm_start_settings const& settings);

/// Which of `names` match `settings.variables` (a regular expression; an invalid one is an error).
EST_DECL std::vector<bool> warm_start_matches(std::vector<std::string> const& names,
                                              warm_start_settings const& settings);
}  // namespace detail

/// Copies the parameters matching `settings.variables` from `settings.checkpoint` into `net` and
/// returns their names. A directory means its latest checkpoint. A matching parameter the
/// checkpoint lacks, one of another size, or a pattern that matches nothing is an error.
template <class Net>
std::vector<std::string> warm_start(Net& net, warm_start_settings const& settings) {
    auto file = detail::warm_start_file(settings);
    auto content = io::read_safetensors(file);
    std::vector<std::string> names;
    for (auto const& p : net.parameters()) names.push_back(p.name);
    auto matches = detail::warm_start_matches(names, settings);
    std::vector<std::string> restored;
    for (std::size_t i = 0; auto const& p : net.parameters()) {
        if (!matches[i++])
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

#if defined(EST_DEFINITIONS)
#include <est/estimator/impl/warm_start.ipp>
#endif
