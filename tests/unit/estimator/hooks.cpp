// Hook points and the standard hooks: when each point fires relative to summaries, checkpoints
// and evaluations; hooks from specs; and what each standard hook does.
#include "support/classifier.hpp"
#include "support/weights.hpp"
#include "support/events.hpp"
#include "support/scratch_directory.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <xtensor/xbuilder.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace est::literals;
namespace fs = std::filesystem;

namespace {
auto dataset() {
    xt::xarray<float> x = xt::zeros<float>({64, 3});
    xt::xarray<std::int32_t> y = xt::zeros<std::int32_t>({64});
    est::random_engine engine(5);
    for (auto& v : x) v = engine.uniform(-1.0f, 1.0f);
    for (std::size_t i = 0; i < 64; ++i) y(i) = x(i, 0) - x(i, 1) > 0.0f ? 1 : 0;
    return est::data::from_tensor_slices(est::fields("x"_f = est::data::slices<est::shape<3>>(x)),
                                         est::fields("label"_f = est::data::slices<est::shape<>>(y)));
}
using input_spec = est::element_spec<est::features<est::tensor_spec<"x", float, est::shape<3>>>,
                                est::labels<est::tensor_spec<"label", std::int32_t>>>;
using model = est::sequential<est::input<3>, est::dense<8, est::relu>, est::dense<2>>;

/// Reads what a hook printed to a temporary stream.
struct captured_stream {
    std::FILE* file = std::tmpfile();
    ~captured_stream() { std::fclose(file); }
    std::string text() const {
        std::fflush(file);
        std::rewind(file);
        std::string out;
        char buffer[4096];
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) out.append(buffer, n);
        return out;
    }
};

/// Records every point it sees, with what is on disk and in the context at that moment.
struct recorder {
    std::shared_ptr<std::vector<std::string>> events = std::make_shared<std::vector<std::string>>();
    std::string name = "static";

    void begin(est::run_context& c) { log(c, "begin"); }
    void after_create_session(est::run_context& c) { log(c, "after_create_session"); }
    void before_run(est::run_context& c) { log(c, "before_run"); }
    void after_run(est::run_context& c, est::run_values const&) {
        std::string state;
        if (c.mode == est::mode_key::train) {
            auto checkpoint = fs::path(c.config->model_dir) / ("ckpt-" + std::to_string(c.global_step) + ".safetensors");
            state = fs::exists(checkpoint) ? " saved" : "";
            if (c.latest_evaluation)
                state += " evaluated@" + std::to_string(std::uint64_t((*c.latest_evaluation)["global_step"]));
        }
        log(c, "after_run", state);
    }
    void end(est::run_context& c) { log(c, "end"); }

    void log(est::run_context const& c, std::string const& point, std::string const& state = "") {
        std::string mode = c.mode == est::mode_key::train ? "train" : c.mode == est::mode_key::eval ? "eval" : "predict";
        events->push_back(name + " " + mode + " " + point + ":" + std::to_string(c.global_step) + state);
    }
};

/// A model_fn whose specs carry runtime hooks from its params.
struct hook_params {
    est::hook_list training, evaluation, prediction;
};
auto model_fn_with_hooks = [](auto const& features, auto const& labels, auto mode, auto& net, hook_params const& p) {
    auto logits = net(features["x"_f], mode);
    if constexpr (mode == est::predict) {
        return est::spec(mode, est::predictions = est::fields("classes"_f = est::argmax(logits)),
                         est::prediction_hooks = p.prediction);
    } else {
        auto loss = est::sparse_softmax_cross_entropy(labels["label"_f], logits);
        if constexpr (mode == est::train)
            return est::spec(mode, est::loss = loss, est::train_op = est::sgd(0.1f).minimize(loss),
                             est::training_hooks = p.training);
        else
            return est::spec(mode, est::loss = loss,
                             est::eval_metric_ops =
                                 est::fields("accuracy"_f = est::metrics::accuracy(labels["label"_f], logits)),
                             est::evaluation_hooks = p.evaluation);
    }
};

