// make_estimator's first argument is a model; the failing program passes a layer, the twin the
// model made of it.
#include "estimator_fixture.hpp"

// expect: est::make_estimator<Model, Input>: Model is an est::Model
// names: not_a_model<
// names: dense<3

int main() {
#ifdef EST_COMPILE_FAIL
    auto estimator = est::make_estimator<est::dense<3>, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier);
#else
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier);
#endif
    (void)estimator;
    return 0;
}
