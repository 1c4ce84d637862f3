// Where and how a run happens, with tf.estimator.RunConfig's names and defaults, plus what
// TensorFlow passes elsewhere: the metric that picks the best checkpoint and the scaffold
// (warm start and init_fn). A model_dir's run.json records it; it is written and read here.
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/evaluation.hpp>
#include <est/io/atomic_file.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
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

namespace detail {
/// Writes model_dir/run.json: the run_config, the params (when they convert to JSON) and the
/// model's description, so that a run can be reproduced and compared with another.
template <class Params>
void write_run_description(run_config const& config, Params const& params, nlohmann::ordered_json model) {
    nlohmann::ordered_json run_config_json = {
        {"model_dir", config.model_dir},
        {"seed", config.seed},
        {"save_summary_steps", config.save_summary_steps},
        {"save_checkpoints_steps", config.save_checkpoints_steps},
        {"save_checkpoints_secs", config.save_checkpoints_secs},
        {"keep_checkpoint_max", config.keep_checkpoint_max},
        {"log_step_count_steps", config.log_step_count_steps},
        {"best_checkpoint",
         {{"metric", config.best_checkpoint.metric},
          {"goal", config.best_checkpoint.better == goal::lower ? "lower" : "higher"}}}};
    if (config.scaffold.warm_start)
        run_config_json["warm_start"] = {{"checkpoint", config.scaffold.warm_start->checkpoint},
                                         {"variables", config.scaffold.warm_start->variables}};
    nlohmann::ordered_json params_json = nullptr;
    if constexpr (requires { nlohmann::json(params); })  // what NLOHMANN_DEFINE_TYPE_* give
        params_json = nlohmann::ordered_json::parse(nlohmann::json(params).dump());
    nlohmann::ordered_json run = {
        {"run_config", std::move(run_config_json)}, {"params", std::move(params_json)}, {"model", std::move(model)}};
    io::write_file_atomically(std::filesystem::path(config.model_dir) / "run.json", run.dump(2) + "\n");
}

/// The run_config recorded in a model_dir's run.json.
inline run_config read_run_config(std::filesystem::path const& model_dir) {
    auto path = model_dir / "run.json";
    std::ifstream in(path);
    if (!in)
        throw error("'" + model_dir.string() + "' is not a model_dir: '" + path.string() + "' cannot be read");
    try {
        auto json = nlohmann::json::parse(in).at("run_config");
        auto count = [&](char const* key) {  // a float or a negative number would convert to a wrong value
            auto const& value = json.at(key);
            if (!value.is_number_unsigned())
                throw error("'" + path.string() + "' is corrupt: run_config." + key + " is " + value.dump() +
                            ", not a non-negative integer");
            return value.get<std::uint64_t>();
        };
        run_config config;
        config.model_dir = model_dir.string();
        config.seed = count("seed");
        config.save_summary_steps = count("save_summary_steps");
        config.save_checkpoints_steps = count("save_checkpoints_steps");
        config.save_checkpoints_secs = count("save_checkpoints_secs");
        config.keep_checkpoint_max = count("keep_checkpoint_max");
        config.log_step_count_steps = count("log_step_count_steps");
        if (json.contains("best_checkpoint"))
            config.best_checkpoint = {json["best_checkpoint"].at("metric").get<std::string>(),
                                      json["best_checkpoint"].at("goal") == "higher" ? goal::higher : goal::lower};
        return config;
    } catch (nlohmann::json::exception const& e) {
        throw error("'" + path.string() + "' is corrupt: " + e.what());
    }
}
}  // namespace detail

}  // namespace est