auto plain_model_fn = test::classifier_model_fn<"x">([] { return est::sgd(0.1f); });

using test::weights_of;
}  // namespace

TEST_CASE("hooks: points fire after summaries, checkpoints and evaluations of their step", "[hooks]") {
    auto data = dataset();
    std::string dir = test::fresh_model_dir("order");
    est::run_config config{.model_dir = dir, .seed = 1, .save_checkpoints_steps = 2, .keep_checkpoint_max = 0};
    auto estimator = est::make_estimator<model, input_spec>(plain_model_fn, config, est::no_params{}, recorder{});
    auto events = estimator.hook<recorder>().events;
    est::train_and_evaluate(estimator, est::train_spec{.input_fn = [&] { return data.repeat().batch(8); }, .max_steps = 4},
                            est::eval_spec{.input_fn = [&] { return data.batch(32); }, .every_steps = 3});
    std::vector<std::string> expected = {
        "static train begin:0", "static train after_create_session:0",
        "static train before_run:0", "static train after_run:1",
        "static train before_run:1", "static train after_run:2 saved",
        "static train before_run:2",
        // the evaluation of step 3 runs before after_run of step 3, which sees it
        "static eval begin:3", "static eval after_create_session:3", "static eval before_run:3",
        "static eval after_run:3", "static eval before_run:3", "static eval after_run:3", "static eval end:3",
        "static train after_run:3 saved evaluated@3",
        "static train before_run:3", "static train after_run:4 saved evaluated@3",
        "static train end:4",
        // the final evaluation, after train's end
        "static eval begin:4", "static eval after_create_session:4", "static eval before_run:4",
        "static eval after_run:4", "static eval before_run:4", "static eval after_run:4", "static eval end:4"};
    CHECK(*events == expected);

    // after_create_session of a new estimator on the same model_dir sees the restored step.
    auto restored = est::make_estimator<model, input_spec>(plain_model_fn, config, est::no_params{}, recorder{});
    restored.train([&] { return data.repeat().batch(8); }, {.steps = 1});
    CHECK(restored.hook<recorder>().events->at(1) == "static train after_create_session:4");
}

TEST_CASE("hooks: a spec's runtime hooks join at the first step, after the static ones", "[hooks]") {
    auto data = dataset();
    recorder static_hook;
    auto events = static_hook.events;  // the spec's hooks write to the same list
    recorder spec_hook{.events = events, .name = "spec"};
    hook_params params{{est::make_hook(spec_hook)}, {est::make_hook(spec_hook)}, {est::make_hook(spec_hook)}};
    auto estimator = est::make_estimator<model, input_spec>(
        model_fn_with_hooks, est::run_config{.model_dir = test::fresh_model_dir("runtime-hooks"), .seed = 2}, params,
        static_hook);
    auto count = [&](std::string const& prefix) {
        return std::count_if(events->begin(), events->end(),
                             [&](std::string const& e) { return e.rfind(prefix, 0) == 0; });
    };
    estimator.train([&] { return data.repeat().batch(8); }, {.steps = 2});
    std::vector<std::string> train_expected = {"static train begin:0",  "static train after_create_session:0",
                                               "static train before_run:0", "spec train begin:0",
                                               "spec train after_create_session:0", "spec train before_run:0",
                                               "static train after_run:1", "spec train after_run:1",
                                               "static train before_run:1", "spec train before_run:1",
                                               "static train after_run:2", "spec train after_run:2",
                                               "static train end:2", "spec train end:2"};
    std::vector<std::string> train_seen;
    for (auto const& e : *events)
        if (e.find(" train ") != std::string::npos)
            train_seen.push_back(e);
    CHECK(train_seen == train_expected);

    estimator.evaluate([&] { return data.batch(32); });
    CHECK(count("spec eval ") == 7);  // begin, after_create_session, 2 x (before_run, after_run), end
    CHECK(events->back() == "spec eval end:2");

    std::size_t predicted = 0;
    for (auto const& p : estimator.predict([&] { return data.batch(32); })) predicted += p["classes"_f] >= 0 ? 1 : 0;
    CHECK(predicted == 64);
    CHECK(count("spec predict ") == 7);
    CHECK(events->back() == "spec predict end:2");
    std::vector<std::string> predict_seen;
    for (auto const& e : *events)
        if (e.rfind("static predict ", 0) == 0)
            predict_seen.push_back(e);
    CHECK(predict_seen == std::vector<std::string>{"static predict begin:2", "static predict after_create_session:2",
                                                   "static predict before_run:2", "static predict after_run:2",
                                                   "static predict before_run:2", "static predict after_run:2",
                                                   "static predict end:2"});
}

