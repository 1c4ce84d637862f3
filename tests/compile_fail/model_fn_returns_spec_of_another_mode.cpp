// In EVAL mode the model_fn returns a spec built for TRAIN; the twin builds it for the mode it is
// called with.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the model_fn returned the spec of another mode than the one it was called with
// names: model_fn_returned_spec_of_another_mode<
// names: mode_key::eval
// names: mode_key::train

int main() {
    auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
        auto logits = net(features["image"_f], mode);
        if constexpr (mode == est::predict) {
            return est::spec(mode, est::predictions = est::fields("classes"_f = est::argmax(logits)));
        } else {
            auto loss = est::sparse_softmax_cross_entropy(labels["label"_f], logits);
#ifdef EST_COMPILE_FAIL
            return est::spec(est::train, est::loss = loss, est::train_op = est::sgd(0.1f).minimize(loss));
#else
            if constexpr (mode == est::train)
                return est::spec(mode, est::loss = loss, est::train_op = est::sgd(0.1f).minimize(loss));
            else
                return est::spec(mode, est::loss = loss);
#endif
        }
    };
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(model_fn);
    return estimator.global_step() == 0 ? 0 : 1;
}
