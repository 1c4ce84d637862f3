// Where and how a run happens, with tf.estimator.RunConfig's names and defaults.
#pragma once

#include <cstdint>
#include <string>

namespace est {

/// Run configuration; an empty model_dir becomes a fresh temporary directory.
struct run_config {
    std::string model_dir;
    std::uint64_t seed = 0;
    std::uint64_t save_summary_steps = 100;    ///< TensorBoard summaries every N steps; 0: none
    std::uint64_t save_checkpoints_steps = 0;  ///< 0: use save_checkpoints_secs
    std::uint64_t save_checkpoints_secs = 600;
    std::uint64_t keep_checkpoint_max = 5;
    std::uint64_t log_step_count_steps = 100;
};

}  // namespace est
