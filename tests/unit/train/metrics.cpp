#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

TEST_CASE("metrics stream over batches", "[train][metrics]") {
    est::batch_tensor<std::int32_t, est::shape<>> labels(4);
    std::vector<std::int32_t> l{0, 1, 2, 1};
    std::copy(l.begin(), l.end(), labels.data());
    est::batch_tensor<float, est::shape<3>> scores(4);
    std::vector<float> s{0.9f, 0.1f, 0.0f, /**/ 0.2f, 0.5f, 0.3f, /**/ 0.6f, 0.3f, 0.1f, /**/ 0.1f, 0.3f, 0.6f};
    std::copy(s.begin(), s.end(), scores.data());

    auto accuracy = est::metrics::accuracy(labels, scores);
    CHECK(accuracy.result() == Approx(0.5));
    accuracy += est::metrics::ratio{2, 2};
    CHECK(accuracy.result() == Approx(4.0 / 6.0));

    est::batch_tensor<std::int64_t, est::shape<>> classes(4);
    std::vector<std::int64_t> c{0, 1, 0, 1};
    std::copy(c.begin(), c.end(), classes.data());
    CHECK(est::metrics::accuracy(labels, classes).result() == Approx(0.75));

    CHECK(est::metrics::top_k_accuracy(labels, scores, 1).result() == Approx(0.5));
    CHECK(est::metrics::top_k_accuracy(labels, scores, 2).result() == Approx(0.75));
    CHECK(est::metrics::top_k_accuracy(labels, scores, 3).result() == Approx(1.0));
    // A row with a NaN or an infinite score is a miss at any k (tf.math.in_top_k), even for the
    // label whose NaN no other score exceeds.
    scores.data()[0] = std::nanf("");                           // example 0's label's score
    scores.data()[5] = std::numeric_limits<float>::infinity();  // example 1, not its label
    CHECK(est::metrics::top_k_accuracy(labels, scores, 3).result() == Approx(0.5));
    std::copy(s.begin(), s.end(), scores.data());

    auto mean = est::metrics::mean(scores);
    CHECK(mean.result() == Approx(4.0 / 12.0));
    est::batch_tensor<float, est::shape<3>> targets(4);
    std::fill_n(targets.data(), 12, 0.0f);
    auto rmse = est::metrics::root_mean_squared_error(targets, scores);
    double squares = 0.0;
    for (float v : s) squares += double(v) * v;
    CHECK(rmse.result() == Approx(std::sqrt(squares / 12.0)));
    STATIC_REQUIRE(est::Metric<est::metrics::ratio>);
    STATIC_REQUIRE(est::Metric<est::metrics::mean_state>);
    STATIC_REQUIRE(est::Metric<est::metrics::rmse_state>);
}
