#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <cmath>

namespace {
/// A model with one dense layer (2 -> 1) whose parameters a test sets and reads.
using net_type = est::sequential<est::input<2>, est::dense<1>>;

/// Every parameter's values, in the model's order.
template <class Net>
std::vector<float> parameters_of(Net& net) {
    std::vector<float> all;
    for (auto const& p : net.parameters()) {
        auto values = net.read(p);
        all.insert(all.end(), values.begin(), values.end());
    }
    return all;
}

/// Sets kernel (1, 2), bias 0 and fills gradients by running MSE on one example.
template <class Optimizer>
std::vector<float> one_step(Optimizer const& optimizer, typename Optimizer::template slots<est::host>& slots,
                            net_type& net, std::uint64_t step) {
    est::batch_tensor<float, est::shape<2>> x(1);
    x.data()[0] = 1.0f, x.data()[1] = -1.0f;
    est::batch_tensor<float, est::shape<1>> y(1);
    y.data()[0] = 2.0f;
    auto loss = est::mean_squared_error(y, net(x, est::train));  // prediction 1 - 2 = -1, d/dpred = 2 * (-3)
    optimizer.minimize(loss).run(slots, step);
    return parameters_of(net);
}

/// Kernel (1, 2), bias 0.
void start(net_type& net) {
    net.write(net.parameter("1_dense/kernel"), std::vector<float>{1.0f, 2.0f});
    net.write(net.parameter("1_dense/bias"), std::vector<float>{0.0f});
}
}  // namespace

TEST_CASE("sgd: plain, momentum, Nesterov and weight decay", "[train][optimizer]") {
    // gradients: kernel (-6, 6), bias -6
    {
        net_type net;
        start(net);
        est::sgd<>::slots<est::host> slots;
        auto p = one_step(est::sgd(0.1f), slots, net, 0);
        CHECK(p[0] == Approx(1.6));
        CHECK(p[1] == Approx(1.4));
        CHECK(p[2] == Approx(0.6));
    }
    {
        net_type net;
        start(net);
        est::sgd<>::slots<est::host> slots;
        est::sgd momentum(0.1f, {.momentum = 0.9f});
        one_step(momentum, slots, net, 0);  // v = g, w = 1.6
        // second step: prediction 1.6 - 1.4 + 0.6 = 0.8, g0 = 2 * (0.8 - 2) = -2.4
        auto p = one_step(momentum, slots, net, 1);
        CHECK(p[0] == Approx(1.6 - 0.1 * (0.9 * -6 + -2.4)));
    }
    {
        net_type net;
        start(net);
        est::sgd<>::slots<est::host> slots;
        auto p = one_step(est::sgd(0.1f, {.momentum = 0.9f, .nesterov = true}), slots, net, 0);
        CHECK(p[0] == Approx(1.0 - 0.1 * (-6 + 0.9 * -6)));
    }
    {
        net_type net;
        start(net);
        est::sgd<>::slots<est::host> slots;
        auto p = one_step(est::sgd(0.1f, {.weight_decay = 0.5f}), slots, net, 0);
        CHECK(p[0] == Approx(1.0 - 0.1 * (-6 + 0.5 * 1.0)));
        CHECK(p[2] == Approx(0.6));  // no decay on biases
    }
}

TEST_CASE("adam: the first step moves each parameter by the learning rate", "[train][optimizer]") {
    net_type net;
    start(net);
    est::adam<>::slots<est::host> slots;
    auto p = one_step(est::adam(0.01f), slots, net, 0);
    CHECK(p[0] == Approx(1.01).epsilon(1e-5));
    CHECK(p[1] == Approx(1.99).epsilon(1e-5));
    CHECK(p[2] == Approx(0.01).epsilon(1e-4));
}

TEST_CASE("adam and sgd update every value of arenas long enough to be fetched ahead", "[train][optimizer]") {
    // The host fetches an update's arrays ahead from streamed_elements values on (host/vector_width.hpp).
    constexpr std::size_t inputs = est::detail::streamed_elements + 3;
    using wide_net = est::sequential<est::input<inputs>, est::dense<1>>;
    est::batch_tensor<float, est::shape<inputs>> x(1);
    for (std::size_t i = 0; i < inputs; ++i) x.data()[i] = i % 2 ? 1.0f : -1.0f;
    est::batch_tensor<float, est::shape<1>> y(1);
    y.data()[0] = 1.0f;
    auto moves = [&](auto const& optimizer) {
        wide_net net;
        net.initialize(3);
        std::vector<float> before = parameters_of(net);
        typename std::remove_cvref_t<decltype(optimizer)>::template slots<est::host> slots;
        auto loss = est::mean_squared_error(y, net(x, est::train));
        optimizer.minimize(loss).run(slots, 0);
        std::vector<float> change = parameters_of(net);
        for (std::size_t i = 0; i < change.size(); ++i) change[i] -= before[i];
        return change;
    };
    // Adam's first step moves each value by the rate, against its gradient's sign; the kernel's
    // gradients alternate in sign with x.
    auto adam = moves(est::adam(0.01f));
    REQUIRE(adam.size() == inputs + 1);
    float sign = adam[1] > 0.0f ? 1.0f : -1.0f;  // the gradient's sign at an odd input
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < inputs; ++i) wrong += std::abs(adam[i] - (i % 2 ? sign : -sign) * 0.01f) > 1e-5f;
    CHECK(wrong == 0);
    CHECK(std::abs(std::abs(adam[inputs]) - 0.01f) < 1e-5f);  // the bias
    // SGD with momentum moves each kernel value by rate * |gradient|, the same for all (up to the
    // rounding of the values, about 1e-3, whose ulp is 1e-10).
    auto sgd = moves(est::sgd(0.001f, {.momentum = 0.9f}));
    wrong = 0;
    for (std::size_t i = 0; i < inputs; ++i) wrong += std::abs(sgd[i] - (i % 2 ? 1.0f : -1.0f) * sgd[1]) > 1e-8f;
    CHECK(std::abs(sgd[1]) > 1e-6f);
    CHECK(wrong == 0);
}

