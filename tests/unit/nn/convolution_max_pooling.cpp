// A convolution and the max pooling after it, run in one pass at inference (host/
// convolution_max_pooling.hpp): the same output as the two layers one after the other (training
// mode runs them so), the convolution's output still there for hooks, and the geometries the
// kernel covers in part (odd widths, a last block of channels alone, several input channels).
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace {

/// Forward passes of `Net` at inference and in training on the same batch of `batch`; checks they
/// agree, and that the convolution (layer 1) ran in one pass with its pooling where the host runs
/// 8-float vectors (AVX2 or AVX-512: every machine est's builds test on).
template <class Net>
void check_fused_against_layers(std::size_t batch) {
    Net net;
    net.initialize(3);
    est::random_engine engine(11);
    est::batch_tensor<float, typename Net::input_shape_type> x(batch);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);

    auto inference = net.forward(x.view(), est::predict);
    std::vector<float> fused(inference.data, inference.data + inference.size());
    std::vector<float> skipped;
    std::as_const(net).for_each_activation([&](std::string_view layer, std::span<float const> values) {
        if (layer == "1_conv2d")
            skipped.assign(values.begin(), values.end());
    });
    std::vector<float> conv_output;  // computed on request
    net.for_each_activation([&](std::string_view layer, std::span<float const> values) {
        if (layer == "1_conv2d")
            conv_output.assign(values.begin(), values.end());
    });

    auto training = net.forward(x.view(), est::train);
    std::vector<float> layers(training.data, training.data + training.size());
    std::vector<float> trained_conv_output;
    net.for_each_activation([&](std::string_view layer, std::span<float const> values) {
        if (layer == "1_conv2d")
            trained_conv_output.assign(values.begin(), values.end());
    });

    if (est::detail::runs_vectors_of(8))
        CHECK(skipped.empty());  // ran in one pass
    REQUIRE(fused.size() == layers.size());
    for (std::size_t i = 0; i < fused.size(); ++i) {
        INFO("output " << i);
        CHECK(fused[i] == Approx(layers[i]).epsilon(1e-5).margin(1e-5));
    }
    REQUIRE(conv_output.size() == trained_conv_output.size());
    CHECK(conv_output == trained_conv_output);  // the same primitive on the same input
}

}  // namespace

TEST_CASE("convolution and max pooling in one pass: the example's first layers", "[nn][conv2d][pool]") {
    using net = est::sequential<est::input<28, 28, 1>, est::conv2d<32, 5, est::same, est::relu>, est::max_pool2d<2>,
                                est::flatten, est::dense<10>>;
    check_fused_against_layers<net>(1);
    check_fused_against_layers<net>(37);
}

TEST_CASE("convolution and max pooling in one pass: odd sizes, three channels, one block alone",
          "[nn][conv2d][pool]") {
    // 13x12 -> 11x10 (valid) -> 5x5: an odd number of pooled columns and a convolution row left
    // out by the pooling; 16 filters: one block of 16, or two of 8.
    using valid = est::sequential<est::input<13, 12, 3>, est::conv2d<16, 3>, est::max_pool2d<2>, est::flatten,
                                  est::dense<4>>;
    check_fused_against_layers<valid>(5);
    // 48 filters: a pair of 16-channel blocks and one alone; 2 channels; the pooled output is the
    // model's output.
    using last = est::sequential<est::input<9, 9, 2>, est::conv2d<48, 5, est::same, est::relu>, est::max_pool2d<2>>;
    check_fused_against_layers<last>(4);
}

TEST_CASE("convolution and max pooling: what the kernel does not cover runs as two layers", "[nn][conv2d][pool]") {
    // Stride 2, a 3x3 pooling, an average pooling, a sigmoid: the two layers, as in training.
    using strided = est::sequential<est::input<12, 12, 1>, est::conv2d<16, 3, est::same, est::relu, 2>,
                                    est::max_pool2d<2>, est::flatten, est::dense<3>>;
    using wide_pool = est::sequential<est::input<12, 12, 1>, est::conv2d<16, 3, est::same>, est::max_pool2d<3>,
                                      est::flatten, est::dense<3>>;
    using average = est::sequential<est::input<12, 12, 1>, est::conv2d<16, 3, est::same>, est::avg_pool2d<2>,
                                    est::flatten, est::dense<3>>;
    using sigmoid = est::sequential<est::input<12, 12, 1>, est::conv2d<16, 3, est::same, est::sigmoid>,
                                    est::max_pool2d<2>, est::flatten, est::dense<3>>;
    STATIC_REQUIRE(!est::onednn::fusable<est::detail::window_geometry_of<est::same, est::shape<12, 12, 1>, 16, 3, 2>,
                                         est::post_op::relu,
                                         est::detail::window_geometry_of<est::valid, est::shape<6, 6, 16>, 16, 2, 2>>);
    auto runs_as_layers = []<class Net>(std::type_identity<Net>) {
        Net net;
        net.initialize(1);
        est::batch_tensor<float, typename Net::input_shape_type> x(2);
        for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 7) * 0.25f - 0.75f;
        net.forward(x.view(), est::predict);
        bool has_output = false;
        std::as_const(net).for_each_activation([&](std::string_view layer, std::span<float const> values) {
            if (layer == "1_conv2d")
                has_output = !values.empty();
        });
        return has_output;
    };
    CHECK(runs_as_layers(std::type_identity<strided>{}));
    CHECK(runs_as_layers(std::type_identity<wide_pool>{}));
    CHECK(runs_as_layers(std::type_identity<average>{}));
    CHECK(runs_as_layers(std::type_identity<sigmoid>{}));
}
