// A small classification dataset the checkpoint tests train on: 40 examples of 3 features drawn
// in [-1, 1], labelled by the sign of x0 + x2.
#pragma once

#include <est/est.hpp>

#include <xtensor/xbuilder.hpp>

#include <cstdint>

namespace test {

inline auto sum_sign_dataset() {
    using namespace est::literals;
    xt::xarray<float> x = xt::zeros<float>({40, 3});
    xt::xarray<std::int32_t> y = xt::zeros<std::int32_t>({40});
    est::random_engine engine(8);
    for (auto& v : x) v = engine.uniform(-1.0f, 1.0f);
    for (std::size_t i = 0; i < 40; ++i) y(i) = x(i, 0) + x(i, 2) > 0.0f ? 1 : 0;
    return est::data::from_tensor_slices(est::fields("x"_f = est::data::slices<est::shape<3>>(x)),
                                         est::fields("label"_f = est::data::slices<est::shape<>>(y)));
}
/// Its batches.
using sum_sign_input = est::element_spec<est::features<est::tensor_spec<"x", float, est::shape<3>>>,
                                         est::labels<est::tensor_spec<"label", std::int32_t>>>;

}  // namespace test
