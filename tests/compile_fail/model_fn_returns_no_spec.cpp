// In PREDICT mode the model_fn returns the classes themselves instead of a spec; the twin wraps
// them in est::spec.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the model_fn returned something other than est::spec(mode, ...) in this mode
// names: model_fn_returned_no_spec<
// names: mode_key::predict

int main() {
    auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
        auto logits = net(features["image"_f], mode);
        if constexpr (mode == est::predict) {
#ifdef EST_COMPILE_FAIL
            return est::argmax(logits);
#else
            return est::spec(mode, est::predictions = est::fields("classes"_f = est::argmax(logits)));
#endif
        } else {
            auto loss = est::sparse_softmax_cross_entropy(labels["label"_f], logits);
            if constexpr (mode == est::train)
                return est::spec(mode, est::loss = loss, est::train_op = est::sgd(0.1f).minimize(loss));
            else
                return est::spec(mode, est::loss = loss);
        }
    };
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(model_fn);
    return estimator.global_step() == 0 ? 0 : 1;
}
