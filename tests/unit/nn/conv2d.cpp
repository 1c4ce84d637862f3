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

TEST_CASE("conv2d: the padding of blocked channels stays zero through a training step", "[nn][conv2d]") {
    // 12 channels leave 4 of padding in oneDNN's blocks of 8 or 16; sigmoid(0) is 0.5. Were the
    // padding not zero after the stand-alone sigmoid, the second convolution's weights gradient
    // would reach its padded input channels, the update would make those weights non-zero, and
    // the next forward pass would add them in (the canonical round trip below zeroes them again).
    using net_type = est::sequential<est::input<6, 6, 8>, est::conv2d<12, 3, est::same>, est::sigmoid,
                                     est::conv2d<8, 3, est::same>, est::flatten, est::dense<1>>;
    net_type net;
    net.initialize(3);
    est::batch_tensor<float, est::shape<6, 6, 8>> x(64);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 13) / 13.0f - 0.5f;
    net.forward(x.view(), est::train);
    auto dy = net.output_gradient(64);
    std::fill(dy.data, dy.data + dy.size(), 1.0f);
    net.backward();
    for (std::size_t i = 0; i < net.trainable_size(); ++i) net.values()[i] -= 0.1f * net.gradients()[i];
    auto y = net.forward(x.view(), est::predict);
    std::vector<float> stepped(y.data, y.data + y.size());
    for (auto const& p : net.parameters()) net.write(p, net.read(p));
    auto z = net.forward(x.view(), est::predict);
    REQUIRE(z.size() == stepped.size());
    for (std::size_t i = 0; i < z.size(); ++i) CHECK(z.data[i] == Approx(stepped[i]).margin(1e-6));
}

TEST_CASE("conv2d: oneDNN's weights gradient is zero in the weights' padding, whatever the input's padding holds",
          "[nn][conv2d]") {
    // 12 channels in blocks of 8, their 4 padded channels at 0.5: the padded weights' gradient must
    // still be zero, or an update would make those weights non-zero.
    est::onednn::convolution_primitives conv({6, 6, 12, 6, 6, 8, 3, 1, 1, 1, 1, 1, est::post_op::none});
    auto const& layout = conv.weights_layout();
    std::size_t const canonical = 3 * 3 * 12 * 8, batch = 4, positions = 6 * 6;
    if (layout.stored_size() == canonical)
        return;  // no padded weights on this CPU
    std::vector<float> x(batch * 2 * positions * 8), weights(layout.stored_size()), bias(8, 0.1f);
    for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = i % 8 >= 4 && (i / (positions * 8)) % 2 == 1 ? 0.5f : 0.01f * float(i % 7);
    std::vector<float> canonical_weights(canonical);
    for (std::size_t i = 0; i < canonical; ++i) canonical_weights[i] = 0.02f * float(i % 11) - 0.1f;
    layout.from_canonical(canonical_weights.data(), weights.data());
    auto [y, y_layout] =
        conv.forward(x.data(), batch, est::layout::channel_blocks_8, weights.data(), bias.data(), true);
    std::vector<float> dy(est::stored_size(y_layout, batch, positions, 8), 1.0f);
    std::vector<float> gradient(layout.stored_size(), 7.0f), bias_gradient(8);
    conv.backward(x.data(), batch, est::layout::channel_blocks_8, dy.data(), weights.data(), gradient.data(),
                  bias_gradient.data(), false);
    std::vector<float> round_trip(canonical), padded_zero(layout.stored_size());
    layout.to_canonical(gradient.data(), round_trip.data());
    layout.from_canonical(round_trip.data(), padded_zero.data());
    CHECK(gradient == padded_zero);
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
