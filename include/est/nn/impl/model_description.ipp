// Definitions of est/nn/model_description.hpp (see est/core/config.hpp).
#pragma once

#include <est/nn/model_description.hpp>

#include <nlohmann/json.hpp>

namespace est {

namespace detail {
inline nlohmann::ordered_json as_json(model_description const& model) {
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (auto const& layer : model.layers)
        layers.push_back({{"position", layer.position},
                          {"kind", layer.kind},
                          {"output_shape", layer.output_shape},
                          {"parameters", layer.parameters},
                          {"macs", layer.macs}});
    return {{"layers", std::move(layers)},
            {"parameter_count", model.parameter_count},
            {"macs_per_example", model.macs_per_example}};
}
}  // namespace detail

EST_DECL std::string model_description::to_json(int indent) const { return detail::as_json(*this).dump(indent); }

}  // namespace est
