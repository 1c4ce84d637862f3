// After the optimizer, a head takes label smoothing, a regularization and more metrics; the failing
// program passes a bare number where it meant label smoothing.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::heads: after the optimizer come only est::label_smoothing
// names: head_extra_not_understood<float>

auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
#ifdef EST_COMPILE_FAIL
    return est::heads::classifier(mode, net(features["image"_f], mode), labels, est::adam(0.01f), 0.1f);
#else
    return est::heads::classifier(mode, net(features["image"_f], mode), labels, est::adam(0.01f),
                                  est::label_smoothing{0.1f});
#endif
};

int main() {
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(model_fn);
    return estimator.global_step() == 0 ? 0 : 1;
}
