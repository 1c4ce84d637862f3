// What a model is, layer by layer (position, kind, output shape, parameters, MACs) and in total: what
// a run records in run.json, checkpoints and exports so that it can be reproduced and compared, and
// what model_stats writes. A plain value; its JSON form is made where it is written.
#pragma once

#include <est/core/config.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace est {

/// One layer of a model_description (position 0 is the input).
struct layer_description {
    std::size_t position = 0;
    std::string kind;
    std::vector<std::size_t> output_shape;
    std::size_t parameters = 0;
    std::size_t macs = 0;

    friend bool operator==(layer_description const&, layer_description const&) = default;
};

/// A model's layers and totals (sequential::description()).
struct model_description {
    std::vector<layer_description> layers;
    std::size_t parameter_count = 0;
    std::size_t macs_per_example = 0;

    /// As JSON text ({"layers": [{"position", "kind", "output_shape", "parameters", "macs"}...],
    /// "parameter_count", "macs_per_example"}), on one line by default or indented by `indent`.
    EST_DECL std::string to_json(int indent = -1) const;

    friend bool operator==(model_description const&, model_description const&) = default;
};

}  // namespace est

#if defined(EST_DEFINITIONS)
#include <est/nn/impl/model_description.ipp>
#endif
