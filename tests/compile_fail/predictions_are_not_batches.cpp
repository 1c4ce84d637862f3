// A prediction is one number for the whole batch, not a batch of per-example values; the twin
// predicts per example.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the spec's predictions are not a record of batches
// names: spec_predictions_are_not_batches<
// names: mode_key::predict
// names: "classes"

int main() {
    auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
        auto logits = net(features["image"_f], mode);
        if constexpr (mode == est::predict) {
#ifdef EST_COMPILE_FAIL
            auto predictions = est::fields("classes"_f = 3);
#else
            auto predictions = est::fields("classes"_f = est::argmax(logits));
#endif
            return est::spec(mode, est::predictions = predictions);
        } else {
            auto loss = est::sparse_softmax_cross_entropy(labels["label"_f], logits);
            if constexpr (mode == est::train) {
                auto train_loss = loss;
                auto train_op = est::sgd(0.1f).minimize(loss);
                return est::spec(mode, est::loss = train_loss, est::train_op = train_op);
            } else {
                auto metrics = est::fields("accuracy"_f = est::metrics::accuracy(labels["label"_f], logits));
                return est::spec(mode, est::loss = loss, est::eval_metric_ops = metrics);
            }
        }
    };
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(model_fn);
    return estimator.global_step() == 0 ? 0 : 1;
}
