#include "support/scratch_directory.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <xtensor/xbuilder.hpp>

#include <cmath>
#include <cstdint>
#include <type_traits>

using namespace est::literals;

namespace {

// y = 2 x0 - 3 x1 + 0.5 on 200 points in [-1, 1]^2: a linear model fits it exactly.
struct linear_data {
    xt::xarray<float> x = xt::zeros<float>({200, 2});
    xt::xarray<float> y = xt::zeros<float>({200, 1});
    linear_data() {
        est::random_engine engine(3);
        for (auto& v : x) v = engine.uniform(-1.0f, 1.0f);
        for (std::size_t i = 0; i < 200; ++i) y(i, 0) = 2.0f * x(i, 0) - 3.0f * x(i, 1) + 0.5f;
    }
    auto dataset() const {
        return est::data::from_tensor_slices(est::fields("x"_f = est::data::slices<est::shape<2>>(x)),
                                             est::fields("label"_f = est::data::slices<est::shape<1>>(y)));
    }
};
using linear_model = est::sequential<est::input<2>, est::dense<1>>;
using linear_input = est::element_spec<est::features<est::tensor_spec<"x", float, est::shape<2>>>,
                                       est::labels<est::tensor_spec<"label", float, est::shape<1>>>>;

using classifier_model = est::sequential<est::input<3>, est::dense<4, est::tanh>, est::dense<3>>;

}  // namespace

TEST_CASE("heads::regression: trains, evaluates with RMSE and predicts values", "[estimator][heads]") {
    linear_data data;
    auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
        return est::heads::regression(mode, net(features["x"_f], mode), labels, est::adam(0.05f));
    };
    auto dir = test::scratch_directory("regression-head");
    auto estimator = est::make_estimator<linear_model, linear_input>(model_fn, est::run_config{.model_dir = dir});
    auto input = [&] { return data.dataset().shuffle(200, 1).repeat().batch(20); };
    auto before = estimator.evaluate([&] { return data.dataset().batch(50); });
    estimator.train(input, {.steps = 400});
    auto result = estimator.evaluate([&] { return data.dataset().batch(50); });
    STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(result["root_mean_squared_error"_f])>, double>);
    CHECK(before["root_mean_squared_error"_f] > 1.0);
    CHECK(result["root_mean_squared_error"_f] < 0.05);
    // The loss is the mean squared error (the mean of the batches' MSEs): on equal batches, the RMSE's square.
    auto rmse = result["root_mean_squared_error"_f];
    CHECK(result["loss"_f] == Approx(rmse * rmse).epsilon(1e-3));
    std::size_t i = 0;
    double worst = 0.0;
    for (auto const& p : estimator.predict([&] { return data.dataset().batch(50); })) {
        STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(p["predictions"_f](0))>, float>);
        worst = std::max(worst, double(std::abs(p["predictions"_f](0) - data.y(i++, 0))));
    }
    CHECK(i == 200);
    CHECK(worst < 0.15);
}

TEST_CASE("heads::classifier: each extra changes what it should", "[estimator][heads]") {
    classifier_model net;
    net.initialize(5);
    est::batch_tensor<float, est::shape<3>> x(4);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 5) / 4.0f - 0.5f;
    est::batch_tensor<std::int32_t, est::shape<>> y(4);
    for (std::size_t i = 0; i < 4; ++i) y.data()[i] = std::int32_t(i % 3);
    auto labels = est::fields("label"_f = y);
    auto logits = net(x, est::eval);

    auto plain = est::heads::classifier(est::train, logits, labels, est::sgd(0.1f));
    CHECK(plain[est::loss].value() == Approx(est::sparse_softmax_cross_entropy(y, logits).value()));

    auto smoothed = est::heads::classifier(est::train, logits, labels, est::sgd(0.1f), est::label_smoothing{0.2f});
    CHECK(smoothed[est::loss].value() ==
          Approx(est::sparse_softmax_cross_entropy(y, logits, est::label_smoothing{0.2f}).value()));
    CHECK(smoothed[est::loss].value() != Approx(plain[est::loss].value()));

    // The regularization is added in TRAIN and in EVAL, and is part of what the train_op minimizes.
    auto l2 = [&] { return 0.01f * est::l2<1, 2>(net); };
    auto regularized = est::heads::classifier(est::train, logits, labels, est::sgd(0.1f),
                                              est::heads::regularization(l2), est::label_smoothing{0.2f});
    CHECK(regularized[est::loss].value() == Approx(smoothed[est::loss].value() + l2().value()));
    auto evaluated = est::heads::classifier(est::eval, logits, labels, est::sgd(0.1f), est::heads::regularization(l2));
    CHECK(evaluated[est::loss].value() == Approx(plain[est::loss].value() + l2().value()));

    // More metrics follow the head's accuracy in EVAL.
    auto with_metrics = est::heads::classifier(
        est::eval, logits, labels, est::sgd(0.1f), est::heads::more_metrics([](auto const& label, auto const& scores) {
            return est::fields("top_2"_f = est::metrics::top_k_accuracy(label, scores, 2));
        }));
    auto const& metrics = with_metrics[est::eval_metric_ops];
    using metrics_type = std::remove_cvref_t<decltype(metrics)>;
    STATIC_REQUIRE(metrics_type::size == 2);
    STATIC_REQUIRE(metrics_type::index_of<"accuracy">() == 0);
    STATIC_REQUIRE(metrics_type::index_of<"top_2">() == 1);

    // PREDICT: int64 classes and probabilities that sum to 1.
    auto predict = est::heads::classifier(est::predict, logits, labels, est::sgd(0.1f));
    auto const& predictions = predict[est::predictions];
    STATIC_REQUIRE(
        std::is_same_v<typename std::remove_cvref_t<decltype(predictions["classes"_f])>::value_type, std::int64_t>);
    auto const& probabilities = predictions["probabilities"_f];
    for (std::size_t row = 0; row < 4; ++row) {
        float sum = 0.0f;
        for (std::size_t c = 0; c < 3; ++c) sum += probabilities.data()[row * 3 + c];
        CHECK(sum == Approx(1.0f));
    }
}
