#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

namespace {
using net_type = est::sequential<est::input<2>, est::dense<4>>;

/// Checks a loss's gradient with respect to the logits against central differences.
template <class LossFn>
void check_loss_gradient(LossFn loss_fn, std::size_t batch) {
    net_type net;
    est::batch_tensor<float, est::shape<4>> logits(batch);
    est::random_engine engine(4);
    for (std::size_t i = 0; i < logits.size(); ++i) logits.data()[i] = engine.uniform(-2.0f, 2.0f);
    auto output = [&] { return est::model_output<net_type>{&net, logits.view()}; };
    loss_fn(output());
    auto g = net.output_gradient(batch);
    std::vector<float> analytic(g.data, g.data + g.size());
    for (std::size_t i = 0; i < logits.size(); ++i) {
        float saved = logits.data()[i];
        logits.data()[i] = saved + 1e-2f;
        double up = loss_fn(output()).value;
        logits.data()[i] = saved - 1e-2f;
        double down = loss_fn(output()).value;
        logits.data()[i] = saved;
        INFO("logit " << i);
        CHECK(analytic[i] == Approx((up - down) / 2e-2).margin(1e-3).epsilon(1e-2));
    }
}
}  // namespace

TEST_CASE("sparse_softmax_cross_entropy: value and gradient", "[train][loss][gradient]") {
    est::batch_tensor<std::int64_t, est::shape<>> labels(3);
    labels.data()[0] = 1, labels.data()[1] = 3, labels.data()[2] = 0;
    check_loss_gradient([&](auto out) { return est::sparse_softmax_cross_entropy(labels, out); }, 3);

    net_type net;
    est::batch_tensor<float, est::shape<4>> uniform(1);
    std::fill_n(uniform.data(), 4, 0.0f);
    est::batch_tensor<std::int64_t, est::shape<>> one(1);
    one.data()[0] = 2;
    CHECK(est::sparse_softmax_cross_entropy(one, est::model_output<net_type>{&net, uniform.view()}).value ==
          Approx(std::log(4.0)));
    one.data()[0] = 4;
    CHECK_THROWS_WITH(est::sparse_softmax_cross_entropy(one, est::model_output<net_type>{&net, uniform.view()}),
                      Catch::Contains("label 4 of example 0 is outside [0, 4)"));
}

TEST_CASE("softmax_cross_entropy: value and gradient with one-hot labels", "[train][loss][gradient]") {
    est::batch_tensor<float, est::shape<4>> labels(2);
    std::vector<float> v{0, 1, 0, 0, 0.5f, 0, 0, 0.5f};
    std::copy(v.begin(), v.end(), labels.data());
    check_loss_gradient([&](auto out) { return est::softmax_cross_entropy(labels, out); }, 2);
}

TEST_CASE("mean_squared_error: value and gradient", "[train][loss][gradient]") {
    est::batch_tensor<float, est::shape<4>> labels(2);
    for (std::size_t i = 0; i < labels.size(); ++i) labels.data()[i] = float(i) * 0.25f;
    check_loss_gradient([&](auto out) { return est::mean_squared_error(labels, out); }, 2);
    net_type net;
    est::batch_tensor<float, est::shape<4>> predictions(2);
    std::fill_n(predictions.data(), 8, 1.0f);
    std::fill_n(labels.data(), 8, 3.0f);
    CHECK(est::mean_squared_error(labels, est::model_output<net_type>{&net, predictions.view()}).value == Approx(4.0));
}
