// A convolution and the max pooling after it at inference, without the convolution's output for
// the whole batch: in one pass (host/convolution_max_pooling.hpp) or a part of the batch at a time
// (oneDNN's convolution, then est's pooling). The same output as the two layers one after the other
// (training mode runs them so), the convolution's output still there for hooks, and the geometries
// the one-pass kernel covers in part (odd widths, a last block of channels alone, several input
// channels).
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

/// Forward passes of `Net` at inference and in training on the same batch of `batch`; checks they
/// agree, and whether the convolution at `Position` ran with its pooling without keeping its
/// output (`together`), and that its output, computed on request, is the training pass's: the same
/// where both ran the same primitive on the same input (`same_primitive`, unless est's own kernels
/// train the convolution here), equal up to rounding otherwise.
template <class Net, std::size_t Position = 1, bool same_primitive = Position == 1>
void check_fused_against_layers(std::size_t batch, bool together) {
    std::string const conv = std::to_string(Position) + "_conv2d";
    Net net;
    net.initialize(3);
    est::random_engine engine(11);
    est::batch_tensor<float, typename Net::input_shape_type> x(batch);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);

    auto inference = net.forward(x.view(), est::predict);
    std::vector<float> fused(inference.data, inference.data + inference.size());
    std::vector<float> skipped;
    std::as_const(net).for_each_activation([&](std::string_view layer, std::span<float const> values) {
        if (layer == conv)
            skipped.assign(values.begin(), values.end());
    });
    std::vector<float> conv_output;  // computed on request
    net.for_each_activation([&](std::string_view layer, std::span<float const> values) {
        if (layer == conv)
            conv_output.assign(values.begin(), values.end());
    });

    auto training = net.forward(x.view(), est::train);
    std::vector<float> layers(training.data, training.data + training.size());
    std::vector<float> trained_conv_output;
    net.for_each_activation([&](std::string_view layer, std::span<float const> values) {
        if (layer == conv)
            trained_conv_output.assign(values.begin(), values.end());
    });

    CHECK(skipped.empty() == together);
    REQUIRE(fused.size() == layers.size());
    for (std::size_t i = 0; i < fused.size(); ++i) {
        INFO("output " << i);
        CHECK(fused[i] == Approx(layers[i]).epsilon(1e-5).margin(1e-5));
    }
    REQUIRE(conv_output.size() == trained_conv_output.size());
    // Training may run the convolution by est's own kernels (Winograd's, or the direct ones of a
    // first layer over few channels), not by the primitive that computes the output on request.
    using conv_layer = std::remove_cvref_t<decltype(net.template layer<Position - 1>())>;
    if (same_primitive && !conv_layer::trains_on_own_kernels()) {
        CHECK(conv_output == trained_conv_output);
    } else {
        // Its input came from the layers before it, fused at inference, or training ran it by
        // Winograd's F(2x2, 5x5) or est's direct kernels: equal up to rounding.
        for (std::size_t i = 0; i < conv_output.size(); ++i) {
            INFO("convolution output " << i);
            CHECK(conv_output[i] == Approx(trained_conv_output[i]).epsilon(1e-5).margin(1e-5));
        }
    }
}

/// est's one-pass kernel runs where the host runs 8-float vectors (AVX2 or AVX-512: every machine
/// est's builds test on).
bool const one_pass = est::detail::runs_vectors_of(8);

}  // namespace

TEST_CASE("convolution and max pooling in one pass: the example's first layers", "[nn][conv2d][pool]") {
    using net = est::sequential<est::input<28, 28, 1>, est::conv2d<32, 5, est::same, est::relu>, est::max_pool2d<2>,
                                est::flatten, est::dense<10>>;
    check_fused_against_layers<net>(1, one_pass);
    check_fused_against_layers<net>(37, one_pass);
}

TEST_CASE("convolution and max pooling in one pass: odd sizes, three channels, one block alone",
          "[nn][conv2d][pool]") {
    // 13x12 -> 11x10 (valid) -> 5x5: an odd number of pooled columns and a convolution row left
    // out by the pooling; 16 filters: one block of 16, or two of 8.
    using valid = est::sequential<est::input<13, 12, 3>, est::conv2d<16, 3>, est::max_pool2d<2>, est::flatten,
                                  est::dense<4>>;
    check_fused_against_layers<valid>(5, one_pass);
    // 48 filters: a pair of 16-channel blocks and one alone; 2 channels; the pooled output is the
    // model's output.
    using last = est::sequential<est::input<9, 9, 2>, est::conv2d<48, 5, est::same, est::relu>, est::max_pool2d<2>>;
    check_fused_against_layers<last>(4, one_pass);
}

TEST_CASE("convolution and max pooling: a convolution the kernel does not cover, a part of the batch at a time",
          "[nn][conv2d][pool]") {
    // A second convolution of 32 channels in runs oneDNN's kernel (a 3x3 window, which Winograd's
    // F(2x2, 5x5) below does not cover), on the first one's pooled output. Two parts and three
    // images more: the last part is padded with zero images.
    using net =
        est::sequential<est::input<28, 28, 1>, est::conv2d<32, 5, est::same, est::relu>, est::max_pool2d<2>,
                        est::conv2d<64, 3, est::same, est::relu>, est::max_pool2d<2>, est::flatten, est::dense<10>>;
    using second =
        est::onednn::convolution<est::detail::window_geometry_of<est::same, est::shape<14, 14, 32>, 64, 3, 1>,
                                 est::post_op::relu>;
    std::size_t part = second::part_images(std::size_t(est::host::threads()));
    check_fused_against_layers<net, 3>(2 * part + 3, true);
    check_fused_against_layers<net, 3>(2 * part, true);  // no padding
    check_fused_against_layers<net, 3>(1, false);  // too small to split: two layers
}

TEST_CASE("convolution and max pooling by Winograd's F(2x2, 5x5): the example's second convolution",
          "[nn][conv2d][pool]") {
    // Where the CPU runs it (AVX2 or AVX-512), every batch, one image too; elsewhere parts of the
    // batch, or two layers for one image. The same output as the direct convolution up to rounding.
    bool const winograd = est::onednn::winograd_max_pooling::runs_on_this_cpu();
    using net =
        est::sequential<est::input<28, 28, 1>, est::conv2d<32, 5, est::same, est::relu>, est::max_pool2d<2>,
                        est::conv2d<64, 5, est::same, est::relu>, est::max_pool2d<2>, est::flatten, est::dense<10>>;
    check_fused_against_layers<net, 3>(37, true);
    check_fused_against_layers<net, 3>(1, winograd);
    // 16 channels in, 48 filters (blocks of 32 and 16), no activation, 3x5 tiles (two blocks of 7
    // tiles and one alone), on an input that is not the output of a fused layer.
    using odd = est::sequential<est::input<6, 10, 16>, est::conv2d<48, 5, est::same>, est::max_pool2d<2>>;
    check_fused_against_layers<odd, 1, false>(5, winograd);
}

TEST_CASE("convolution and max pooling: what the kernel does not cover runs as two layers", "[nn][conv2d][pool]") {
    // At a batch too small to split into parts (two images) the two layers, as in training: stride 2,
    // a 3x3 pooling, an average pooling, a sigmoid.
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
