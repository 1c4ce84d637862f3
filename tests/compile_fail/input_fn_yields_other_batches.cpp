// The estimator's Input names 4x4x1 images, but the input_fn's dataset yields 16-value vectors; the
// twin's dataset yields the images.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the input_fn's dataset yields other batches than the estimator's Input
// names: input_element_mismatch<
// names: shape<4, 4, 1>
// names: shape<16>

int main() {
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier);
#ifdef EST_COMPILE_FAIL
    estimator.train(fixture::dataset<est::shape<16>>);
#else
    estimator.train(fixture::dataset<est::shape<4, 4, 1>>);
#endif
    return estimator.global_step() == 1 ? 0 : 1;
}
