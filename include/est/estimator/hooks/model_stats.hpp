// hooks::model_stats: writes model_dir/model_stats.csv, every layer's output shape, parameters and
// MACs per example, from the model's compile-time numbers.
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/hook.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

namespace est::hooks {

/// The settings of hooks::model_stats.
struct model_stats_options {
    std::string file_name = "model_stats.csv";
};

class model_stats {
public:
    using options = model_stats_options;

    model_stats() = default;
    explicit model_stats(model_stats_options options) : options_(std::move(options)) {}

    void begin(run_context& context) {
        if (written_)
            return;
        auto path = std::filesystem::path(context.config->model_dir) / options_.file_name;
        auto model = context.session->model_description();
        std::ofstream out(path);
        out << "position,layer,output_shape,parameters,macs\n";
        for (auto const& layer : model["layers"]) {
            std::string shape;
            for (auto const& extent : layer["output_shape"]) {
                if (!shape.empty())
                    shape += 'x';
                shape += std::to_string(extent.get<std::size_t>());
            }
            out << layer["position"].get<std::size_t>() << ',' << layer["kind"].get<std::string>() << ','
                << (shape.empty() ? "scalar" : shape) << ',' << layer["parameters"].get<std::size_t>() << ','
                << layer["macs"].get<std::size_t>() << '\n';
        }
        out << "total,,," << model["parameter_count"].get<std::size_t>() << ','
            << model["macs_per_example"].get<std::size_t>() << '\n';
        out.flush();
        if (!out)
            throw error("model_stats: cannot write '" + path.string() + "'");
        written_ = true;
    }

private:
    model_stats_options options_;
    bool written_ = false;
};

}  // namespace est::hooks
