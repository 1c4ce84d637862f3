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

namespace {
/// Max pooling's input gradient from its gather over covering windows (y: the pooled output, read
/// ThroughRelu), on `planes` planes of Block channels; every value written over a 7.
template <class G, std::size_t Block, bool ThroughRelu = false>
std::vector<float> gathered_gradient(std::vector<float> const& dy, std::vector<std::int32_t> const& argmax,
                                     std::size_t planes, float const* y = nullptr) {
    std::vector<float> dx(planes * G::height * G::width * Block, 7.0f);
    est::detail::pooling_backward<G, est::pooling_kind::max, Block, ThroughRelu> gather{
        {}, dy.data(), argmax.data(), dx.data(), y};
    for (std::size_t r = 0; r < planes * G::height; ++r) gather(r);
    return dx;
}

/// The same from the pass over tiling windows.
template <class G, std::size_t Block, bool ThroughRelu = false>
std::vector<float> tiled_gradient(std::vector<float> const& dy, std::vector<std::int32_t> const& argmax,
                                  std::size_t planes, float const* y = nullptr) {
    std::vector<float> dx(planes * G::height * G::width * Block, 7.0f);
    est::detail::tiled_max_pooling_backward<G, Block, ThroughRelu> by_window{dy.data(), argmax.data(), dx.data(), y};
    for (std::size_t r = 0; r < planes * G::out_height; ++r) by_window(r);
    return dx;
}

/// Runs max pooling's two backward kernels, the gather over covering windows and the pass over
/// tiling windows, on the same dy and argmax (each window's maximum at a random position of it,
/// or, for one output in five, at no position of it), and requires the same input gradient.
template <class G, std::size_t Block>
void check_tiled_backward_against_gather(std::size_t planes) {
    STATIC_REQUIRE(est::detail::tiled_max_pooling_backward<G, Block>::applies);
    est::random_engine engine(11);
    std::size_t outputs = planes * G::out_height * G::out_width * Block;
    std::vector<float> dy(outputs);
    std::vector<std::int32_t> argmax(outputs);
    for (std::size_t plane = 0; plane < planes; ++plane)
        for (std::size_t oh = 0; oh < G::out_height; ++oh)
            for (std::size_t ow = 0; ow < G::out_width; ++ow)
                for (std::size_t c = 0; c < Block; ++c) {
                    std::size_t o = ((plane * G::out_height + oh) * G::out_width + ow) * Block + c;
                    dy[o] = engine.normal();
                    std::size_t h = oh * G::stride + engine.below(G::window),
                                w = ow * G::stride + engine.below(G::window);
                    argmax[o] = engine.below(5) == 0 ? -1 : std::int32_t(h * G::width + w);
                }
    CHECK(tiled_gradient<G, Block>(dy, argmax, planes) == gathered_gradient<G, Block>(dy, argmax, planes));
}
}  // namespace

TEST_CASE("max pooling's backward pass over tiling windows writes what the gather writes", "[nn][pool]") {
    // The CNN's two poolings in the layouts the host keeps them in, and a window of 3.
    check_tiled_backward_against_gather<est::window_geometry<28, 28, 32, 32, 2, 2, 0, 0, 14, 14>, 16>(2 * 2);
    check_tiled_backward_against_gather<est::window_geometry<28, 28, 32, 32, 2, 2, 0, 0, 14, 14>, 32>(2);
    check_tiled_backward_against_gather<est::window_geometry<14, 14, 64, 64, 2, 2, 0, 0, 7, 7>, 8>(3 * 8);
    check_tiled_backward_against_gather<est::window_geometry<14, 14, 64, 64, 2, 2, 0, 0, 7, 7>, 1>(64);
    check_tiled_backward_against_gather<est::window_geometry<9, 6, 4, 4, 3, 3, 0, 0, 3, 2>, 4>(3);
    STATIC_REQUIRE_FALSE(est::detail::tiled_max_pooling_backward<est::window_geometry<5, 5, 2, 2, 2, 2, 0, 0, 2, 2>,
                                                                 2>::applies);  // a row and a column left over
    STATIC_REQUIRE_FALSE(est::detail::tiled_max_pooling_backward<est::window_geometry<5, 5, 2, 2, 3, 2, 1, 1, 3, 3>,
                                                                 2>::applies);  // overlapping, padded
}

namespace {
/// Max pooling's backward pass ThroughRelu (the gather, and the pass over tiling windows where they
/// tile) against the plain gather followed by ReLU's derivative pass, on a ReLU's output: about half
/// of it zeros (some of them -0), every fifth window all zeros.
template <class G, std::size_t Block>
void check_backward_through_relu(std::size_t planes) {
    est::random_engine engine(13);
    std::size_t inputs = planes * G::height * G::width * Block, outputs = planes * G::out_height * G::out_width * Block;
    std::vector<float> x(inputs);
    for (float& v : x) v = std::max(0.0f, engine.normal());
    for (std::size_t i = 0; i < inputs; i += 7) x[i] = -0.0f;
    std::size_t window = 0;
    for (std::size_t plane = 0; plane < planes; ++plane)
        for (std::size_t oh = 0; oh < G::out_height; ++oh)
            for (std::size_t ow = 0; ow < G::out_width; ++ow, ++window)
                if (window % 5 == 0)
                    for (std::size_t h = oh * G::stride; h < std::min(oh * G::stride + G::window, G::height); ++h)
                        for (std::size_t w = ow * G::stride; w < std::min(ow * G::stride + G::window, G::width); ++w)
                            for (std::size_t c = 0; c < Block; ++c)
                                x[((plane * G::height + h) * G::width + w) * Block + c] = 0.0f;
    std::vector<float> y(outputs), dy(outputs);
    std::vector<std::int32_t> argmax(outputs);
    est::detail::pooling_forward<G, est::pooling_kind::max, Block, true> forward{{}, x.data(), y.data(), argmax.data()};
    for (std::size_t r = 0; r < planes * G::out_height; ++r) forward(r);
    for (float& v : dy) v = engine.normal();

    auto expected = gathered_gradient<G, Block>(dy, argmax, planes);
    est::detail::activation_backward<est::relu> relu{x.data(), expected.data()};
    for (std::size_t i = 0; i < inputs; ++i) relu(i);

    CHECK(gathered_gradient<G, Block, true>(dy, argmax, planes, y.data()) == expected);
    if constexpr (est::detail::windows_tile<G>)
        CHECK(tiled_gradient<G, Block, true>(dy, argmax, planes, y.data()) == expected);
}
}  // namespace

TEST_CASE("max pooling's backward pass through a ReLU equals the two passes one after the other", "[nn][pool]") {
    check_backward_through_relu<est::window_geometry<28, 28, 32, 32, 2, 2, 0, 0, 14, 14>, 16>(2 * 2);
    check_backward_through_relu<est::window_geometry<14, 14, 64, 64, 2, 2, 0, 0, 7, 7>, 64>(2);
    check_backward_through_relu<est::window_geometry<14, 14, 64, 64, 2, 2, 0, 0, 7, 7>, 8>(8);
    check_backward_through_relu<est::window_geometry<9, 6, 4, 4, 3, 3, 0, 0, 3, 2>, 1>(4 * 3);
    check_backward_through_relu<est::window_geometry<7, 7, 16, 16, 2, 2, 0, 0, 3, 3>, 16>(
        3);  // a row and a column left over
    check_backward_through_relu<est::window_geometry<5, 5, 8, 8, 3, 2, 1, 1, 3, 3>, 8>(2);  // overlapping, padded
}
