// Definitions of est/estimator/hooks/model_stats.hpp (see est/core/config.hpp).
#pragma once

#include <est/estimator/hooks/model_stats.hpp>
#include <est/core/error.hpp>

#include <filesystem>
#include <fstream>

namespace est::hooks {

EST_DECL void model_stats::begin(run_context& context) {
    if (written_)
        return;
    auto path = std::filesystem::path(context.config->model_dir) / options_.file_name;
    auto model = context.session->model_description();
    std::ofstream out(path);
    out << "position,layer,output_shape,parameters,macs\n";
    for (auto const& layer : model.layers) {
        std::string shape;
        for (auto extent : layer.output_shape) {
            if (!shape.empty())
                shape += 'x';
            shape += std::to_string(extent);
        }
        out << layer.position << ',' << layer.kind << ',' << (shape.empty() ? "scalar" : shape) << ','
            << layer.parameters << ',' << layer.macs << '\n';
    }
    out << "total,,," << model.parameter_count << ',' << model.macs_per_example << '\n';
    out.flush();
    if (!out)
        throw error("model_stats: cannot write '" + path.string() + "'");
    written_ = true;
}

}  // namespace est::hooks
