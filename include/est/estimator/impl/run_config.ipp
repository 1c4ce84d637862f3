// Definitions of est/estimator/run_config.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/run_config.hpp>
#include <est/io/atomic_file.hpp>
#include <est/nn/impl/model_description.ipp>

#include <nlohmann/json.hpp>

#include <fstream>

namespace est {

namespace detail {
EST_DECL void write_run_description(run_config const& config, std::optional<std::string> const& params,
                                    model_description const& model) {
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
    if (params)
        params_json = nlohmann::ordered_json::parse(*params);
    nlohmann::ordered_json run = {
        {"run_config", std::move(run_config_json)}, {"params", std::move(params_json)}, {"model", as_json(model)}};
    io::write_file_atomically(std::filesystem::path(config.model_dir) / "run.json", run.dump(2) + "\n");
}

EST_DECL run_config read_run_config(std::filesystem::path const& model_dir) {
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