TEST_CASE("hooks::logging prints every N steps, with requested tensors", "[hooks]") {
    auto data = dataset();
    captured_stream out;
    auto estimator = est::make_estimator<model, input_spec>(
        plain_model_fn, est::run_config{.model_dir = test::fresh_model_dir("logging"), .seed = 3}, est::no_params{},
        est::hooks::logging({.every_steps = 5, .tensors = {"2_dense/bias", "1_dense/output"}, .stream = out.file}));
    estimator.train([&] { return data.repeat().batch(8); }, {.steps = 20});
    std::istringstream lines(out.text());
    std::vector<std::string> seen;
    for (std::string line; std::getline(lines, line);) seen.push_back(line);
    REQUIRE(seen.size() == 4);
    CHECK(seen[0].rfind("step 5  loss ", 0) == 0);
    CHECK(seen[3].rfind("step 20  loss ", 0) == 0);
    CHECK(seen[3].find("2_dense/bias mean") != std::string::npos);
    CHECK(seen[3].find("1_dense/output mean") != std::string::npos);
    CHECK(seen[3].find("examples/s") != std::string::npos);

    estimator.hook<est::hooks::logging>() =
        est::hooks::logging({.every_steps = 5, .tensors = {"3_dense/kernel"}, .stream = out.file});
    CHECK_THROWS_WITH(estimator.train([&] { return data.repeat().batch(8); }, {.steps = 5}),
                      Catch::Contains("tensor '3_dense/kernel'") && Catch::Contains("1_dense/kernel"));
}

TEST_CASE("hooks::stop_at_step stops after a number of steps or at a global step", "[hooks]") {
    auto data = dataset();
    auto estimator = est::make_estimator<model, input_spec>(
        plain_model_fn, est::run_config{.model_dir = test::fresh_model_dir("stop-at-step"), .seed = 4},
        est::no_params{}, est::hooks::stop_at_step({.num_steps = 7}));
    estimator.train([&] { return data.repeat().batch(8); });
    CHECK(estimator.global_step() == 7);
    estimator.train([&] { return data.repeat().batch(8); });
    CHECK(estimator.global_step() == 14);
    estimator.hook<est::hooks::stop_at_step>() = est::hooks::stop_at_step({.last_step = 20});
    estimator.train([&] { return data.repeat().batch(8); });
    CHECK(estimator.global_step() == 20);
}

namespace {
struct save_listener final : est::checkpoint_listener {
    std::vector<std::string> calls;
    void before_save(est::run_context&, std::uint64_t step) override {
        calls.push_back("before:" + std::to_string(step));
    }
    void after_save(est::run_context& c, std::uint64_t step, fs::path const& file) override {
        calls.push_back("after:" + std::to_string(step) + (fs::exists(file) ? " exists" : " missing"));
        if (step == 8)
            c.request_stop();
    }
    void end(est::run_context&, std::uint64_t step) override { calls.push_back("end:" + std::to_string(step)); }
};
}  // namespace

