// An eval metric named "loss" would clash with the loss evaluate() reports; the twin names it
// "mean_loss".
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: an eval metric is named loss or global_step
// names: eval_metric_name_is_reserved<
// names: "loss"

struct parts : fixture::classifier_parts {
#ifdef EST_COMPILE_FAIL
    static auto metrics(auto const&, auto const&, auto const& loss) { return est::fields("loss"_f = est::metrics::mean(loss)); }
#else
    static auto metrics(auto const&, auto const&, auto const& loss) {
        return est::fields("mean_loss"_f = est::metrics::mean(loss));
    }
#endif
};

int main() {
    auto estimator =
        est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier_with<parts>);
    return estimator.global_step() == 0 ? 0 : 1;
}
