// Each concept holds for the minimal complete definition its doc block lists, for est's own models
// of it, and not for a type that lacks a part of it.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

namespace {
/// Metric: operator+= and result().
struct count_metric {
    double n = 0.0;
    count_metric& operator+=(count_metric const& other) {
        n += other.n;
        return *this;
    }
    double result() const { return n; }
};
struct metric_without_result {
    metric_without_result& operator+=(metric_without_result const&) { return *this; }
};

/// Dataset: element_type, iterator_type, make_iterator() and next().
struct countdown {
    using element_type = int;
    struct iterator_type {
        int left;
        bool next(int& out) {
            if (left == 0)
                return false;
            out = left--;
            return true;
        }
    };
    int from = 3;
    iterator_type make_iterator() const { return {from}; }
};
struct dataset_without_iterator_type {
    using element_type = int;
    countdown::iterator_type make_iterator() const { return {3}; }
};

/// Hook: one point with its signature.
struct step_hook {
    void after_run(est::run_context&, est::run_values const&) {}
};
struct hook_with_wrong_point {
    void after_run(est::run_context&) {}
};
struct no_points {};

/// Layer: the type-level part, and a parameter-free run-time part.
struct identity : est::detail::shape_preserving {
    static constexpr std::string_view kind = "identity";
    template <est::Shape In, class B>
    struct layer : est::detail::parameter_free {
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t macs = 0;
        template <est::Mode M>
        est::backend_view<float const, In, B> forward(est::backend_view<float const, In, B> x, M,
                                                      est::step_context const&) {
            return x;
        }
        est::backend_view<float, In, B> backward(est::backend_view<float const, In, B>,
                                                 est::backend_view<float, In, B> dy, bool) {
            return dy;
        }
    };
};

using model = est::sequential<est::input<4>, identity, est::dense<2>>;

template <class L>
constexpr bool value_member_assignable = requires(L l) { l.value *= 2.0f; };
template <class L>
constexpr bool value_result_assignable = requires(L l) { l.value() *= 2.0f; };
}  // namespace

TEST_CASE("concepts: the minimal complete definitions model them", "[core][concepts]") {
    STATIC_REQUIRE(est::Metric<count_metric>);
    STATIC_REQUIRE(est::Metric<est::metrics::ratio>);
    STATIC_REQUIRE_FALSE(est::Metric<metric_without_result>);

    STATIC_REQUIRE(est::data::Dataset<countdown>);
    STATIC_REQUIRE(est::data::Dataset<decltype(est::data::list_files("*.tfrecord"))>);
    STATIC_REQUIRE_FALSE(est::data::Dataset<dataset_without_iterator_type>);

    STATIC_REQUIRE(est::Hook<step_hook>);
    STATIC_REQUIRE(est::Hook<est::hooks::logging>);
    STATIC_REQUIRE(est::Hook<est::hooks::early_stopping>);
    STATIC_REQUIRE_FALSE(est::Hook<hook_with_wrong_point>);
    STATIC_REQUIRE_FALSE(est::Hook<no_points>);

    STATIC_REQUIRE(est::Layer<identity>);
    STATIC_REQUIRE(est::LayerFor<identity, est::shape<4>, est::host>);
    STATIC_REQUIRE(est::LayerFor<est::conv2d<4, 3, est::same, est::relu>, est::shape<8, 8, 1>, est::host>);
    STATIC_REQUIRE_FALSE(est::LayerFor<est::dense<3>, est::shape<4, 4>, est::host>);

    STATIC_REQUIRE(est::Optimizer<est::adam<>>);
    STATIC_REQUIRE(est::OptimizerFor<est::sgd<>, model>);
    STATIC_REQUIRE_FALSE(est::Optimizer<count_metric>);

    STATIC_REQUIRE(est::Model<model>);
    STATIC_REQUIRE_FALSE(est::Model<est::dense<2>>);
}

TEST_CASE("concepts: a user's dataset, metric and layer work in est", "[core][concepts]") {
    std::vector<int> seen;
    auto it = countdown{}.make_iterator();
    for (int v; it.next(v);) seen.push_back(v);
    CHECK(seen == std::vector<int>{3, 2, 1});

    count_metric m{2.0};
    m += count_metric{3.0};
    CHECK(m.result() == 5.0);

    model net;
    net.initialize(1);
    est::batch_tensor<float, est::shape<4>> x(3);
    std::fill_n(x.data(), x.size(), 1.0f);
    auto y = net(x, est::eval);
    CHECK(y.value.batch == 3);
}

TEST_CASE("losses: value() is read-only, so a reported loss cannot differ from the trained one", "[train][loss]") {
    using loss = decltype(est::sparse_softmax_cross_entropy(std::declval<est::batch_tensor<std::int32_t, est::shape<>>&>(),
                                                            std::declval<est::model_output<model>>()));
    STATIC_REQUIRE(est::is_loss_v<loss>);
    STATIC_REQUIRE_FALSE(value_member_assignable<loss>);
    STATIC_REQUIRE_FALSE(value_result_assignable<loss>);
    STATIC_REQUIRE(requires(loss l) { { 2.0f * l } -> std::same_as<loss>; });
}
