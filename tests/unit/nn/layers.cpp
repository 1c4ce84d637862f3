// Tests of the parameter-free and normalisation layers: flatten, dropout, batch_norm, activations.
#include "unit/nn/gradient_check.hpp"

TEST_CASE("flatten: reinterprets canonical input without copying", "[nn][flatten]") {
    STATIC_REQUIRE(std::is_same_v<est::flatten::output_shape<est::shape<7, 7, 64>>, est::shape<3136>>);
    test::one_layer_model<est::flatten, est::shape<2, 3>> net;
    est::batch_tensor<float, est::shape<2, 3>> x(2);
    CHECK(net.forward(x.view(), est::train).data == x.data());
    test::check_gradients<est::flatten, est::shape<2, 3, 2>>(2);
}

TEST_CASE("dropout: scales kept values in TRAIN, passes through otherwise", "[nn][dropout]") {
    test::one_layer_model<est::dropout<0.4f>, est::shape<1000>> net;
    net.initialize(1);
    est::batch_tensor<float, est::shape<1000>> x(4);
    std::fill_n(x.data(), x.size(), 1.0f);
    net.begin_step(2);
    auto y = net.forward(x.view(), est::train);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (y.data[i] != 0.0f) {
            CHECK(y.data[i] == Approx(1.0 / 0.6));
            ++kept;
        }
    }
    CHECK(double(kept) / double(y.size()) == Approx(0.6).margin(0.03));
    std::vector<float> first(y.data, y.data + y.size());
    auto again = net.forward(x.view(), est::train);
    CHECK(std::equal(first.begin(), first.end(), again.data));
    net.begin_step(3);
    auto other = net.forward(x.view(), est::train);
    CHECK_FALSE(std::equal(first.begin(), first.end(), other.data));
    CHECK(net.forward(x.view(), est::eval).data == x.data());
    CHECK(net.forward(x.view(), est::predict).data == x.data());
    test::check_gradients<est::dropout<0.3f>, est::shape<20>>(3);
}

TEST_CASE("batch_norm: normalises in TRAIN and tracks moving statistics", "[nn][batch_norm]") {
    test::one_layer_model<est::batch_norm<0.5f>, est::shape<2>> net;
    net.initialize(1);
    est::batch_tensor<float, est::shape<2>> x(4);
    std::vector<float> v{1, 10, 3, 10, 5, 10, 7, 10};
    std::copy(v.begin(), v.end(), x.data());
    auto y = net.forward(x.view(), est::train);
    double mean = 0.0;
    for (std::size_t b = 0; b < 4; ++b) mean += y.data[2 * b];
    CHECK(mean == Approx(0.0).margin(1e-5));
    CHECK(y.data[1] == Approx(0.0).margin(1e-5));  // a constant channel normalises to beta = 0
    auto moving = net.read(net.parameter("1_batch_norm/moving_mean"));
    CHECK(moving[0] == Approx(0.5 * 4));  // momentum 0.5 from 0 towards the batch mean 4
    CHECK(moving[1] == Approx(0.5 * 10));
    auto e = net.forward(x.view(), est::eval);
    CHECK(e.data[1] == Approx((10 - 5) / std::sqrt(0.5 * 1.0 + 0.001)));
}

TEST_CASE("batch_norm: gradients match finite differences", "[nn][batch_norm][gradient]") {
    test::check_gradients<est::batch_norm<>, est::shape<3>>(5, {1e-3f, 5e-3, 3e-2});
    test::check_gradients<est::batch_norm<>, est::shape<3, 3, 2>>(2, {1e-3f, 5e-3, 3e-2});
}

TEST_CASE("activations: values and gradients", "[nn][activation][gradient]") {
    CHECK(est::relu::apply(-2.0f) == 0.0f);
    CHECK(est::relu::apply(3.0f) == 3.0f);
    CHECK(est::sigmoid::apply(0.0f) == Approx(0.5));
    CHECK(est::tanh::apply(1.0f) == Approx(std::tanh(1.0)));
    std::vector<float> away_from_zero;
    est::random_engine engine(3);
    for (int i = 0; i < 24; ++i)
        away_from_zero.push_back((engine.uniform() < 0.5f ? -1.0f : 1.0f) * engine.uniform(0.1f, 1.0f));
    test::check_gradients<est::relu, est::shape<12>>(2, {}, away_from_zero);
    test::check_gradients<est::sigmoid, est::shape<12>>(2);
    test::check_gradients<est::tanh, est::shape<12>>(2);
    test::check_gradients<est::softmax, est::shape<2, 6>>(2);
}
