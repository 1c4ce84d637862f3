// Definitions of est/estimator/checkpoint.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/checkpoint.hpp>
#include <est/io/atomic_file.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace est {

EST_DECL checkpoint_index::checkpoint_index(std::filesystem::path model_dir, metric_goal best_by)
    : model_dir_(std::move(model_dir)), best_by_(std::move(best_by)) {
    auto path = index_path();
    if (!std::filesystem::exists(path))
        return;
    try {
        auto json = nlohmann::json::parse(std::ifstream(path));
        for (auto const& c : json.at("checkpoints")) {
            auto const& step = c.at("global_step");
            if (!step.is_number_unsigned())  // a float would convert to a wrong or undefined step
                throw error("checkpoint index '" + path.string() + "' is corrupt: global_step " + step.dump() +
                            " is not a non-negative integer");
            entries_.push_back(
                {c.at("file").get<std::string>(), step.get<std::uint64_t>(), c.value("metrics", metric_values{})});
        }
    } catch (nlohmann::json::exception const& e) {
        throw error("checkpoint index '" + path.string() + "' is corrupt: " + e.what());
    }
}

EST_DECL std::optional<checkpoint_entry> checkpoint_index::best(metric_goal const& by) const {
    std::optional<checkpoint_entry> best;
    for (auto const& e : entries_) {
        auto value = e.metrics.find(by.metric);
        if (value && (!best || !by.improves(best->metrics[by.metric], *value)))
            best = e;
    }
    return best;
}

EST_DECL void checkpoint_index::add(checkpoint_entry entry, std::uint64_t keep_max) {
    for (auto const& e : entries_)  // a rewrite of the same step keeps its evaluation
        if (e.file == entry.file && e.global_step == entry.global_step && entry.metrics.empty())
            entry.metrics = e.metrics;
    std::erase_if(entries_, [&](checkpoint_entry const& e) { return e.file == entry.file; });
    entries_.push_back(std::move(entry));
    prune(keep_max);
}

EST_DECL bool checkpoint_index::record_evaluation(std::uint64_t global_step, metric_values const& metrics,
                                                  std::uint64_t keep_max) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](checkpoint_entry const& e) { return e.global_step == global_step; });
    if (it == entries_.end())
        return false;
    it->metrics = metrics;
    prune(keep_max);
    return true;
}

EST_DECL void checkpoint_index::prune(std::uint64_t keep_max) {
    auto best_file = best() ? best()->file : std::string();
    std::vector<checkpoint_entry> dropped;
    auto is_best = [&](checkpoint_entry const& e) { return e.file == best_file; };
    // The newest keep_max stay, and the best beside them.
    while (keep_max &&
           std::uint64_t(entries_.size() - std::count_if(entries_.begin(), entries_.end(), is_best)) > keep_max) {
        auto victim = std::find_if_not(entries_.begin(), entries_.end(), is_best);
        dropped.push_back(*victim);
        entries_.erase(victim);
    }
    save();
    for (auto const& e : dropped) {  // only once the index no longer names them
        std::error_code ignored;
        std::filesystem::remove(path_of(e), ignored);
    }
}

EST_DECL void checkpoint_index::save() const {
    nlohmann::ordered_json json;
    json["latest"] = entries_.empty() ? "" : entries_.back().file;
    auto best_entry = best();
    json["best"] = best_entry ? best_entry->file : "";
    json["best_by"] = {{"metric", best_by_.metric}, {"goal", best_by_.better == goal::lower ? "lower" : "higher"}};
    json["checkpoints"] = nlohmann::ordered_json::array();
    for (auto const& e : entries_) {
        nlohmann::ordered_json c = {{"file", e.file}, {"global_step", e.global_step}};
        if (!e.metrics.empty())
            c["metrics"] = e.metrics;
        json["checkpoints"].push_back(std::move(c));
    }
    io::write_file_atomically(index_path(), json.dump(2) + "\n");
}

EST_DECL void checkpoint_tensors::add(std::string name, std::vector<float> v) {
    values.push_back(std::move(v));
    tensors.push_back({std::move(name), {values.back().size()}, values.back()});
}

}  // namespace est
