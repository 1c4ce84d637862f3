#include "unit/nn/gradient_check.hpp"

TEST_CASE("conv2d: output shapes follow TensorFlow's padding arithmetic", "[nn][conv2d]") {
    STATIC_REQUIRE(std::is_same_v<est::conv2d<4, 3>::output_shape<est::shape<7, 6, 2>>, est::shape<5, 4, 4>>);
    STATIC_REQUIRE(
        std::is_same_v<est::conv2d<4, 3, est::same>::output_shape<est::shape<7, 6, 2>>, est::shape<7, 6, 4>>);
    STATIC_REQUIRE(std::is_same_v<est::conv2d<4, 3, est::same, est::linear, 2>::output_shape<est::shape<7, 6, 2>>,
                                  est::shape<4, 3, 4>>);
    STATIC_REQUIRE(std::is_same_v<est::conv2d<4, 3, est::valid, est::linear, 2>::output_shape<est::shape<7, 6, 2>>,
                                  est::shape<3, 2, 4>>);
    using layer = est::conv2d<32, 5, est::same>::layer<est::shape<28, 28, 1>, est::host>;
    STATIC_REQUIRE(layer::parameter_count == 5 * 5 * 32 + 32);
    STATIC_REQUIRE(layer::macs == 28 * 28 * 25 * 32);
}

TEST_CASE("conv2d: forward of a known kernel", "[nn][conv2d]") {
    // A 3x3 all-ones kernel over a 3x3 input with same padding sums each neighbourhood.
    test::one_layer_model<est::conv2d<1, 3, est::same>, est::shape<3, 3, 1>> net;
    net.write(net.parameter("1_conv2d/kernel"), std::vector<float>(9, 1.0f));
    est::batch_tensor<float, est::shape<3, 3, 1>> x(1);
    for (std::size_t i = 0; i < 9; ++i) x.data()[i] = float(i + 1);
    auto y = net.forward(x.view(), est::eval);
    CHECK(y.data[0] == Approx(1 + 2 + 4 + 5));
    CHECK(y.data[4] == Approx(45));
    CHECK(y.data[8] == Approx(5 + 6 + 8 + 9));
}

TEST_CASE("conv2d: the kernel is (window, window, channels, filters) in checkpoints, whatever its stored layout",
          "[nn][conv2d]") {
    // Filter f of a 1x1 convolution of 16 channels reads channel f only: output (h, w, f) = 2 x(h, w, f).
    test::one_layer_model<est::conv2d<16, 1>, est::shape<2, 2, 16>> net;
    std::vector<float> kernel(16 * 16, 0.0f);
    for (std::size_t c = 0; c < 16; ++c) kernel[c * 16 + c] = 2.0f;
    auto const& p = net.parameter("1_conv2d/kernel");
    net.write(p, kernel);
    CHECK(net.read(p) == kernel);
    est::batch_tensor<float, est::shape<2, 2, 16>> x(3);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 97);
    auto y = net.forward(x.view(), est::eval);
    REQUIRE(y.layout == est::layout::canonical);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(y.data[i] == Approx(2.0f * x.data()[i]));
}

TEST_CASE("conv2d: gradients match finite differences", "[nn][conv2d][gradient]") {
    test::check_gradients<est::conv2d<3, 3, est::same>, est::shape<5, 5, 2>>(2);
    test::check_gradients<est::conv2d<2, 3, est::valid, est::tanh>, est::shape<6, 5, 3>>(2);
    test::check_gradients<est::conv2d<2, 3, est::same, est::linear, 2>, est::shape<7, 6, 2>>(2);
    test::check_gradients<est::conv2d<4, 1>, est::shape<3, 3, 2>>(2);
    // Enough channels for oneDNN's blocked layouts, and a stride that leaves input uncovered.
    test::check_gradients<est::conv2d<16, 3, est::same, est::tanh>, est::shape<5, 5, 8>>(2);
    test::check_gradients<est::conv2d<8, 3, est::valid, est::sigmoid, 2>, est::shape<6, 6, 16>>(2);
    // A 5x5 'same' window on 16 channels: Winograd's F(2x2, 5x5) in training on CPUs with AVX-512,
    // whose forward pass rounds more than a direct one; linear, so a longer step differentiates as
    // exactly and divides that rounding by more.
    test::check_gradients<est::conv2d<16, 5, est::same>, est::shape<4, 6, 16>>(2, {.step = 1e-2f});
}
