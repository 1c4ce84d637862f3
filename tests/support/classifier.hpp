// The model_fn most tests train with: est::heads::classifier over one feature and "label", with an
// optimizer the test chooses.
#pragma once

#include <est/est.hpp>

namespace test {

/// `make_optimizer()` returns the optimizer of each TRAIN step (e.g. `[] { return est::adam(0.01f); }`).
template <est::fixed_string Feature, class MakeOptimizer>
auto classifier_model_fn(MakeOptimizer make_optimizer) {
    return [make_optimizer](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
        return est::heads::classifier(mode, net(features[est::field_name<Feature>{}], mode), labels, make_optimizer());
    };
}

}  // namespace test
