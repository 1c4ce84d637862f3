// Losses as values: every loss, every option and every way of combining them (sums, differences,
// scalar multiples, L2 of chosen layers) has the gradient of the value it reports, checked against
// central differences through a two-layer model.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

namespace {
using net_type = est::sequential<est::input<3>, est::dense<5, est::tanh>, est::dense<4>>;

struct batch_data {
    est::batch_tensor<float, est::shape<3>> x{6};
    est::batch_tensor<std::int64_t, est::shape<>> classes{6};
    est::batch_tensor<float, est::shape<4>> targets{6};

    batch_data() {
        est::random_engine engine(7);
        for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);
        for (std::size_t i = 0; i < 6; ++i) classes.data()[i] = std::int64_t(engine.below(4));
        for (std::size_t i = 0; i < targets.size(); ++i) targets.data()[i] = engine.uniform(0.0f, 1.0f);
    }
};

/// Checks d(loss)/d(every trainable value) from loss.backward() against central differences of
/// loss.value(), where `loss_of(net, data)` builds the loss after a TRAIN forward pass.
template <class LossOf>
void check_gradient(LossOf loss_of) {
    net_type net;
    net.initialize(3);
    batch_data data;
    loss_of(net, data).backward();
    for (auto const& p : net.parameters()) {
        auto gradient = net.read_gradient(p);
        auto values = net.read(p);
        for (std::size_t i = 0; i < values.size(); ++i) {
            auto perturbed = values;
            perturbed[i] = values[i] + 1e-2f;
            net.write(p, perturbed);
            double up = loss_of(net, data).value();
            perturbed[i] = values[i] - 1e-2f;
            net.write(p, perturbed);
            double down = loss_of(net, data).value();
            net.write(p, values);
            INFO(p.name << "[" << i << "]");
            CHECK(gradient[i] == Approx((up - down) / 2e-2).margin(2e-3).epsilon(2e-2));
        }
    }
}

auto sparse = [](net_type& net, batch_data const& d) {
    return est::sparse_softmax_cross_entropy(d.classes, net(d.x, est::train));
};
auto sparse_smoothed = [](net_type& net, batch_data const& d) {
    return est::sparse_softmax_cross_entropy(d.classes, net(d.x, est::train), est::label_smoothing{0.2f});
};
auto soft = [](net_type& net, batch_data const& d) { return est::softmax_cross_entropy(d.targets, net(d.x, est::train)); };
auto soft_smoothed = [](net_type& net, batch_data const& d) {
    return est::softmax_cross_entropy(d.targets, net(d.x, est::train), est::label_smoothing{0.3f});
};
auto squared = [](net_type& net, batch_data const& d) { return est::mean_squared_error(d.targets, net(d.x, est::train)); };
}  // namespace

TEST_CASE("losses: each loss's gradient is the gradient of its value", "[train][loss][gradient]") {
    SECTION("sparse_softmax_cross_entropy") { check_gradient(sparse); }
    SECTION("sparse_softmax_cross_entropy with label smoothing") { check_gradient(sparse_smoothed); }
    SECTION("softmax_cross_entropy of soft labels") { check_gradient(soft); }
    SECTION("softmax_cross_entropy with label smoothing") { check_gradient(soft_smoothed); }
    SECTION("mean_squared_error") { check_gradient(squared); }
    SECTION("l2 of the first layer") {
        check_gradient([](net_type& net, batch_data const&) { return est::l2<1>(net); });
    }
}

