#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {
using cnn = est::sequential<est::input<28, 28, 1>, est::conv2d<32, 5, est::same, est::relu>, est::max_pool2d<2>,
                            est::conv2d<64, 5, est::same, est::relu>, est::max_pool2d<2>, est::flatten,
                            est::dense<1024, est::relu>, est::dropout<0.4f>, est::dense<10>>;
using small = est::sequential<est::input<6, 6, 2>, est::conv2d<3, 3, est::same, est::tanh>, est::batch_norm<>,
                              est::avg_pool2d<2>, est::flatten, est::dense<5, est::sigmoid>, est::dense<3>>;
/// Wide enough for oneDNN's channel-blocked layouts between the convolutions and poolings.
using blocked = est::sequential<est::input<6, 6, 8>, est::conv2d<16, 3, est::same, est::tanh>, est::max_pool2d<2>,
                                est::conv2d<8, 3, est::same, est::tanh>, est::avg_pool2d<3, 1, est::same>,
                                est::batch_norm<>, est::flatten, est::dense<3>>;
/// ReLU convolutions each followed by a max pooling: one whose windows leave a row and a column
/// out (the gather), one whose windows tile its input, in oneDNN's channel blocks; and the same
/// models with ReLU as a layer of its own between them, whose backward passes run one by one.
using relu_pooled =
    est::sequential<est::input<7, 7, 3>, est::conv2d<16, 3, est::same, est::relu>, est::max_pool2d<2>,
                    est::conv2d<16, 3, est::same, est::relu>, est::max_pool2d<3>, est::flatten, est::dense<3>>;
using relu_layers_pooled =
    est::sequential<est::input<7, 7, 3>, est::conv2d<16, 3, est::same>, est::relu, est::max_pool2d<2>,
                    est::conv2d<16, 3, est::same>, est::relu, est::max_pool2d<3>, est::flatten, est::dense<3>>;
/// The CNN's pair of ReLU convolutions and poolings, small: the first on est's direct kernels, the
/// second by Winograd's F(2x2, 5x5) (on CPUs with AVX2 or AVX-512), each handed the pooling's
/// gradient image by image; and the same with ReLU as a layer of its own.
using own_kernels_pooled =
    est::sequential<est::input<8, 8, 1>, est::conv2d<16, 5, est::same, est::relu>, est::max_pool2d<2>,
                    est::conv2d<16, 5, est::same, est::relu>, est::max_pool2d<2>, est::flatten, est::dense<3>>;
using own_kernels_relu_layers =
    est::sequential<est::input<8, 8, 1>, est::conv2d<16, 5, est::same>, est::relu, est::max_pool2d<2>,
                    est::conv2d<16, 5, est::same>, est::relu, est::max_pool2d<2>, est::flatten, est::dense<3>>;

/// Checks every trainable parameter's gradient of the mean cross-entropy of `Net` against central
/// differences at sampled positions.
template <class Net>
void check_model_gradients(std::size_t batch, std::uint64_t seed) {
    Net net;
    net.initialize(seed);
    est::batch_tensor<float, typename Net::input_shape_type> x(batch);
    est::random_engine engine(9);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);
    est::batch_tensor<std::int32_t, est::shape<>> y(batch);
    for (std::size_t i = 0; i < batch; ++i) y.data()[i] = std::int32_t(engine.below(3));
    auto loss_at = [&] { return est::sparse_softmax_cross_entropy(y, net(x, est::train)); };
    loss_at().backward();
    for (auto const& p : net.parameters()) {
        if (!p.spec.trainable())
            continue;
        auto gradient = net.read_gradient(p);
        auto values = net.read(p);
        for (std::size_t i = 0; i < values.size(); i += std::max<std::size_t>(1, values.size() / 5)) {
            auto perturbed = values;
            perturbed[i] = values[i] + 1e-3f;
            net.write(p, perturbed);
            double up = loss_at().value();
            perturbed[i] = values[i] - 1e-3f;
            net.write(p, perturbed);
            double down = loss_at().value();
            net.write(p, values);
            double numeric = (up - down) / 2e-3;
            INFO(p.name << "[" << i << "]");
            CHECK(gradient[i] == Approx(numeric).margin(2e-3).epsilon(3e-2));
        }
    }
}
}  // namespace

