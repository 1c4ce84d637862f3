// The TRAIN spec's loss is a float, not a loss (which carries its gradient); the twin gives the
// loss.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the spec's loss is not a loss
// names: spec_loss_is_not_a_loss<
// names: mode_key::train
// names: float

struct parts : fixture::classifier_parts {
#ifdef EST_COMPILE_FAIL
    static auto train_loss(auto const&) { return 0.5f; }
#endif
};

int main() {
    auto estimator =
        est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier_with<parts>);
    return estimator.global_step() == 0 ? 0 : 1;
}
