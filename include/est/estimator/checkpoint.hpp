// Checkpoints in model_dir: `ckpt-<global step>.safetensors` files holding every parameter
// (tensor names "<layer>/<parameter>"), the optimizer state ("optimizer/<layer>/<parameter>/<slot>"),
// and in the metadata the global step and the model's description; plus `checkpoint_index.json`,
// which lists the kept checkpoints with the metrics of their evaluations and names the latest and
// the best. Every file is written to a temporary name, fsynced and renamed, so a crash leaves the
// previous checkpoint as the latest; keep_checkpoint_max never deletes the best.
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/evaluation.hpp>
#include <est/io/atomic_file.hpp>
#include <est/io/safetensors.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <deque>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace est {

/// One kept checkpoint.
struct checkpoint_entry {
    std::string file;  ///< relative to model_dir
    std::uint64_t global_step = 0;
    metric_values metrics = {};  ///< of the evaluation at this step, if there was one
};

/// The kept checkpoints of a model_dir, oldest first; the last one is the latest. The best is the
/// evaluated one with the best value of `best_by`'s metric.
class checkpoint_index {
public:
    explicit checkpoint_index(std::filesystem::path model_dir, metric_goal best_by = {})
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

    std::vector<checkpoint_entry> const& entries() const { return entries_; }
    std::filesystem::path path_of(checkpoint_entry const& e) const { return model_dir_ / e.file; }
    metric_goal const& best_by() const { return best_by_; }

    std::optional<checkpoint_entry> latest() const {
        return entries_.empty() ? std::nullopt : std::optional(entries_.back());
    }
    /// The kept checkpoint with the best `by.metric` among those evaluated (the later one on a tie).
    std::optional<checkpoint_entry> best(metric_goal const& by) const {
        std::optional<checkpoint_entry> best;
        for (auto const& e : entries_) {
            auto value = e.metrics.find(by.metric);
            if (value && (!best || !by.improves(best->metrics[by.metric], *value)))
                best = e;
        }
        return best;
    }
    std::optional<checkpoint_entry> best() const { return best(best_by_); }

    /// Records a new latest checkpoint and deletes the oldest beyond the newest `keep_max` (0 keeps
    /// all), sparing the best.
    void add(checkpoint_entry entry, std::uint64_t keep_max) {
        for (auto const& e : entries_)  // a rewrite of the same step keeps its evaluation
            if (e.file == entry.file && e.global_step == entry.global_step && entry.metrics.empty())
                entry.metrics = e.metrics;
        std::erase_if(entries_, [&](checkpoint_entry const& e) { return e.file == entry.file; });
        entries_.push_back(std::move(entry));
        prune(keep_max);
    }

    /// Attaches an evaluation's metrics to the checkpoint of its global step; false if none is kept.
    bool record_evaluation(std::uint64_t global_step, metric_values const& metrics, std::uint64_t keep_max) {
        auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](checkpoint_entry const& e) { return e.global_step == global_step; });
        if (it == entries_.end())
            return false;
        it->metrics = metrics;
        prune(keep_max);
        return true;
    }

private:
    std::filesystem::path index_path() const { return model_dir_ / "checkpoint_index.json"; }

    void prune(std::uint64_t keep_max) {
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

    void save() const {
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

    std::filesystem::path model_dir_;
    metric_goal best_by_;
    std::vector<checkpoint_entry> entries_;
};

/// Tensors for a checkpoint with the canonical host copies they refer to.
struct checkpoint_tensors {
    std::deque<std::vector<float>> values;  // a deque: adding one keeps the others where they are
    std::vector<io::tensor_to_save> tensors;

    void add(std::string name, std::vector<float> v) {
        values.push_back(std::move(v));
        tensors.push_back({std::move(name), {values.back().size()}, values.back()});
    }
};

/// Every parameter of a model, by name ("<layer>/<parameter>"), canonical.
template <class Net>
checkpoint_tensors model_tensors(Net const& net) {
    checkpoint_tensors out;
    for (auto const& p : net.parameters()) out.add(p.name, net.read(p));
    return out;
}

/// Copies a checkpoint's parameters into `net`; every parameter must be there with its size.
template <class Net>
void restore_model(Net& net, io::safetensors_content const& content, std::filesystem::path const& file) {
    for (auto const& p : net.parameters()) {
        auto it = content.tensors.find(p.name);
        if (it == content.tensors.end() || it->second.values.size() != p.spec.size)
            throw error("checkpoint '" + file.string() + "' lacks parameter '" + p.name + "' of " +
                        std::to_string(p.spec.size) + " values");
        net.write(p, it->second.values);
    }
}

}  // namespace est
