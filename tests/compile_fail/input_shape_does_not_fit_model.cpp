// The input gives 16-value vectors, the model takes 4x4x1 images; the twin gives images.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: the input feature does not fit the model's est::input<...>
// names: input_shape_mismatch<
// names: shape<4, 4, 1>
// names: shape<16>

int main() {
#ifdef EST_COMPILE_FAIL
    using input = fixture::input<est::shape<16>>;
#else
    using input = fixture::input<est::shape<4, 4, 1>>;
#endif
    auto estimator = est::make_estimator<fixture::model, input>(fixture::model_fn_reading("image"_f));
    return estimator.global_step() == 0 ? 0 : 1;
}