TEST_CASE("hooks::checkpoint_saver saves on its schedule and tells its listeners", "[hooks]") {
    auto data = dataset();
    auto listener = std::make_shared<save_listener>();
    std::string dir = test::fresh_model_dir("saver");
    auto estimator = est::make_estimator<model, input_spec>(plain_model_fn, est::run_config{.model_dir = dir, .seed = 5, .keep_checkpoint_max = 0}, est::no_params{}, est::hooks::checkpoint_saver({.every_steps = 4, .listeners = {listener}}));
    estimator.train([&] { return data.repeat().batch(8); }, {.steps = 100});
    CHECK(listener->calls ==
          std::vector<std::string>{"before:4", "after:4 exists", "before:8", "after:8 exists", "end:8"});
    CHECK(estimator.global_step() == 8);  // the listener stopped training after the save of step 8
    CHECK(fs::exists(fs::path(dir) / "ckpt-4.safetensors"));
}

namespace {
/// A loss that turns NaN from the `nan_from`-th call of the model_fn on.
struct nan_params {
    std::shared_ptr<int> calls = std::make_shared<int>(0);
    int nan_from = 1000000;
};
auto nan_model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, nan_params const& p) {
    auto logits = net(features["x"_f], mode);
    if constexpr (mode == est::predict) {
        return est::spec(mode, est::predictions = est::fields("classes"_f = est::argmax(logits)));
    } else {
        float poison = ++*p.calls >= p.nan_from ? NAN : 1.0f;
        auto loss = poison * est::sparse_softmax_cross_entropy(labels["label"_f], logits);
        if constexpr (mode == est::train)
            return est::spec(mode, est::loss = loss, est::train_op = est::sgd(0.1f).minimize(loss));
        else
            return est::spec(mode, est::loss = loss);
    }
};
}  // namespace

TEST_CASE("hooks::nan_tensor fails naming the step, or stops and keeps the last finite weights", "[hooks]") {
    auto data = dataset();
    auto input = [&] { return data.repeat().batch(8); };
    SECTION("fail") {
        auto estimator = est::make_estimator<model, input_spec>(
            nan_model_fn, est::run_config{.model_dir = test::fresh_model_dir("nan-fail"), .seed = 6},
            nan_params{.nan_from = 4}, est::hooks::nan_tensor{});
        CHECK_THROWS_WITH(estimator.train(input, {.steps = 10}),
                          Catch::Contains("nan_tensor: the training loss is nan at global step 3"));
        CHECK(estimator.global_step() == 3);
    }
    SECTION("stop") {
        std::string dir = test::fresh_model_dir("nan-stop");
        captured_stream err;
        auto estimator = est::make_estimator<model, input_spec>(nan_model_fn, est::run_config{.model_dir = dir, .seed = 6}, nan_params{.nan_from = 4}, est::hooks::nan_tensor({.fail_on_nan_loss = false, .stream = err.file}));
        auto reference = est::make_estimator<model, input_spec>(
            nan_model_fn, est::run_config{.model_dir = test::fresh_model_dir("nan-reference"), .seed = 6},
            nan_params{});
        reference.train(input, {.steps = 3});
        estimator.train(input, {.steps = 10});
        CHECK(estimator.global_step() == 3);
        CHECK(weights_of(estimator) == weights_of(reference));
        CHECK(err.text().find("at global step 3") != std::string::npos);
        CHECK(estimator.checkpoints().back().global_step == 3);
    }
}

