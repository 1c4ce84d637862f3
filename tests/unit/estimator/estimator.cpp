#include "support/weights.hpp"
#include "support/scratch_directory.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <xtensor/xbuilder.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

using namespace est::literals;

namespace {
using model = est::sequential<est::input<2>, est::dense<16, est::relu>, est::dense<2>>;

/// Two classes split by the sign of x0 + x1.
struct blobs {
    xt::xarray<float> x = xt::zeros<float>({200, 2});
    xt::xarray<std::int32_t> y = xt::zeros<std::int32_t>({200});
    blobs() {
        est::random_engine engine(3);
        for (std::size_t i = 0; i < 200; ++i) {
            x(i, 0) = engine.uniform(-1.0f, 1.0f);
            x(i, 1) = engine.uniform(-1.0f, 1.0f);
            y(i) = x(i, 0) + x(i, 1) > 0.0f ? 1 : 0;
        }
    }
    auto dataset() const {
        return est::data::from_tensor_slices(est::fields("point"_f = est::data::slices<est::shape<2>>(x)),
                                             est::fields("label"_f = est::data::slices<est::shape<>>(y)));
    }
};

using input_spec = est::element_spec<est::features<est::tensor_spec<"point", float, est::shape<2>>>,
                                est::labels<est::tensor_spec<"label", std::int32_t>>>;

struct params {
    float learning_rate = 0.05f;
    float label_scale = 1.0f;  // a test sets NaN to poison the loss
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(params, learning_rate, label_scale)

auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, params const& p) {
    auto logits = net(features["point"_f], mode);
    if constexpr (mode == est::predict) {
        return est::spec(mode, est::predictions = est::fields("class"_f = est::argmax(logits), "logits"_f = logits));
    } else {
        auto loss = p.label_scale * est::sparse_softmax_cross_entropy(labels["label"_f], logits);
        if constexpr (mode == est::train)
            return est::spec(mode, est::loss = loss, est::train_op = est::adam(p.learning_rate).minimize(loss));
        else
            return est::spec(
                mode, est::loss = loss,
                est::eval_metric_ops = est::fields("accuracy"_f = est::metrics::accuracy(labels["label"_f], logits),
                                                   "mean_loss"_f = est::metrics::mean(loss)));
    }
};

/// Records the order of hook points; stops training at step 7.
struct recorder {
    std::vector<std::string> events;
    void begin(est::run_context& c) { events.push_back("begin:" + std::string(mode_name(c))); }
    void after_create_session(est::run_context&) { events.push_back("after_create_session"); }
    void before_run(est::run_context& c) { events.push_back("before_run:" + std::to_string(c.global_step)); }
    void after_run(est::run_context& c, est::run_values const& v) {
        events.push_back("after_run:" + std::to_string(c.global_step));
        CHECK(v.batch_size > 0);
        if (c.mode == est::mode_key::train && c.global_step == 7)
            c.request_stop();
    }
    void end(est::run_context&) { events.push_back("end"); }
    static std::string_view mode_name(est::run_context const& c) {
        return c.mode == est::mode_key::train ? "train" : c.mode == est::mode_key::eval ? "eval" : "predict";
    }
};

/// Counts the steps that ran with denormals flushed, as TensorFlow's CPU threads run them.
struct flush_checker {
    std::size_t flushed = 0, steps = 0;
    void before_run(est::run_context&) {
        ++steps;
        flushed += est::denormals_flushed::active();
    }
};

/// Params without a to_json.
struct plain_params {
    int layers = 2;
};

/// A hook that declares only one point.
struct step_counter {
    std::uint64_t steps = 0;
    void after_run(est::run_context&, est::run_values const&) { ++steps; }
};
}  // namespace

