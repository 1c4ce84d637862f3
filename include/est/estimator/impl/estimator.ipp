// Definitions of est/estimator/estimator.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/estimator.hpp>

#include <filesystem>
#include <random>
#include <string>

namespace est::detail {

EST_DECL std::string make_temporary_model_dir() {
    auto base = std::filesystem::temp_directory_path();
    std::random_device entropy;
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto dir = base / ("est-model-" + std::to_string(entropy()));
        if (std::filesystem::create_directory(dir))
            return dir.string();
    }
    throw error("cannot create a temporary model_dir under " + base.string());
}

}  // namespace est::detail
