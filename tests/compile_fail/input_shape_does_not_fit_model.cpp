// The input gives 16-value vectors, the model takes 4x4x1 images; the twin gives images.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: the input feature does not fit the model's est::input<...>
// expect: input_shape_mismatch<est::shape<4, 4, 1>, est::shape<16>, float>

int main() {
#ifdef EST_COMPILE_FAIL
    using input = decltype(fixture::input<est::shape<16>>());
#else
    using input = decltype(fixture::input<est::shape<4, 4, 1>>());
#endif
    est::estimator<fixture::model, input> estimator(fixture::model_fn_reading("image"_f));
    return estimator.global_step() == 0 ? 0 : 1;
}
