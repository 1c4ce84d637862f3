#include <est/est.hpp>

#include <catch2/catch.hpp>

namespace {
using cnn = est::sequential<est::input<28, 28, 1>, est::conv2d<32, 5, est::same, est::relu>, est::max_pool2d<2>,
                            est::conv2d<64, 5, est::same, est::relu>, est::max_pool2d<2>, est::flatten,
                            est::dense<1024, est::relu>, est::dropout<0.4f>, est::dense<10>>;
using small = est::sequential<est::input<6, 6, 2>, est::conv2d<3, 3, est::same, est::tanh>, est::batch_norm<>,
                              est::avg_pool2d<2>, est::flatten, est::dense<5, est::sigmoid>, est::dense<3>>;
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
    small net;
    net.initialize(5);
    est::batch_tensor<float, est::shape<6, 6, 2>> x(3);
    est::random_engine engine(9);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);
    est::batch_tensor<std::int32_t, est::shape<>> y(3);
    y.data()[0] = 0, y.data()[1] = 2, y.data()[2] = 1;
    auto loss_at = [&] { return double(est::sparse_softmax_cross_entropy(y, net(x, est::train)).value); };
    loss_at();
    net.backward();
    std::vector<std::vector<float>> gradients;
    net.for_each_parameter([&](std::string_view, est::parameter_ref const& p) {
        gradients.emplace_back(p.gradient.begin(), p.gradient.end());
    });
    std::size_t k = 0;
    std::vector<est::parameter_ref> parameters;
    net.for_each_parameter([&](std::string_view, est::parameter_ref const& p) { parameters.push_back(p); });
    for (auto const& p : parameters) {
        if (p.trainable) {
            for (std::size_t i = 0; i < p.value.size(); i += std::max<std::size_t>(1, p.value.size() / 5)) {
                float saved = p.value[i];
                p.value[i] = saved + 1e-3f;
                double up = loss_at();
                p.value[i] = saved - 1e-3f;
                double down = loss_at();
                p.value[i] = saved;
                double numeric = (up - down) / 2e-3;
                INFO(p.name << "[" << i << "]");
                CHECK(gradients[k][i] == Approx(numeric).margin(2e-3).epsilon(3e-2));
            }
        }
        ++k;
    }
}

TEST_CASE("sequential: description as JSON", "[nn][sequential]") {
    auto d = cnn::description();
    CHECK(d["parameter_count"] == 3'274'634);
    CHECK(d["layers"].size() == 9);
    CHECK(d["layers"][3]["kind"] == "conv2d");
    CHECK(d["layers"][3]["output_shape"] == nlohmann::json::array({14, 14, 64}));
    CHECK(d["layers"][6]["parameters"] == 3'212'288);
}
