// eval_metric_ops is given one metric instead of a record of named metrics; the twin names it.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the EVAL spec's eval_metric_ops is not a record
// names: spec_eval_metric_ops_is_not_a_record<
// names: mode_key::eval

struct parts : fixture::classifier_parts {
#ifdef EST_COMPILE_FAIL
    static auto metrics(auto const& labels, auto const& logits, auto const&) {
        return est::metrics::accuracy(labels["label"_f], logits);
    }
#endif
};

int main() {
    auto estimator =
        est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier_with<parts>);
    return estimator.global_step() == 0 ? 0 : 1;
}
