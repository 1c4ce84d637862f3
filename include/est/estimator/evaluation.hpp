// The result of an evaluation, and which direction of a metric is better.
#pragma once

#include <map>
#include <string>

namespace est {

/// Every metric of an evaluation by name, plus "loss" and "global_step".
using evaluation = std::map<std::string, double>;

/// Whether a smaller or a larger value of a metric is better.
enum class goal { lower, higher };

/// A metric and its direction, e.g. {"accuracy", goal::higher}.
struct metric_goal {
    std::string metric = "loss";
    goal better = goal::lower;

    bool improves(double candidate, double reference, double min_delta = 0.0) const {
        return better == goal::lower ? candidate < reference - min_delta : candidate > reference + min_delta;
    }
};

}  // namespace est