TEST_CASE("hooks::early_stopping stops when the metric stops improving", "[hooks]") {
    auto data = dataset();
    // Learning rate 0: the evaluation loss never changes, so only the first evaluation improves.
    auto frozen = test::classifier_model_fn<"x">([] { return est::sgd(0.0f); });
    auto estimator = est::make_estimator<model, input_spec>(
        frozen, est::run_config{.model_dir = test::fresh_model_dir("early-stopping"), .seed = 7}, est::no_params{},
        est::hooks::early_stopping({.metric = "loss", .better = est::goal::lower, .patience = 2}));
    auto result = est::train_and_evaluate(
        estimator, est::train_spec{.input_fn = [&] { return data.repeat().batch(8); }, .max_steps = 1000},
        est::eval_spec{.input_fn = [&] { return data.batch(64); }, .every_steps = 5});
    CHECK(estimator.global_step() == 15);  // evaluations at 5 (best), 10, 15: two without improvement
    CHECK(estimator.hook<est::hooks::early_stopping>().stopped_at() == 15u);
    CHECK(result["global_step"_f] == 15);

    // A metric the evaluation does not have is an error naming it.
    auto misnamed = est::make_estimator<model, input_spec>(
        frozen, est::run_config{.model_dir = test::fresh_model_dir("early-stopping-misnamed"), .seed = 7},
        est::no_params{}, est::hooks::early_stopping({.metric = "auc"}));
    CHECK_THROWS_WITH(
        est::train_and_evaluate(misnamed,
                                est::train_spec{.input_fn = [&] { return data.repeat().batch(8); }, .max_steps = 10},
                                est::eval_spec{.input_fn = [&] { return data.batch(64); }, .every_steps = 5}),
        Catch::Contains("no metric 'auc'"));
}

TEST_CASE("hooks::model_stats writes the compile-time numbers as CSV", "[hooks]") {
    auto data = dataset();
    std::string dir = test::fresh_model_dir("model-stats");
    auto estimator = est::make_estimator<model, input_spec>(plain_model_fn, est::run_config{.model_dir = dir}, est::no_params{}, est::hooks::model_stats{});
    estimator.train([&] { return data.batch(8); }, {.steps = 1});
    std::ifstream csv(fs::path(dir) / "model_stats.csv");
    std::stringstream text;
    text << csv.rdbuf();
    CHECK(text.str() ==
          "position,layer,output_shape,parameters,macs\n"
          "0,input,3,0,0\n"
          "1,dense,8," + std::to_string(3 * 8 + 8) + "," + std::to_string(3 * 8) + "\n"
          "2,dense,2," + std::to_string(8 * 2 + 2) + "," + std::to_string(8 * 2) + "\n"
          "total,,," + std::to_string(model::parameter_count) + "," + std::to_string(model::macs) + "\n");
}

TEST_CASE("hooks::progress_bar draws a live line on a terminal and plain lines elsewhere", "[hooks]") {
    auto data = dataset();
    using bar = est::hooks::progress_bar;
    auto run = [&](bar::style style) {
        captured_stream out;
        auto estimator = est::make_estimator<model, input_spec>(
            plain_model_fn, est::run_config{.model_dir = test::fresh_model_dir("progress-bar"), .seed = 8},
            est::no_params{}, bar({.display = style, .stream = out.file, .plain_every_secs = 0.0}));
        est::train_and_evaluate(estimator,
                                est::train_spec{.input_fn = [&] { return data.repeat().batch(8); }, .max_steps = 40},
                                est::eval_spec{.input_fn = [&] { return data.batch(32); }, .every_steps = 20});
        return out.text();
    };
    auto terminal = run(bar::style::terminal);
    CHECK(terminal.find("\r") != std::string::npos);
    CHECK(terminal.find("40/40 100%") != std::string::npos);
    CHECK(terminal.find("it/s") != std::string::npos);
    CHECK(terminal.find("loss ") != std::string::npos);
    CHECK(terminal.find("eval accuracy ") != std::string::npos);  // the live metric of the last evaluation

    auto plain = run(bar::style::plain);
    CHECK(plain.find("\r") == std::string::npos);
    CHECK(plain.find("train 1/40   2%") != std::string::npos);
    CHECK(plain.find("ETA ") != std::string::npos);
    CHECK(plain.find("train 40/40 100%") != std::string::npos);
    CHECK(plain.find("eval 2") != std::string::npos);

    CHECK(run(bar::style::off).empty());
}

