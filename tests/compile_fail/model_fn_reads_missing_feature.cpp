// The model_fn reads "pixels", but the input only has "image"; the twin reads "image".
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est: reading a field that is not in this record
// names: no_such_field<
// names: "pixels"
// names: "image"

int main() {
    using input = fixture::input<est::shape<4, 4, 1>>;
#ifdef EST_COMPILE_FAIL
    auto estimator = est::make_estimator<fixture::model, input>(fixture::model_fn_reading("pixels"_f));
#else
    auto estimator = est::make_estimator<fixture::model, input>(fixture::model_fn_reading("image"_f));
#endif
    return estimator.global_step() == 0 ? 0 : 1;
}