TEST_CASE("sequential: shapes, parameters and MACs are known at compile time", "[nn][sequential]") {
    STATIC_REQUIRE(cnn::output_shape == est::shape<10>{});
    STATIC_REQUIRE(cnn::input_shape == est::shape<28, 28, 1>{});
    STATIC_REQUIRE(cnn::parameter_count == 3'274'634);
    STATIC_REQUIRE(cnn::macs == 627'200 + 25'088 + 10'035'200 + 12'544 + 3'211'264 + 10'240);
    STATIC_REQUIRE(cnn::shapes_fit);
}

TEST_CASE("sequential: summary lists every layer", "[nn][sequential]") {
    std::string summary = cnn::summary();
    CHECK(summary.find("conv2d") != std::string::npos);
    CHECK(summary.find("(14, 14, 32)") != std::string::npos);
    CHECK(summary.find("3212288") != std::string::npos);
    CHECK(summary.find("total parameters: 3274634") != std::string::npos);
}

TEST_CASE("sequential: end-to-end gradient of a small model", "[nn][sequential][gradient]") {
    check_model_gradients<small>(3, 5);
    check_model_gradients<blocked>(2, 7);
}

/// The gradients of `Fused` (ReLU convolutions and max poolings) and of `Apart` (the same with
/// ReLU as a layer of its own), given the same values, on a batch of `batch`: the same bits.
template <class Fused, class Apart>
void check_same_gradients(std::size_t batch) {
    Fused fused;
    Apart apart;
    fused.initialize(3);
    apart.initialize(4);
    REQUIRE(fused.parameters().size() == apart.parameters().size());
    for (std::size_t i = 0; i < fused.parameters().size(); ++i)
        apart.write(apart.parameters()[i], fused.read(fused.parameters()[i]));
    est::batch_tensor<float, typename Fused::input_shape_type> x(batch);
    est::random_engine engine(2);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.normal();
    est::batch_tensor<std::int32_t, est::shape<>> y(batch);
    for (std::size_t i = 0; i < batch; ++i) y.data()[i] = std::int32_t(engine.below(3));
    auto loss = est::sparse_softmax_cross_entropy(y, fused(x, est::train));
    auto reference = est::sparse_softmax_cross_entropy(y, apart(x, est::train));
    REQUIRE(loss.value() == reference.value());
    loss.backward();
    reference.backward();
    for (std::size_t i = 0; i < fused.parameters().size(); ++i) {
        INFO(fused.parameters()[i].name << ", batch " << batch);
        CHECK(fused.read_gradient(fused.parameters()[i]) == apart.read_gradient(apart.parameters()[i]));
    }
}

TEST_CASE("sequential: a max pooling applies a ReLU's derivative along, as the ReLU would",
          "[nn][sequential][gradient]") {
    STATIC_REQUIRE(relu_pooled::pools_relu_output<1>);
    STATIC_REQUIRE(relu_pooled::pools_relu_output<3>);
    STATIC_REQUIRE_FALSE(relu_layers_pooled::pools_relu_output<2>);  // a ReLU layer's backward runs as it is
    check_model_gradients<relu_pooled>(2, 3);
    check_same_gradients<relu_pooled, relu_layers_pooled>(5);
}

