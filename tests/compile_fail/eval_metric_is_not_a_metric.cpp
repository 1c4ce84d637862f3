// An eval metric is a number, not a metric that adds up over batches; the twin uses
// est::metrics::accuracy.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: an eval_metric_ops value is not a metric
// names: eval_metric_is_not_a_metric<
// names: "accuracy"
// names: double

int main() {
    auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
        auto logits = net(features["image"_f], mode);
        if constexpr (mode == est::predict) {
            auto predictions = est::fields("classes"_f = est::argmax(logits));
            return est::spec(mode, est::predictions = predictions);
        } else {
            auto loss = est::sparse_softmax_cross_entropy(labels["label"_f], logits);
            if constexpr (mode == est::train) {
                auto train_loss = loss;
                auto train_op = est::sgd(0.1f).minimize(loss);
                return est::spec(mode, est::loss = train_loss, est::train_op = train_op);
            } else {
#ifdef EST_COMPILE_FAIL
                auto metrics = est::fields("accuracy"_f = 0.9);
#else
                auto metrics = est::fields("accuracy"_f = est::metrics::accuracy(labels["label"_f], logits));
#endif
                return est::spec(mode, est::loss = loss, est::eval_metric_ops = metrics);
            }
        }
    };
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(model_fn);
    return estimator.global_step() == 0 ? 0 : 1;
}
