// The model_fn reads "pixels", but the input only has "image"; the twin reads "image".
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est: reading a field that is not in this record
// expect: no_such_field<est::field_name<est::fixed_string{"pixels"}>, est::field_name<est::fixed_string{"image"}> >

int main() {
    using input = decltype(fixture::input<est::shape<4, 4, 1>>());
#ifdef EST_COMPILE_FAIL
    est::estimator<fixture::model, input> estimator(fixture::model_fn_reading("pixels"_f));
#else
    est::estimator<fixture::model, input> estimator(fixture::model_fn_reading("image"_f));
#endif
    return estimator.global_step() == 0 ? 0 : 1;
}