TEST_CASE("sequential: est's convolution kernels take a max pooling's gradient image by image",
          "[nn][sequential][gradient]") {
    // conv1 on est's direct kernels, conv2 by Winograd's F(2x2, 5x5), where this CPU runs them: both
    // then read the pooling's gradient image by image (image_gradients), the same values as the
    // pooling's whole-batch pass writes, summed in the same order.
    own_kernels_pooled net;
    STATIC_REQUIRE(std::remove_cvref_t<decltype(net.layer<0>())>::backward_by_image);
    STATIC_REQUIRE(own_kernels_pooled::pools_relu_output<1>);
    STATIC_REQUIRE(own_kernels_pooled::pools_relu_output<3>);
    check_model_gradients<own_kernels_pooled>(3, 5);
    for (std::size_t batch : {1, 2, 5}) check_same_gradients<own_kernels_pooled, own_kernels_relu_layers>(batch);

    net.initialize(1);
    est::batch_tensor<float, est::shape<8, 8, 1>> x(4);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 7) - 3.0f;
    net(x, est::train);
    CHECK(net.layer<0>().takes_gradients_by_image() == est::detail::vector_kernels_run("EST_DIRECT_CONVOLUTION"));
    CHECK(net.layer<2>().takes_gradients_by_image() == est::onednn::winograd_convolution::runs_on_this_cpu());
    // The pooling hands its gradient so where its input is canonical, as est's kernels write their
    // output; in channel blocks (oneDNN's) it does not.
    std::vector<float> output(4 * 8 * 8 * 16), pooled_gradient(4 * 4 * 4 * 16);
    auto handed = [&](est::layout l) {
        return static_cast<bool>(
            net.layer<1>().gradients_by_image_through_relu({output.data(), 4, l}, {pooled_gradient.data(), 4, l}));
    };
    CHECK(handed(est::layout::canonical));
    CHECK_FALSE(handed(est::layout::channel_blocks_16));
}

TEST_CASE("sequential: parameters and gradients live in one arena each", "[nn][sequential]") {
    blocked net;
    std::size_t trainable = 0, canonical = 0;
    for (auto const& p : net.parameters()) {
        CHECK(p.offset % 16 == 0);  // 64-byte aligned
        if (p.spec.trainable()) {
            CHECK(p.offset + p.spec.stored_size() <= net.trainable_size());
            trainable += p.spec.size;
        } else {
            CHECK(p.offset >= net.trainable_size());
        }
        if (p.spec.kind == est::parameter_kind::weights)
            CHECK(p.offset + p.spec.stored_size() <= net.weights_size());
        canonical += p.spec.size;
    }
    CHECK(canonical == blocked::parameter_count);
    CHECK(trainable <= net.trainable_size());
    CHECK(net.parameters().front().name == "1_conv2d/kernel");
    CHECK_THROWS_WITH(net.parameter("9_dense/kernel"), Catch::Contains("has 1_conv2d/kernel"));
}

TEST_CASE("sequential: backward without a training pass before it is refused", "[nn][sequential]") {
    // After an inference pass the layers hold no training state (a convolution's training
    // primitives and their buffers among it): backward then is an error, not a read of stale data.
    using net_type =
        est::sequential<est::input<6, 6, 8>, est::conv2d<12, 3, est::same, est::relu>, est::flatten, est::dense<2>>;
    net_type net;
    net.initialize(5);
    est::batch_tensor<float, est::shape<6, 6, 8>> x(4);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 9) / 9.0f;
    auto fill_gradient = [&] {
        auto dy = net.output_gradient(4);
        std::fill(dy.data, dy.data + dy.size(), 1.0f);
    };
    fill_gradient();
    CHECK_THROWS_WITH(net.backward(), Catch::Contains("est::train"));  // no pass yet
    net.forward(x.view(), est::eval);
    fill_gradient();
    CHECK_THROWS_WITH(net.backward(), Catch::Contains("not one in est::train mode"));
    net.forward(x.view(), est::predict);
    fill_gradient();
    CHECK_THROWS_WITH(net.backward(), Catch::Contains("not one in est::train mode"));
    net.forward(x.view(), est::train);
    fill_gradient();
    CHECK_NOTHROW(net.backward());
}