TEST_CASE("losses: sums, differences, multiples and L2 terms back-propagate the value they report",
          "[train][loss][gradient]") {
    SECTION("a scalar multiple") {
        check_gradient([](net_type& net, batch_data const& d) { return 0.25f * sparse(net, d); });
    }
    SECTION("a quotient") {
        check_gradient([](net_type& net, batch_data const& d) { return squared(net, d) / 4.0f; });
    }
    SECTION("two losses of the same output") {
        check_gradient([](net_type& net, batch_data const& d) {
            auto logits = net(d.x, est::train);
            return est::sparse_softmax_cross_entropy(d.classes, logits) +
                   0.5f * est::mean_squared_error(d.targets, logits);
        });
    }
    SECTION("a difference") {
        check_gradient([](net_type& net, batch_data const& d) {
            auto logits = net(d.x, est::train);
            return est::softmax_cross_entropy(d.targets, logits, est::label_smoothing{0.1f}) -
                   est::mean_squared_error(d.targets, logits) * 0.1f;
        });
    }
    SECTION("a loss plus L2 of the second layer only") {
        check_gradient([](net_type& net, batch_data const& d) { return sparse_smoothed(net, d) + 0.1f * est::l2<2>(net); });
    }
    SECTION("L2 of both layers, scaled twice, plus two scaled losses") {
        check_gradient([](net_type& net, batch_data const& d) {
            auto logits = net(d.x, est::train);
            return 2.0f * (0.05f * est::l2<1, 2>(net) + est::softmax_cross_entropy(d.targets, logits)) +
                   est::sparse_softmax_cross_entropy(d.classes, logits) * 0.5f;
        });
    }
}

TEST_CASE("losses: values", "[train][loss]") {
    net_type net;
    net.initialize(1);
    batch_data d;
    auto logits = net(d.x, est::train);
    auto a = est::sparse_softmax_cross_entropy(d.classes, logits);
    auto b = est::mean_squared_error(d.targets, logits);
    CHECK((a + b).value() == Approx(a.value() + b.value()));
    CHECK((a - 3.0f * b).value() == Approx(a.value() - 3.0f * b.value()));
    CHECK((a / 2.0f).batch_size() == 6);
    CHECK(est::l2<1>(net).batch_size() == 0);

    double squares = 0.0;
    for (auto const& p : net.parameters())
        if (p.name == "1_dense/kernel")
            for (float w : net.read(p)) squares += double(w) * w;
    CHECK(est::l2<1>(net).value() == Approx(squares));

    // Smoothing 1 makes every class's target 1/4, so the loss no longer depends on the labels.
    auto uniform = est::sparse_softmax_cross_entropy(d.classes, logits, est::label_smoothing{1.0f});
    est::batch_tensor<std::int64_t, est::shape<>> zeros(6);
    std::fill_n(zeros.data(), 6, 0);
    CHECK(uniform.value() == Approx(est::sparse_softmax_cross_entropy(zeros, logits, est::label_smoothing{1.0f}).value()));
}

TEST_CASE("losses: known values and mistakes in the data", "[train][loss]") {
    using linear = est::sequential<est::input<4>, est::dense<4>>;
    linear net;
    est::batch_tensor<float, est::shape<4>> zeros(1);
    std::fill_n(zeros.data(), 4, 0.0f);
    auto logits = net(zeros, est::eval);  // zero weights: every logit is 0
    est::batch_tensor<std::int64_t, est::shape<>> label(1);
    label.data()[0] = 2;
    CHECK(est::sparse_softmax_cross_entropy(label, logits).value() == Approx(std::log(4.0)));
    est::batch_tensor<float, est::shape<4>> threes(1);
    std::fill_n(threes.data(), 4, 3.0f);
    CHECK(est::mean_squared_error(threes, logits).value() == Approx(9.0));

    label.data()[0] = 4;
    CHECK_THROWS_WITH(est::sparse_softmax_cross_entropy(label, logits),
                      Catch::Contains("label 4 of example 0 is outside [0, 4)"));
    label.data()[0] = 1;
    CHECK_THROWS_WITH(est::sparse_softmax_cross_entropy(label, logits, est::label_smoothing{1.5f}),
                      Catch::Contains("label_smoothing 1.5") && Catch::Contains("outside [0, 1]"));

    using with_norm = est::sequential<est::input<4>, est::batch_norm<>, est::dense<2>>;
    with_norm normed;
    CHECK_THROWS_WITH(est::l2<1>(normed), Catch::Contains("layer 1 (1_batch_norm) has no weights"));
}
