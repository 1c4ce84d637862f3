// An eval metric is a number, not a metric that adds up over batches; the twin uses
// est::metrics::accuracy.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: an eval_metric_ops value is not a metric
// names: eval_metric_is_not_a_metric<
// names: "accuracy"
// names: double

struct parts : fixture::classifier_parts {
#ifdef EST_COMPILE_FAIL
    static auto metrics(auto const&, auto const&, auto const&) { return est::fields("accuracy"_f = 0.9); }
#endif
};

int main() {
    auto estimator =
        est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier_with<parts>);
    return estimator.global_step() == 0 ? 0 : 1;
}
