// Definitions of est/estimator/train_and_evaluate.hpp (see est/core/config.hpp).
#pragma once

#include <est/estimator/train_and_evaluate.hpp>
#include <est/io/atomic_file.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>

namespace est::detail {

EST_DECL void write_export(export_event const& event, std::string const& name, std::vector<std::uint64_t>& kept,
                           std::size_t keep) {
    auto base = event.model_dir / "export" / name;
    auto dir = base / std::to_string(event.global_step);
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(event.checkpoint, dir / "model.safetensors",
                               std::filesystem::copy_options::overwrite_existing);
    io::write_file_atomically(dir / "model.json", event.model.to_json(2) + "\n");
    io::write_file_atomically(dir / "metrics.json", nlohmann::ordered_json(event.metrics).dump(2) + "\n");
    std::erase(kept, event.global_step);
    kept.push_back(event.global_step);
    while (keep && kept.size() > keep) {
        std::error_code ignored;
        std::filesystem::remove_all(base / std::to_string(kept.front()), ignored);
        kept.erase(kept.begin());
    }
}

}  // namespace est::detail