TEST_CASE("estimator: trains, evaluates and predicts", "[estimator]") {
    blobs data;
    // No model_dir: a new directory under the system's temporary one, as tf.estimator makes. It is
    // kept (it holds the checkpoints), so the test removes it, once the estimator is gone.
    struct removed_at_end {
        std::filesystem::path path;
        ~removed_at_end() {
            std::error_code ignored;
            std::filesystem::remove_all(path, ignored);
        }
    } model_dir;
    auto estimator = est::make_estimator<model, input_spec>(model_fn, est::run_config{.seed = 1}, params{}, step_counter{});
    model_dir.path = estimator.config().model_dir;
    CHECK(std::filesystem::is_directory(model_dir.path));
    CHECK(std::filesystem::equivalent(model_dir.path.parent_path(), std::filesystem::temp_directory_path()));
    CHECK(model_dir.path.filename().string().starts_with("est-model-"));
    auto run = nlohmann::json::parse(std::ifstream(std::filesystem::path(estimator.config().model_dir) / "run.json"));
    CHECK(run["run_config"]["seed"] == 1);
    CHECK(run["model"]["parameter_count"] == model::parameter_count);
    CHECK(run["params"]["learning_rate"].get<float>() == 0.05f);
    auto input = [&] { return data.dataset().shuffle(200, 1).repeat(20).batch(20); };
    estimator.train(input, {.steps = 150});
    CHECK(estimator.global_step() == 150);
    CHECK(estimator.hook<step_counter>().steps == 150);
    estimator.train(input, {.max_steps = 160});
    CHECK(estimator.global_step() == 160);
    CHECK(estimator.last_train_statistics().steps == 10);

    auto result = estimator.evaluate([&] { return data.dataset().batch(64); });
    CHECK(result["accuracy"_f] > 0.95);
    STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(result["global_step"_f])>, std::uint64_t>);
    CHECK(result["global_step"_f] == 160);
    CHECK(result["loss"_f] == Approx(result["mean_loss"_f]));
    CHECK(result["loss"_f] < 0.3);
    CHECK(est::by_name(result)["accuracy"] == result["accuracy"_f]);
    CHECK_THROWS_WITH(est::by_name(result)["acuracy"],
                      "the evaluation has no metric 'acuracy' (it has: accuracy, mean_loss, loss, global_step)");

    std::size_t count = 0, correct = 0;
    for (auto const& p : estimator.predict([&] { return data.dataset().batch(64); })) {
        STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(p["class"_f])>, std::int64_t>);
        CHECK(p["logits"_f].size() == 2);
        CHECK(std::size_t(p["class"_f]) == (p["logits"_f](1) > p["logits"_f](0) ? 1u : 0u));
        correct += p["class"_f] == data.y(count) ? 1 : 0;
        ++count;
    }
    CHECK(count == 200);
    CHECK(double(correct) / 200.0 == Approx(result["accuracy"_f]));

    // A PREDICT input needs features only.
    auto features_only = [&] {
        return est::data::from_tensor_slices(est::fields("point"_f = est::data::slices<est::shape<2>>(data.x)))
            .batch(64);
    };
    std::size_t unlabeled = 0;
    for (auto const& p : estimator.predict(features_only)) unlabeled += p["class"_f] >= 0 ? 1 : 0;
    CHECK(unlabeled == 200);

    // One-off prediction on tensors in memory, by feature name: the same classes, from doubles too.
    auto in_memory = estimator.predict("point"_f = data.x);
    REQUIRE(in_memory.size() == 200);
    xt::xarray<double> as_doubles = xt::cast<double>(data.x);
    auto from_doubles = estimator.predict("point"_f = as_doubles);
    std::size_t same = 0, i = 0;
    for (auto const& p : estimator.predict(features_only)) {
        same += p["class"_f] == in_memory[i]["class"_f] && p["class"_f] == from_doubles[i]["class"_f];
        ++i;
    }
    CHECK(same == 200);
}

