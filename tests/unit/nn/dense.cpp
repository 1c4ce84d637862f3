#include "unit/nn/gradient_check.hpp"

TEST_CASE("dense: shapes, parameters and MACs are compile-time", "[nn][dense]") {
    using layer = est::dense<7, est::relu>::layer<est::shape<5>, est::host>;
    STATIC_REQUIRE(std::is_same_v<layer::output_shape, est::shape<7>>);
    STATIC_REQUIRE(layer::parameter_count == 5 * 7 + 7);
    STATIC_REQUIRE(layer::macs == 35);
    STATIC_REQUIRE(est::dense<7>::accepts<est::shape<5>>);
    STATIC_REQUIRE_FALSE(est::dense<7>::accepts<est::shape<2, 3>>);
}

TEST_CASE("dense: forward is x K + b", "[nn][dense]") {
    test::one_layer_model<est::dense<2>, est::shape<3>> net;
    std::vector<float> kernel{1, 2, 3, 4, 5, 6}, bias{0.5f, -1};
    net.write(net.parameter("1_dense/kernel"), kernel);
    net.write(net.parameter("1_dense/bias"), bias);
    est::batch_tensor<float, est::shape<3>> x(2);
    std::vector<float> values{1, 0, -1, 2, 1, 0};
    std::copy(values.begin(), values.end(), x.data());
    auto y = net.forward(x.view(), est::eval);
    CHECK(y.data[0] == Approx(1 - 5 + 0.5));
    CHECK(y.data[1] == Approx(2 - 6 - 1));
    CHECK(y.data[2] == Approx(2 + 3 + 0.5));
    CHECK(y.data[3] == Approx(4 + 4 - 1));
}

TEST_CASE("dense: gradients match finite differences", "[nn][dense][gradient]") {
    test::check_gradients<est::dense<6>, est::shape<5>>(3);
    test::check_gradients<est::dense<4, est::sigmoid>, est::shape<7>>(2);
    test::check_gradients<est::dense<4, est::tanh>, est::shape<3>>(4);
    test::check_gradients<est::dense<5, est::softmax>, est::shape<3>>(2);
}