/// Backward passes of `Net`, whose lowest layers have no parameters, with and without the model's
/// input gradient asked for: the parameters' gradients are the same bits (each pass writes them
/// over NaN), and the input gradient is there only where asked for.
template <class Net>
void check_stops_at_lowest_parameters() {
    Net net;
    net.initialize(3);
    est::batch_tensor<float, typename Net::input_shape_type> x(5);
    est::random_engine engine(4);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.normal();
    auto gradients_after = [&](bool input_gradient) {
        net.forward(x.view(), est::train);
        auto dy = net.output_gradient(5);
        for (std::size_t i = 0; i < dy.size(); ++i) dy.data[i] = float(i % 7) - 3.0f;
        std::fill(net.gradients(), net.gradients() + net.trainable_size(), std::nanf(""));
        net.backward(input_gradient);
        std::vector<std::vector<float>> gradients;
        for (auto const& p : net.parameters())
            if (p.spec.trainable())
                gradients.push_back(net.read_gradient(p));
        return gradients;
    };
    auto with_input_gradient = gradients_after(true);
    for (auto const& g : with_input_gradient)
        REQUIRE(std::none_of(g.begin(), g.end(), [](float v) { return std::isnan(v); }));
    REQUIRE(net.input_gradient().size() == x.size());
    std::vector<float> input_gradient(net.input_gradient().data, net.input_gradient().data + x.size());
    CHECK(std::any_of(input_gradient.begin(), input_gradient.end(), [](float g) { return g != 0.0f; }));
    CHECK(gradients_after(false) == with_input_gradient);
    CHECK(net.input_gradient().data == nullptr);
    CHECK(gradients_after(true) == with_input_gradient);
    CHECK(std::vector<float>(net.input_gradient().data, net.input_gradient().data + x.size()) == input_gradient);
}

TEST_CASE("sequential: the training pass stops at the lowest layer with parameters", "[nn][sequential][gradient]") {
    // A max pooling and flatten below the first dense layer, as flatten below the MLP's.
    using pooled_dense =
        est::sequential<est::input<4, 4, 2>, est::max_pool2d<2>, est::flatten, est::dense<6, est::relu>, est::dense<3>>;
    STATIC_REQUIRE(!pooled_dense::parameters_below<0>);
    STATIC_REQUIRE(!pooled_dense::parameters_below<1>);
    STATIC_REQUIRE(!pooled_dense::parameters_below<2>);
    STATIC_REQUIRE(pooled_dense::parameters_below<3>);
    STATIC_REQUIRE(cnn::parameters_below<1>);  // below the CNN's first pooling, a convolution
    check_stops_at_lowest_parameters<pooled_dense>();
    check_model_gradients<pooled_dense>(3, 5);  // against finite differences, backward(false)
    // A ReLU layer below a ReLU convolution whose max pooling applies ReLU's derivative along (the
    // two layers' backward passes run together). Its gradients are checked against the whole
    // backward pass's only: finite differences of a bias under two ReLUs and a max pooling cross
    // kinks.
    using relu_below_pooled_convolution =
        est::sequential<est::input<8, 8, 1>, est::relu, est::conv2d<4, 3, est::same, est::relu>, est::max_pool2d<2>,
                        est::flatten, est::dense<3>>;
    STATIC_REQUIRE(relu_below_pooled_convolution::pools_relu_output<2>);
    STATIC_REQUIRE(!relu_below_pooled_convolution::parameters_below<1>);
    check_stops_at_lowest_parameters<relu_below_pooled_convolution>();
}

TEST_CASE("sequential: description", "[nn][sequential]") {
    auto d = cnn::description();
    CHECK(d.parameter_count == 3'274'634);
    REQUIRE(d.layers.size() == 9);
    CHECK(d.layers[3].kind == "conv2d");
    CHECK(d.layers[3].output_shape == std::vector<std::size_t>{14, 14, 64});
    CHECK(d.layers[6].parameters == 3'212'288);
    // The JSON form is what checkpoints record and compare on restore: it must not change.
    using tiny = est::sequential<est::input<3>, est::dense<2, est::relu>>;
    CHECK(tiny::description().to_json() ==
          R"({"layers":[{"position":0,"kind":"input","output_shape":[3],"parameters":0,"macs":0},)"
          R"({"position":1,"kind":"dense","output_shape":[2],"parameters":8,"macs":6}],)"
          R"("parameter_count":8,"macs_per_example":6})");
}
