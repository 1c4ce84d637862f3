// A prediction is one number for the whole batch, not a batch of per-example values; the twin
// predicts per example.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the spec's predictions are not a record of batches
// names: spec_predictions_are_not_batches<
// names: mode_key::predict
// names: "classes"

struct parts : fixture::classifier_parts {
#ifdef EST_COMPILE_FAIL
    static auto predictions(auto const&) { return est::fields("classes"_f = 3); }
#endif
};

int main() {
    auto estimator =
        est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier_with<parts>);
    return estimator.global_step() == 0 ? 0 : 1;
}
