// predict() is given features named "pixels" where the estimator's Input has "image"; the twin
// gives "image".
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::estimator: the input_fn's dataset yields other batches than the estimator's Input
// names: input_element_mismatch<
// names: "image"
// names: "pixels"

int main() {
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier);
    auto features_only = [] {
        xt::xarray<float> images = xt::zeros<float>({std::size_t(2), std::size_t(16)});
#ifdef EST_COMPILE_FAIL
        auto features = est::fields("pixels"_f = est::data::slices<est::shape<4, 4, 1>>(images));
#else
        auto features = est::fields("image"_f = est::data::slices<est::shape<4, 4, 1>>(images));
#endif
        return est::data::from_tensor_slices(features).batch(2);
    };
    std::size_t count = 0;
    for (auto const& p : estimator.predict(features_only)) count += p["classes"_f] >= 0 ? 1 : 0;
    return count == 2 ? 0 : 1;
}
