// A model_fn that forgets the params argument cannot be called as model_fn(features, labels, mode,
// model, params); the twin takes it.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the model_fn cannot be called as model_fn(features, labels, mode, model, params)
// names: model_fn_not_callable<
// names: mode_key::train

int main() {
#ifdef EST_COMPILE_FAIL
    auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net) {
        return fixture::classifier(features, labels, mode, net, est::no_params{});
    };
#else
    auto model_fn = fixture::classifier;
#endif
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(model_fn);
    return estimator.global_step() == 0 ? 0 : 1;
}