TEST_CASE("hooks::profiler sums the wall time of each phase", "[hooks]") {
    auto data = dataset();
    std::string dir = test::fresh_model_dir("profiler");
    captured_stream out;
    auto estimator = est::make_estimator<model, input_spec>(plain_model_fn, est::run_config{.model_dir = dir}, est::no_params{}, est::hooks::profiler({.stream = out.file}));
    estimator.train([&] { return data.repeat().batch(8); }, {.steps = 30});
    auto const& p = estimator.hook<est::hooks::profiler>();
    CHECK(p.steps() == 30);
    CHECK(p.total().forward > 0.0);
    CHECK(p.total().backward > 0.0);
    CHECK(p.total().update > 0.0);
    CHECK(p.total().input > 0.0);
    CHECK(out.text().find("profile of 30 steps") != std::string::npos);
    auto json = nlohmann::json::parse(std::ifstream(fs::path(dir) / "profile.json"));
    CHECK(json["steps"] == 30);
    CHECK(json["seconds"]["forward"].get<double>() == Approx(p.total().forward));
}

TEST_CASE("hooks: summaries at the first step and every save_summary_steps, step_counter on its own schedule",
          "[hooks][summaries]") {
    xt::xarray<float> x = xt::zeros<float>({16, 4, 4, 1});
    xt::xarray<std::int32_t> y = xt::zeros<std::int32_t>({16});
    for (std::size_t i = 0; i < 16; ++i) {
        x(i, i % 4, i / 4, 0) = 1.0f;
        y(i) = i % 2;
    }
    auto images = est::data::from_tensor_slices(est::fields("image"_f = est::data::slices<est::shape<4, 4, 1>>(x)),
                                                est::fields("label"_f = est::data::slices<est::shape<>>(y)));
    using image_model = est::sequential<est::input<4, 4, 1>, est::flatten, est::dense<2>>;
    auto fn = test::classifier_model_fn<"image">([] { return est::sgd(0.1f); });
    std::string dir = test::fresh_model_dir("summaries");
    auto input = [&] { return images.repeat().batch(4); };
    auto estimator = est::make_estimator<image_model>(
        fn, input, est::run_config{.model_dir = dir, .save_summary_steps = 5, .log_step_count_steps = 1000},
        est::no_params{}, est::hooks::step_counter({.every_steps = 4}));
    estimator.train(input, {.steps = 10});
    auto summaries = test::read_summaries(dir);
    auto steps_of = [&](std::string const& tag, std::string const& kind) {
        std::vector<std::int64_t> steps;
        for (auto const& s : summaries)
            if (s.tag == tag && s.kind == kind)
                steps.push_back(s.step);
        return steps;
    };
    CHECK(steps_of("loss", "scalar") == std::vector<std::int64_t>{1, 5, 10});
    CHECK(steps_of("learning_rate", "scalar") == std::vector<std::int64_t>{1, 5, 10});
    CHECK(steps_of("input/image/image/0", "image") == std::vector<std::int64_t>{1, 5, 10});
    CHECK(steps_of("input/image/image/2", "image") == std::vector<std::int64_t>{1, 5, 10});
    CHECK(steps_of("input/image/image/3", "image").empty());  // max_images = 3
    CHECK(steps_of("2_dense/kernel", "histogram") == std::vector<std::int64_t>{1, 5, 10});
    CHECK(steps_of("2_dense/output", "histogram") == std::vector<std::int64_t>{1, 5, 10});
    CHECK(steps_of("global_step/sec", "scalar") == std::vector<std::int64_t>{4, 8});  // the step_counter hook
    CHECK(steps_of("examples/sec", "scalar") == std::vector<std::int64_t>{4, 8});
}