TEST_CASE("optimizers refuse settings that cannot train, naming them", "[train][optimizer]") {
    using Catch::Contains;
    CHECK_THROWS_WITH(est::adam(0.01f, {.beta1 = 1.0f}), Contains("adam: beta1 must be in [0, 1), not 1"));
    CHECK_THROWS_WITH(est::adam(0.01f, {.beta2 = 1.5f}), Contains("adam: beta2 must be in [0, 1)"));
    CHECK_THROWS_WITH(est::adam(0.01f, {.epsilon = 0.0f}), Contains("adam: epsilon must be a finite number > 0"));
    CHECK_THROWS_WITH(est::adam(0.01f, {.weight_decay = -1.0f}), Contains("adam: weight_decay must be"));
    CHECK_THROWS_WITH(est::adam(std::nanf("")), Contains("adam: the learning rate must be a finite number >= 0"));
    CHECK_THROWS_WITH(est::adam(est::polynomial_decay{.initial_rate = -0.1f}), Contains("adam: the learning rate"));
    CHECK_THROWS_WITH(est::sgd(-0.1f), Contains("sgd: the learning rate must be a finite number >= 0, not -0.1"));
    CHECK_THROWS_WITH(est::sgd(0.1f, {.momentum = -0.5f}), Contains("sgd: momentum must be a finite number >= 0"));
    CHECK_THROWS_WITH(est::sgd(0.1f, {.nesterov = true}), Contains("sgd: momentum must be > 0 with nesterov"));
    CHECK_THROWS_WITH(est::adam(est::exponential_decay{.decay_steps = 0}),
                      Contains("adam: exponential_decay's decay_steps must be > 0, not 0"));
    CHECK_THROWS_WITH(est::sgd(est::exponential_decay{.decay_rate = -0.5f}),
                      Contains("sgd: exponential_decay's decay_rate must be a finite number > 0"));
    CHECK_THROWS_WITH(est::sgd(est::polynomial_decay{.decay_steps = 0}),
                      Contains("sgd: polynomial_decay's decay_steps must be > 0"));
    CHECK_THROWS_WITH(est::adam(est::polynomial_decay{.end_rate = -0.01f}),
                      Contains("adam: polynomial_decay's end_rate must be a finite number >= 0"));
    CHECK_THROWS_WITH(est::adam(est::polynomial_decay{.power = -1.0f}),
                      Contains("adam: polynomial_decay's power must be a finite number >= 0"));
    CHECK_NOTHROW(est::adam(0.0f, {.beta1 = 0.0f, .beta2 = 0.0f}));  // the ranges' closed ends
    CHECK_NOTHROW(est::sgd(est::polynomial_decay{.decay_steps = 1, .end_rate = 0.0f, .power = 0.0f}));
    CHECK_NOTHROW(est::sgd(0.1f, {.momentum = 0.9f, .nesterov = true}));
}

TEST_CASE("learning-rate schedules", "[train][learning_rate]") {
    est::exponential_decay e{.initial_rate = 0.1f, .decay_steps = 10, .decay_rate = 0.5f};
    CHECK(e(0) == Approx(0.1));
    CHECK(e(10) == Approx(0.05));
    CHECK(e(5) == Approx(0.1 * std::pow(0.5, 0.5)));
    est::exponential_decay stairs{.initial_rate = 0.1f, .decay_steps = 10, .decay_rate = 0.5f, .staircase = true};
    CHECK(stairs(15) == Approx(0.05));
    est::polynomial_decay linear{.initial_rate = 1.0f, .decay_steps = 100, .end_rate = 0.0f};
    CHECK(linear(50) == Approx(0.5));
    CHECK(linear(500) == Approx(0.0));
    est::polynomial_decay squared{.initial_rate = 1.0f, .decay_steps = 100, .end_rate = 0.1f, .power = 2.0f};
    CHECK(squared(50) == Approx(0.9 * 0.25 + 0.1));
    est::polynomial_decay cyclic{.initial_rate = 1.0f, .decay_steps = 100, .end_rate = 0.0f, .cycle = true};
    CHECK(cyclic(150) == Approx(0.25));
    CHECK(est::constant_rate{0.3f}(1000) == Approx(0.3));
    CHECK(est::adam(est::exponential_decay{.initial_rate = 0.1f, .decay_steps = 10, .decay_rate = 0.5f})
              .learning_rate(10) == Approx(0.05));
}