TEST_CASE("run.json: params with a to_json are recorded, others as null", "[estimator]") {
    auto recorded = est::detail::params_as_json(params{});
    REQUIRE(recorded);
    auto json = nlohmann::json::parse(*recorded);
    CHECK(json["learning_rate"].get<float>() == 0.05f);
    CHECK(json["label_scale"].get<float>() == 1.0f);
    CHECK_FALSE(est::detail::params_as_json(plain_params{}));
    CHECK_FALSE(est::detail::params_as_json(est::no_params{}));
}

TEST_CASE("estimator: train(...).evaluate(...) chains, and each evaluation joins the checkpoint index",
          "[estimator]") {
    blobs data;
    auto estimator = est::make_estimator<model, input_spec>(
        model_fn, est::run_config{.model_dir = test::fresh_model_dir("chains"), .seed = 2}, params{});
    auto input = [&] { return data.dataset().shuffle(200, 1).repeat().batch(20); };
    auto eval_input = [&] { return data.dataset().batch(64); };
    auto first = estimator.train(input, {.steps = 20}).evaluate(eval_input);
    auto second = estimator.train(input, {.steps = 20}).evaluate(eval_input);
    CHECK(first["global_step"_f] == 20);
    CHECK(second["global_step"_f] == 40);
    std::map<std::uint64_t, double> recorded;
    for (auto const& c : estimator.checkpoints())
        if (auto accuracy = c.metrics.find("accuracy"))
            recorded[c.global_step] = *accuracy;
    REQUIRE(recorded.size() == 2);
    CHECK(recorded[20] == first["accuracy"_f]);
    CHECK(recorded[40] == second["accuracy"_f]);
}

TEST_CASE("estimator: hook points fire in order and a hook can stop training", "[estimator][hooks]") {
    blobs data;
    auto estimator = est::make_estimator<model, input_spec>(
        model_fn, est::run_config{.model_dir = test::fresh_model_dir("hook-points"), .seed = 2}, params{}, recorder{});
    estimator.train([&] { return data.dataset().repeat().batch(10); }, {.steps = 100});
    auto const& e = estimator.hook<recorder>().events;
    REQUIRE(e.size() == 2 + 2 * 7 + 1);
    CHECK(e[0] == "begin:train");
    CHECK(e[1] == "after_create_session");
    CHECK(e[2] == "before_run:0");
    CHECK(e[3] == "after_run:1");
    CHECK(e[14] == "before_run:6");
    CHECK(e[15] == "after_run:7");
    CHECK(e[16] == "end");
    CHECK(estimator.global_step() == 7);
}

TEST_CASE("estimator: train, evaluate and predict flush denormals, and leave them as they were", "[estimator]") {
    blobs data;
    auto estimator = est::make_estimator<model, input_spec>(
        model_fn, est::run_config{.model_dir = test::fresh_model_dir("denormals"), .seed = 2}, params{},
        flush_checker{});
    bool before = est::denormals_flushed::active();
    estimator.train([&] { return data.dataset().repeat().batch(10); }, {.steps = 3});
    estimator.evaluate([&] { return data.dataset().batch(64); });
    std::size_t predictions = 0;
    for (auto const& p : estimator.predict([&] { return data.dataset().batch(64); })) predictions += p["class"_f] >= 0;
    CHECK(predictions > 0);
    auto const& checker = estimator.hook<flush_checker>();
    CHECK(checker.steps > 3);
#if defined(__x86_64__) || defined(__i386__)
    CHECK(checker.flushed == checker.steps);
#endif
    CHECK(est::denormals_flushed::active() == before);
}

TEST_CASE("estimator: a NaN loss stops training, names the step and keeps the weights", "[estimator]") {
    blobs data;
    auto estimator = est::make_estimator<model, input_spec>(
        model_fn, est::run_config{.model_dir = test::fresh_model_dir("nan-loss"), .seed = 3},
        params{.label_scale = NAN});
    auto before = test::weights_of(estimator);
    CHECK_THROWS_WITH(estimator.train([&] { return data.dataset().batch(10); }),
                      Catch::Contains("training loss is nan at global step 0"));
    CHECK(test::weights_of(estimator) == before);
}

