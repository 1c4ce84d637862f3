// Where and how a run happens, with tf.estimator.RunConfig's names and defaults, plus what
// TensorFlow passes elsewhere: the metric that picks the best checkpoint and the scaffold
// (warm start and init_fn). A model_dir's run.json records it; it is written and read here.
#pragma once

#include <est/core/config.hpp>
#include <est/estimator/evaluation.hpp>
#include <est/nn/model_description.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
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
    std::uint64_t save_summary_steps = 100;    ///< TensorBoard summaries every N steps, and at the first of
                                               ///< each train() call; 0: none
    std::uint64_t save_checkpoints_steps = 0;  ///< 0: use save_checkpoints_secs
    std::uint64_t save_checkpoints_secs = 600;
    std::uint64_t keep_checkpoint_max = 5;  ///< 0 keeps all; the best is never deleted
    std::uint64_t log_step_count_steps = 100;
    metric_goal best_checkpoint = {};  ///< which evaluated checkpoint is the best (default: lowest loss)
    est::scaffold scaffold = {};
};

namespace detail {
/// The params as JSON text, when argument-dependent lookup finds a `to_json(nlohmann::json&, Params
/// const&)` for them (what NLOHMANN_DEFINE_TYPE_* define, in the user's code, which includes
/// nlohmann/json.hpp); otherwise none, and run.json records null. est's headers only declare
/// nlohmann::json, so the test cannot be "anything nlohmann converts" (a map, an adl_serializer
/// specialization) without making its answer depend on what a translation unit included.
template <class Params, class Json = nlohmann::json>
std::optional<std::string> params_as_json(Params const& params) {
    if constexpr (requires(Json & json) { to_json(json, params); })
        return Json(params).dump();
    else
        return std::nullopt;
}

/// Writes model_dir/run.json: the run_config, the params (JSON text, when they convert to JSON)
/// and the model's description, so that a run can be reproduced and compared with another.
EST_DECL void write_run_description(run_config const& config, std::optional<std::string> const& params,
                                    model_description const& model);

/// The run_config recorded in a model_dir's run.json.
EST_DECL run_config read_run_config(std::filesystem::path const& model_dir);
}  // namespace detail

}  // namespace est

#if defined(EST_DEFINITIONS)
#include <est/estimator/impl/run_config.ipp>
#endif
