#include "unit/nn/gradient_check.hpp"

TEST_CASE("dense: shapes, parameters and MACs are compile-time", "[nn][dense]") {
    using layer = est::dense<7, est::relu>::layer<est::shape<5>>;
    STATIC_REQUIRE(std::is_same_v<layer::output_shape, est::shape<7>>);
    STATIC_REQUIRE(layer::parameter_count == 5 * 7 + 7);
    STATIC_REQUIRE(layer::macs == 35);
    STATIC_REQUIRE(est::dense<7>::accepts<est::shape<5>>);
    STATIC_REQUIRE_FALSE(est::dense<7>::accepts<est::shape<2, 3>>);
}

TEST_CASE("dense: forward is x K + b", "[nn][dense]") {
    est::dense<2>::layer<est::shape<3>> layer;
    std::vector<float> kernel{1, 2, 3, 4, 5, 6}, bias{0.5f, -1};
    layer.for_each_parameter([&](est::parameter_ref const& p) {
        auto const& source = p.name == "kernel" ? kernel : bias;
        std::copy(source.begin(), source.end(), p.value.begin());
    });
    est::batch_tensor<float, est::shape<3>> x(2);
    std::vector<float> values{1, 0, -1, 2, 1, 0};
    std::copy(values.begin(), values.end(), x.data());
    auto y = layer.forward(x.view(), est::eval, {});
    CHECK(y.data[0] == Approx(1 - 5 + 0.5));
    CHECK(y.data[1] == Approx(2 - 6 - 1));
    CHECK(y.data[2] == Approx(2 + 3 + 0.5));
    CHECK(y.data[3] == Approx(4 + 4 - 1));
}

TEST_CASE("dense: gradients match finite differences", "[nn][dense][gradient]") {
    test::check_gradients<est::dense<6>::layer<est::shape<5>>>(3);
    test::check_gradients<est::dense<4, est::sigmoid>::layer<est::shape<7>>>(2);
    test::check_gradients<est::dense<4, est::tanh>::layer<est::shape<3>>>(4);
    test::check_gradients<est::dense<5, est::softmax>::layer<est::shape<3>>>(2);
}
