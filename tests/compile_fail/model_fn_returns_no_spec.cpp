// In PREDICT mode the model_fn returns the classes themselves instead of a spec; the twin wraps
// them in est::spec.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the model_fn returned something other than est::spec(mode, ...) in this mode
// names: model_fn_returned_no_spec<
// names: mode_key::predict

int main() {
    auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const& p) {
#ifdef EST_COMPILE_FAIL
        if constexpr (mode == est::predict)
            return est::argmax(net(features["image"_f], mode));
        else
#endif
            return fixture::classifier(features, labels, mode, net, p);
    };
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(model_fn);
    return estimator.global_step() == 0 ? 0 : 1;
}
