// The classifier head reports "accuracy"; more_metrics may add metrics but not a second of the
// same name. The twin names its metric top_2_accuracy.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est: two records joined into one both have a field of this name
// names: duplicate_field<
// names: accuracy

auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
    return est::heads::classifier(mode, net(features["image"_f], mode), labels, est::adam(0.01f),
                                  est::heads::more_metrics([](auto const& y, auto const& logits) {
#ifdef EST_COMPILE_FAIL
                                      return est::fields("accuracy"_f = est::metrics::top_k_accuracy(y, logits, 2));
#else
                                      return est::fields("top_2_accuracy"_f = est::metrics::top_k_accuracy(y, logits, 2));
#endif
                                  }));
};

int main() {
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(model_fn);
    return estimator.global_step() == 0 ? 0 : 1;
}
