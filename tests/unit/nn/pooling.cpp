#include "unit/nn/gradient_check.hpp"

#include <numeric>

namespace {
/// Distinct values, so that max pooling has no ties within a finite-difference step.
std::vector<float> distinct_values(std::size_t n) {
    std::vector<float> v(n);
    std::iota(v.begin(), v.end(), 0.0f);
    est::random_engine engine(5);
    std::shuffle(v.begin(), v.end(), engine);
    for (float& x : v) x = x * 0.1f - 2.0f;
    return v;
}
}  // namespace

TEST_CASE("max_pool2d: shapes and forward", "[nn][pool]") {
    STATIC_REQUIRE(std::is_same_v<est::max_pool2d<2>::output_shape<est::shape<28, 28, 32>>, est::shape<14, 14, 32>>);
    STATIC_REQUIRE(
        std::is_same_v<est::max_pool2d<3, 2, est::same>::output_shape<est::shape<7, 7, 1>>, est::shape<4, 4, 1>>);
    test::one_layer_model<est::max_pool2d<2>, est::shape<2, 2, 1>> net;
    est::batch_tensor<float, est::shape<2, 2, 1>> x(1);
    std::vector<float> v{1, 5, -2, 3};
    std::copy(v.begin(), v.end(), x.data());
    CHECK(net.forward(x.view(), est::eval).data[0] == 5);
}

TEST_CASE("avg_pool2d: same padding averages the inside of the window", "[nn][pool]") {
    test::one_layer_model<est::avg_pool2d<2, 2, est::same>, est::shape<3, 3, 1>> net;
    est::batch_tensor<float, est::shape<3, 3, 1>> x(1);
    for (std::size_t i = 0; i < 9; ++i) x.data()[i] = float(i);
    auto y = net.forward(x.view(), est::eval);
    CHECK(y.data[0] == Approx((0 + 1 + 3 + 4) / 4.0));
    CHECK(y.data[3] == Approx(8));  // the bottom-right window holds one value
}

TEST_CASE("pooling: gradients match finite differences", "[nn][pool][gradient]") {
    test::check_gradients<est::max_pool2d<2>, est::shape<4, 6, 2>>(2, {}, distinct_values(2 * 48));
    test::check_gradients<est::max_pool2d<3, 2, est::same>, est::shape<5, 5, 2>>(2, {}, distinct_values(2 * 50));
    test::check_gradients<est::avg_pool2d<2>, est::shape<4, 4, 3>>(2);
    test::check_gradients<est::avg_pool2d<3, 2, est::same>, est::shape<5, 4, 2>>(2);
    test::check_gradients<est::max_pool2d<2>, est::shape<4, 4, 16>>(2, {}, distinct_values(2 * 256));
}
