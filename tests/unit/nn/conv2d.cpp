#include "unit/nn/gradient_check.hpp"

TEST_CASE("conv2d: output shapes follow TensorFlow's padding arithmetic", "[nn][conv2d]") {
    STATIC_REQUIRE(std::is_same_v<est::conv2d<4, 3>::output_shape<est::shape<7, 6, 2>>, est::shape<5, 4, 4>>);
    STATIC_REQUIRE(
        std::is_same_v<est::conv2d<4, 3, est::same>::output_shape<est::shape<7, 6, 2>>, est::shape<7, 6, 4>>);
    STATIC_REQUIRE(std::is_same_v<est::conv2d<4, 3, est::same, est::linear, 2>::output_shape<est::shape<7, 6, 2>>,
                                  est::shape<4, 3, 4>>);
    STATIC_REQUIRE(std::is_same_v<est::conv2d<4, 3, est::valid, est::linear, 2>::output_shape<est::shape<7, 6, 2>>,
                                  est::shape<3, 2, 4>>);
    using layer = est::conv2d<32, 5, est::same>::layer<est::shape<28, 28, 1>>;
    STATIC_REQUIRE(layer::parameter_count == 5 * 5 * 32 + 32);
    STATIC_REQUIRE(layer::macs == 28 * 28 * 25 * 32);
}

TEST_CASE("conv2d: forward of a known kernel", "[nn][conv2d]") {
    // A 3x3 all-ones kernel over a 3x3 input with same padding sums each neighbourhood.
    est::conv2d<1, 3, est::same>::layer<est::shape<3, 3, 1>> layer;
    layer.for_each_parameter([](est::parameter_ref const& p) {
        std::fill(p.value.begin(), p.value.end(), p.name == "kernel" ? 1.0f : 0.0f);
    });
    est::batch_tensor<float, est::shape<3, 3, 1>> x(1);
    for (std::size_t i = 0; i < 9; ++i) x.data()[i] = float(i + 1);
    auto y = layer.forward(x.view(), est::eval, {});
    CHECK(y.data[0] == Approx(1 + 2 + 4 + 5));
    CHECK(y.data[4] == Approx(45));
    CHECK(y.data[8] == Approx(5 + 6 + 8 + 9));
}

TEST_CASE("conv2d: gradients match finite differences", "[nn][conv2d][gradient]") {
    test::check_gradients<est::conv2d<3, 3, est::same>::layer<est::shape<5, 5, 2>>>(2);
    test::check_gradients<est::conv2d<2, 3, est::valid, est::tanh>::layer<est::shape<6, 5, 3>>>(2);
    test::check_gradients<est::conv2d<2, 3, est::same, est::linear, 2>::layer<est::shape<7, 6, 2>>>(2);
    test::check_gradients<est::conv2d<4, 1>::layer<est::shape<3, 3, 2>>>(2);
}
