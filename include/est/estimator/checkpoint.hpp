// Checkpoints in model_dir: `ckpt-<global step>.safetensors` files holding every parameter
// (tensor names "<layer>/<parameter>"), the optimizer state ("optimizer/<layer>/<parameter>/<slot>"),
// and in the metadata the global step and the model's description; plus `checkpoint_index.json`,
// which lists the kept checkpoints with the metrics of their evaluations and names the latest and
// the best. Every file is written to a temporary name, fsynced and renamed, so a crash leaves the
// previous checkpoint as the latest; keep_checkpoint_max never deletes the best.
#pragma once

#include <est/core/config.hpp>
#include <est/core/error.hpp>
#include <est/estimator/evaluation.hpp>
#include <est/io/safetensors.hpp>

#include <deque>
#include <cstdint>
#include <filesystem>
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
    EST_DECL explicit checkpoint_index(std::filesystem::path model_dir, metric_goal best_by = {});

    std::vector<checkpoint_entry> const& entries() const { return entries_; }
    std::filesystem::path path_of(checkpoint_entry const& e) const { return model_dir_ / e.file; }
    metric_goal const& best_by() const { return best_by_; }

    std::optional<checkpoint_entry> latest() const {
        return entries_.empty() ? std::nullopt : std::optional(entries_.back());
    }
    /// The kept checkpoint with the best `by.metric` among those evaluated (the later one on a tie).
    EST_DECL std::optional<checkpoint_entry> best(metric_goal const& by) const;
    std::optional<checkpoint_entry> best() const { return best(best_by_); }

    /// Records a new latest checkpoint and deletes the oldest beyond the newest `keep_max` (0 keeps
    /// all), sparing the best.
    EST_DECL void add(checkpoint_entry entry, std::uint64_t keep_max);

    /// Attaches an evaluation's metrics to the checkpoint of its global step; false if none is kept.
    EST_DECL bool record_evaluation(std::uint64_t global_step, metric_values const& metrics, std::uint64_t keep_max);

private:
    std::filesystem::path index_path() const { return model_dir_ / "checkpoint_index.json"; }

    EST_DECL void prune(std::uint64_t keep_max);

    EST_DECL void save() const;

    std::filesystem::path model_dir_;
    metric_goal best_by_;
    std::vector<checkpoint_entry> entries_;
};

/// Tensors for a checkpoint with the canonical host copies they refer to.
struct checkpoint_tensors {
    std::deque<std::vector<float>> values;  // a deque: adding one keeps the others where they are
    std::vector<io::tensor_to_save> tensors;

    EST_DECL void add(std::string name, std::vector<float> v);
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

#if defined(EST_DEFINITIONS)
#include <est/estimator/impl/checkpoint.ipp>
#endif
