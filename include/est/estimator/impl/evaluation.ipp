// Definitions of est/estimator/evaluation.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/evaluation.hpp>

namespace est {

EST_DECL void metric_values::set(std::string_view name, double value) {
    for (auto& [n, v] : values_)
        if (n == name) {
            v = value;
            return;
        }
    values_.emplace_back(std::string(name), value);
}

EST_DECL std::optional<double> metric_values::find(std::string_view name) const {
    for (auto const& [n, v] : values_)
        if (n == name)
            return v;
    return std::nullopt;
}

EST_DECL double metric_values::operator[](std::string_view name) const {
    if (auto value = find(name))
        return *value;
    std::string known;
    for (auto const& [n, v] : values_) known += (known.empty() ? "" : ", ") + n;
    throw error("the evaluation has no metric '" + std::string(name) + "' (it has: " + known + ")");
}

}  // namespace est
