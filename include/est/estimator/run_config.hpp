// Where and how a run happens, with tf.estimator.RunConfig's names and defaults, plus what
// TensorFlow passes elsewhere: the metric that picks the best checkpoint and the scaffold
// (warm start and init_fn).
#pragma once

#include <est/estimator/evaluation.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace est {

class session;

/// Fine-tuning: the parameters of `checkpoint` (a checkpoint file, or a model_dir whose latest
/// checkpoint is used) whose names ("<layer>/<parameter>") match the regular expression
/// `variables` replace the initial values (tf.estimator.WarmStartSettings).
struct warm_start_settings {
    std::string checkpoint;
    std::string variables = ".*";
};

/// Run once after the parameters are initialised, never after a restore (TF's Scaffold). A warm
/// start comes first, then init_fn. Neither runs when model_dir has a checkpoint of its own.
struct scaffold {
    std::optional<warm_start_settings> warm_start;
    std::function<void(session&)> init_fn;
};

/// Run configuration; an empty model_dir becomes a fresh temporary directory.
struct run_config {
    std::string model_dir;
    std::uint64_t seed = 0;
    std::uint64_t save_summary_steps = 100;    ///< TensorBoard summaries every N steps; 0: none
    std::uint64_t save_checkpoints_steps = 0;  ///< 0: use save_checkpoints_secs
    std::uint64_t save_checkpoints_secs = 600;
    std::uint64_t keep_checkpoint_max = 5;  ///< 0 keeps all; the best is never deleted
    std::uint64_t log_step_count_steps = 100;
    metric_goal best_checkpoint = {};  ///< which evaluated checkpoint is the best (default: lowest loss)
    est::scaffold scaffold = {};
};

}  // namespace est