TEST_CASE("estimator: step counts that cannot mean anything are refused, as tf.estimator does", "[estimator]") {
    using Catch::Contains;
    blobs data;
    bool input_called = false;
    auto input = [&] {
        input_called = true;
        return data.dataset().repeat().batch(20);
    };
    auto estimator = est::make_estimator<model, input_spec>(
        model_fn,
        est::run_config{.model_dir = test::fresh_model_dir("step-counts-never"),
                        .seed = 2,
                        .save_checkpoints_secs = std::numeric_limits<std::uint64_t>::max()},
        params{});
    CHECK_THROWS_WITH(estimator.train(input, {.steps = 5, .max_steps = 10}),
                      Contains("train: steps and max_steps cannot both be given"));
    CHECK_THROWS_WITH(estimator.train(input, {.steps = 0}), Contains("train: steps must be at least 1, not 0"));
    CHECK_THROWS_WITH(estimator.train(input, {.max_steps = 0}), Contains("train: max_steps must be at least 1, not 0"));
    CHECK_THROWS_WITH(est::train_and_evaluate(estimator, est::train_spec{.input_fn = input, .max_steps = 0},
                                              est::eval_spec{.input_fn = input}),
                      Contains("train: max_steps must be at least 1, not 0"));
    CHECK_THROWS_WITH(est::train_and_evaluate(estimator, est::train_spec{.input_fn = input, .max_steps = 10},
                                              est::eval_spec{.input_fn = input, .steps = 0}),
                      Contains("evaluate: steps must be at least 1, not 0"));
    CHECK_FALSE(input_called);  // each refused before an input is built
    CHECK_THROWS_WITH(estimator.evaluate(input, {.steps = 0}), Contains("evaluate: steps must be at least 1, not 0"));

    // A save period meaning "never" (2^64 - 1 s) does not wrap to "every step": 5 steps write the
    // checkpoints that they write with the default of 600 s.
    estimator.train(input, {.steps = 5});
    auto reference = est::make_estimator<model, input_spec>(
        model_fn, est::run_config{.model_dir = test::fresh_model_dir("step-counts-reference"), .seed = 2}, params{});
    reference.train(input, {.steps = 5});
    CHECK(estimator.checkpoints().size() == reference.checkpoints().size());

    // A step count past the largest global step, from step 5, trains until something else stops it
    // (the input here; a hook's num_steps as large does not stop it either): no wrapped target.
    auto finite = est::make_estimator<model, input_spec>(
        model_fn, est::run_config{.model_dir = test::fresh_model_dir("step-counts-forever"), .seed = 2}, params{},
        est::hooks::stop_at_step({.num_steps = std::numeric_limits<std::uint64_t>::max()}));
    finite.train(input, {.steps = 5});
    finite.train([&] { return data.dataset().repeat(2).batch(20); },
                 {.steps = std::numeric_limits<std::uint64_t>::max()});
    CHECK(finite.global_step() == 25);  // the input's 20 batches after the 5 before
}

TEST_CASE("spec: fields are found by name", "[estimator][spec]") {
    model net;
    est::batch_tensor<float, est::shape<2>> x(1);
    est::batch_tensor<std::int32_t, est::shape<>> y(1);
    y.data()[0] = 1;
    auto loss = est::sparse_softmax_cross_entropy(y, net(x, est::eval));
    auto spec = est::spec(est::eval, est::loss = loss);
    STATIC_REQUIRE(decltype(spec)::has(est::loss));
    STATIC_REQUIRE_FALSE(decltype(spec)::has(est::eval_metric_ops));
    CHECK(spec[est::loss].value() == loss.value());
    STATIC_REQUIRE(est::eval == est::eval);
    STATIC_REQUIRE_FALSE(est::eval == est::train);
}
