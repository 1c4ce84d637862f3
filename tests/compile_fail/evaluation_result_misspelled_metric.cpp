// evaluate() returns a record of the EVAL spec's metrics, "loss" and "global_step": a misspelled
// metric does not compile and names the fields there are; the twin reads "accuracy".
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est: reading a field that is not in this record
// names: no_such_field<
// names: "acuracy"
// names: "accuracy"
// names: "global_step"

int main() {
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier);
    auto result = estimator.evaluate(fixture::dataset<est::shape<4, 4, 1>>);
#ifdef EST_COMPILE_FAIL
    return result["acuracy"_f] > 0.5 ? 0 : 1;
#else
    return result["accuracy"_f] > 0.5 ? 0 : 1;
#endif
}
