// The TRAIN spec's train_op is the optimizer itself, not its minimize(loss); the twin minimizes.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the TRAIN spec's train_op is not a training op
// names: spec_train_op_is_not_a_training_op<
// names: sgd

struct parts : fixture::classifier_parts {
#ifdef EST_COMPILE_FAIL
    static auto train_op(auto const&) { return est::sgd(0.1f); }
#endif
};

int main() {
    auto estimator =
        est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier_with<parts>);
    return estimator.global_step() == 0 ? 0 : 1;
}
