// A head takes each kind of extra at most once; the failing program gives label smoothing twice
// (the second would be ignored), its twin once.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::heads: each kind of extra
// names: head_extra_given_twice<est::label_smoothing>

auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
#ifdef EST_COMPILE_FAIL
    return est::heads::classifier(mode, net(features["image"_f], mode), labels, est::adam(0.01f),
                                  est::label_smoothing{0.1f}, est::label_smoothing{0.2f});
#else
    return est::heads::classifier(mode, net(features["image"_f], mode), labels, est::adam(0.01f),
                                  est::label_smoothing{0.2f});
#endif
};

int main() {
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(model_fn);
    return estimator.global_step() == 0 ? 0 : 1;
}
