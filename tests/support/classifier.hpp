// The model_fn most tests train with: a classifier reading one feature, with sparse softmax
// cross-entropy against "label", an optimizer the test chooses, and accuracy in EVAL.
#pragma once

#include <est/est.hpp>

namespace test {

/// `make_optimizer()` returns the optimizer of each TRAIN step (e.g. `[] { return est::adam(0.01f); }`).
template <est::fixed_string Feature, class MakeOptimizer>
auto classifier_model_fn(MakeOptimizer make_optimizer) {
    return [make_optimizer](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
        using namespace est::literals;
        auto logits = net(features[est::field_name<Feature>{}], mode);
        if constexpr (mode == est::predict) {
            return est::spec(mode, est::predictions = est::fields("classes"_f = est::argmax(logits)));
        } else {
            auto loss = est::sparse_softmax_cross_entropy(labels["label"_f], logits);
            if constexpr (mode == est::train)
                return est::spec(mode, est::loss = loss, est::train_op = make_optimizer().minimize(loss));
            else
                return est::spec(mode, est::loss = loss,
                                 est::eval_metric_ops =
                                     est::fields("accuracy"_f = est::metrics::accuracy(labels["label"_f], logits)));
        }
    };
}

}  // namespace test
