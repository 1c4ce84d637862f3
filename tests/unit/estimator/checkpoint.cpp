// Checkpoints: saved on run_config's schedule and at the end of train(), pruned to
// keep_checkpoint_max (sparing the best), restored by a new estimator on the same model_dir
// (parameters, optimizer state and global step), the one before used when the latest is
// unreadable, another model refused, write errors reported; restore_best, restore, from_disk,
// warm start and exporters.
#include "support/classifier.hpp"
#include "support/weights.hpp"
#include "support/scratch_directory.hpp"
#include "support/sum_sign_data.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <xtensor/xbuilder.hpp>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

using namespace est::literals;

namespace {
auto dataset() { return test::sum_sign_dataset(); }
using input_spec = test::sum_sign_input;

template <std::size_t Hidden>
using model = est::sequential<est::input<3>, est::dense<Hidden, est::relu>, est::dense<2>>;

auto model_fn = test::classifier_model_fn<"x">([] { return est::adam(0.01f); });

using test::weights_of;

}  // namespace

TEST_CASE("checkpoints: saved, pruned, and restored by a new estimator", "[estimator][checkpoint]") {
    std::string dir = test::fresh_model_dir("restore");
    est::run_config config{.model_dir = dir, .seed = 4, .save_checkpoints_steps = 10, .keep_checkpoint_max = 2};
    auto data = dataset();
    auto input = [&] { return data.repeat().batch(8); };

    auto first = est::make_estimator<model<6>, input_spec>(model_fn, config);
    first.train(input, {.steps = 35});
    REQUIRE(first.checkpoints().size() == 2);
    CHECK(first.checkpoints()[0].global_step == 30);
    CHECK(first.checkpoints()[1].global_step == 35);  // the end of train() always saves
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(dir) / "ckpt-10.safetensors"));
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(dir) / "ckpt-20.safetensors"));

    auto second = est::make_estimator<model<6>, input_spec>(model_fn, config);
    CHECK(second.global_step() == 35);
    CHECK(weights_of(second) == weights_of(first));

    // Optimizer state came back too: the next step is the same step in both.
    first.train(input, {.steps = 1});
    second.train(input, {.steps = 1});
    CHECK(weights_of(second) == weights_of(first));
}

TEST_CASE("checkpoints: an unreadable latest falls back to the one before", "[estimator][checkpoint]") {
    std::string dir = test::fresh_model_dir("fallback");
    est::run_config config{.model_dir = dir, .seed = 4, .save_checkpoints_steps = 10, .keep_checkpoint_max = 3};
    auto data = dataset();
    {
        auto estimator = est::make_estimator<model<6>, input_spec>(model_fn, config);
        estimator.train([&] { return data.repeat().batch(8); }, {.steps = 20});
    }
    auto latest = std::filesystem::path(dir) / "ckpt-20.safetensors";
    std::filesystem::resize_file(latest, std::filesystem::file_size(latest) / 2);
    auto restored = est::make_estimator<model<6>, input_spec>(model_fn, config);
    CHECK(restored.global_step() == 10);
}

TEST_CASE("checkpoints: another model's checkpoint is refused", "[estimator][checkpoint]") {
    std::string dir = test::fresh_model_dir("other-model");
    auto data = dataset();
    {
        auto estimator = est::make_estimator<model<6>, input_spec>(model_fn, est::run_config{.model_dir = dir});
        estimator.train([&] { return data.batch(8); });
    }
    CHECK_THROWS_WITH((est::make_estimator<model<7>, input_spec>(model_fn, est::run_config{.model_dir = dir})),
                      Catch::Contains("ckpt-5.safetensors") && Catch::Contains("different model"));
}

TEST_CASE("checkpoints: a flipped byte in the latest is found by its CRC and the one before used",
          "[estimator][checkpoint]") {
    std::string dir = test::fresh_model_dir("flipped");
    est::run_config config{.model_dir = dir, .seed = 4, .save_checkpoints_steps = 10};
    auto data = dataset();
    {
        auto estimator = est::make_estimator<model<6>, input_spec>(model_fn, config);
        estimator.train([&] { return data.repeat().batch(8); }, {.steps = 20});
    }
    auto latest = std::filesystem::path(dir) / "ckpt-20.safetensors";
    {
        std::fstream file(latest, std::ios::in | std::ios::out | std::ios::binary);
        file.seekg(-5, std::ios::end);
        char byte = 0;
        file.read(&byte, 1);
        file.seekp(-5, std::ios::end);
        byte = char(byte ^ 0x10);
        file.write(&byte, 1);
    }
    CHECK_THROWS_WITH(est::io::read_safetensors(latest),
                      Catch::Contains("ckpt-20.safetensors") && Catch::Contains("CRC-32C"));
    auto restored = est::make_estimator<model<6>, input_spec>(model_fn, config);
    CHECK(restored.global_step() == 10);
}

TEST_CASE("checkpoints: keep_checkpoint_max never deletes the best", "[estimator][checkpoint]") {
    std::string dir = test::fresh_model_dir("keep-best");
    auto data = dataset();
    // The earliest evaluation is the best by "lowest global_step", so it must survive every pruning.
    est::run_config config{.model_dir = dir,
                           .seed = 4,
                           .save_checkpoints_steps = 5,
                           .keep_checkpoint_max = 2,
                           .best_checkpoint = {"global_step", est::goal::lower}};
    auto estimator = est::make_estimator<model<6>, input_spec>(model_fn, config);
    est::train_and_evaluate(estimator,
                            est::train_spec{.input_fn = [&] { return data.repeat().batch(8); }, .max_steps = 40},
                            est::eval_spec{.input_fn = [&] { return data.batch(40); }, .every_steps = 10});
    std::vector<std::uint64_t> kept;
    for (auto const& e : estimator.checkpoints()) kept.push_back(e.global_step);
    CHECK(kept == std::vector<std::uint64_t>{10, 35, 40});  // the best, then the two newest
    CHECK(std::filesystem::exists(std::filesystem::path(dir) / "ckpt-10.safetensors"));
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(dir) / "ckpt-20.safetensors"));
    REQUIRE(estimator.best_checkpoint());
    CHECK(estimator.best_checkpoint()->global_step == 10);

    auto index = nlohmann::json::parse(std::ifstream(std::filesystem::path(dir) / "checkpoint_index.json"));
    CHECK(index["latest"] == "ckpt-40.safetensors");
    CHECK(index["best"] == "ckpt-10.safetensors");
    CHECK(index["checkpoints"][0]["metrics"]["global_step"] == 10);
    CHECK(index["checkpoints"][0]["metrics"].contains("accuracy"));
    CHECK(index["checkpoints"][2]["metrics"]["global_step"] == 40);
    CHECK_FALSE(index["checkpoints"][1].contains("metrics"));  // step 35 was not evaluated
}

TEST_CASE("checkpoints: restore_best, restore(path) and from_disk", "[estimator][checkpoint]") {
    std::string dir = test::fresh_model_dir("restore-best");
    auto data = dataset();
    est::run_config config{.model_dir = dir,
                           .seed = 9,
                           .save_checkpoints_steps = 1000,
                           .keep_checkpoint_max = 0,
                           .best_checkpoint = {"accuracy", est::goal::higher}};
    auto eval_input = [&] { return data.batch(40); };
    std::map<std::uint64_t, std::vector<float>> weights_at;
    std::map<std::uint64_t, double> accuracy_at;
    {
        auto estimator = est::make_estimator<model<6>, input_spec>(model_fn, config);
        for (int round = 0; round < 4; ++round) {
            estimator.train([&] { return data.repeat().batch(8); }, {.steps = 3});
            accuracy_at[estimator.global_step()] = estimator.evaluate(eval_input)["accuracy"_f];
            weights_at[estimator.global_step()] = weights_of(estimator);
        }
        std::uint64_t best_step = 0;
        for (auto const& [step, accuracy] : accuracy_at)
            if (best_step == 0 || accuracy >= accuracy_at[best_step])
                best_step = step;
        estimator.restore_best();
        CHECK(estimator.global_step() == best_step);
        CHECK(weights_of(estimator) == weights_at[best_step]);

        estimator.restore(std::filesystem::path(dir) / "ckpt-6.safetensors");
        CHECK(estimator.global_step() == 6);
        CHECK(weights_of(estimator) == weights_at[6]);
        CHECK_THROWS_WITH(estimator.restore_best({"auc", est::goal::higher}), Catch::Contains("metric 'auc'"));
        CHECK_THROWS_WITH(estimator.restore(std::filesystem::path(dir) / "ckpt-7.safetensors"),
                          Catch::Contains("ckpt-7.safetensors") && Catch::Contains("cannot be opened"));
    }
    // A new process: the run_config comes from run.json, the latest checkpoint is restored.
    auto loaded = est::estimator_from_disk<model<6>, input_spec>(dir, model_fn);
    CHECK(loaded.global_step() == 12);
    CHECK(loaded.config().seed == 9);
    CHECK(loaded.config().best_checkpoint.metric == "accuracy");
    CHECK(weights_of(loaded) == weights_at[12]);
    CHECK(loaded.evaluate(eval_input)["accuracy"_f] == accuracy_at[12]);

    CHECK_THROWS_WITH((est::estimator_from_disk<model<7>, input_spec>(dir, model_fn)),
                      Catch::Contains("different model"));
    std::string empty = test::fresh_model_dir("from-disk-empty");
    std::filesystem::create_directories(empty);
    CHECK_THROWS_WITH((est::estimator_from_disk<model<6>, input_spec>(empty, model_fn)),
                      Catch::Contains("is not a model_dir") && Catch::Contains("run.json"));
}

TEST_CASE("scaffold: warm start of a subset and init_fn, once, only without an own checkpoint",
          "[estimator][checkpoint][scaffold]") {
    auto data = dataset();
    auto input = [&] { return data.repeat().batch(8); };
    std::string source_dir = test::fresh_model_dir("warm-source");
    auto source = est::make_estimator<model<6>, input_spec>(model_fn, est::run_config{.model_dir = source_dir, .seed = 1});
    source.train(input, {.steps = 20});

    auto layer_weights = [](auto& estimator, std::string const& layer) {
        std::vector<float> all;
        for (auto const& p : estimator.model().parameters())
            if (p.name.starts_with(layer + "/")) {
                auto values = estimator.model().read(p);
                all.insert(all.end(), values.begin(), values.end());
            }
        return all;
    };
    auto fresh = est::make_estimator<model<6>, input_spec>(
        model_fn, est::run_config{.model_dir = test::fresh_model_dir("scaffold-fresh"), .seed = 2});

    std::string dir = test::fresh_model_dir("warm-target");
    int init_calls = 0;
    est::run_config config{
        .model_dir = dir,
        .seed = 2,
        .scaffold = {.warm_start = est::warm_start_settings{source_dir, "1_dense/.*"}, .init_fn = [&](est::session& s) {
                         ++init_calls;
                         CHECK(s.global_step() == 0);
                     }}};
    {
        auto target = est::make_estimator<model<6>, input_spec>(model_fn, config);
        CHECK(init_calls == 1);
        CHECK(layer_weights(target, "1_dense") == layer_weights(source, "1_dense"));
        CHECK(layer_weights(target, "2_dense") == layer_weights(fresh, "2_dense"));
        target.train(input, {.steps = 5});
        target.train(input, {.steps = 5});  // train() never warm-starts again
        CHECK(init_calls == 1);
    }
    // A restart on a model_dir with its own checkpoint restores it; no warm start, no init_fn.
    auto restarted = est::make_estimator<model<6>, input_spec>(model_fn, config);
    CHECK(init_calls == 1);
    CHECK(restarted.global_step() == 10);
    CHECK(layer_weights(restarted, "1_dense") != layer_weights(source, "1_dense"));

    auto fails = [&](est::warm_start_settings settings) {
        std::string target_dir = test::fresh_model_dir("warm-fails");
        est::make_estimator<model<6>, input_spec>(
            model_fn, est::run_config{.model_dir = target_dir, .scaffold = {.warm_start = settings}});
    };
    CHECK_THROWS_WITH(fails({source_dir, "3_dense/.*"}),
                      Catch::Contains("no parameter of the model matches '3_dense/.*'"));
    CHECK_THROWS_WITH(fails({source_dir + "/missing.safetensors", ".*"}), Catch::Contains("missing.safetensors"));
    CHECK_THROWS_WITH((est::make_estimator<model<7>, input_spec>(
                          model_fn, est::run_config{.model_dir = test::fresh_model_dir("warm-size"),
                                                    .scaffold = {.warm_start = est::warm_start_settings{source_dir}}})),
                      Catch::Contains("parameter '1_dense/kernel' has 18 values"));
}

TEST_CASE("checkpoints: a write error while saving (a full disk) is reported and loses nothing",
          "[estimator][checkpoint]") {
    std::string dir = test::fresh_model_dir("full-disk");
    auto data = dataset();
    est::run_config config{.model_dir = dir, .seed = 4, .save_summary_steps = 0, .save_checkpoints_steps = 10};
    auto estimator = est::make_estimator<model<6>, input_spec>(model_fn, config);
    estimator.train([&] { return data.repeat().batch(8); }, {.steps = 10});
    auto index_before = std::ifstream(std::filesystem::path(dir) / "checkpoint_index.json");
    std::string index_text((std::istreambuf_iterator<char>(index_before)), {});

    // The file-size limit makes every write past 512 bytes fail with EFBIG, as a full disk fails
    // with ENOSPC: the same path through write(2).
    rlimit original{};
    getrlimit(RLIMIT_FSIZE, &original);
    auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = original;
    small.rlim_cur = 512;
    setrlimit(RLIMIT_FSIZE, &small);
    std::string message;
    try {
        estimator.train([&] { return data.repeat().batch(8); }, {.steps = 10});
    } catch (est::error const& e) {
        message = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &original);
    std::signal(SIGXFSZ, previous_handler);

    CHECK_THAT(message, Catch::Contains("cannot save the checkpoint of global step 20") &&
                            Catch::Contains("ckpt-20.safetensors.tmp") && Catch::Contains("File too large"));
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(dir) / "ckpt-20.safetensors"));
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(dir) / "ckpt-20.safetensors.tmp"));
    auto index_after = std::ifstream(std::filesystem::path(dir) / "checkpoint_index.json");
    CHECK(std::string((std::istreambuf_iterator<char>(index_after)), {}) == index_text);
    auto restored = est::make_estimator<model<6>, input_spec>(model_fn, config);
    CHECK(restored.global_step() == 10);
}

TEST_CASE("train_and_evaluate: exporters keep the best and the latest", "[estimator][checkpoint]") {
    std::string dir = test::fresh_model_dir("exporters");
    auto data = dataset();
    auto estimator = est::make_estimator<model<6>, input_spec>(model_fn, est::run_config{.model_dir = dir, .seed = 3});
    auto best = std::make_shared<est::best_exporter>(est::metric_goal{"global_step", est::goal::lower});
    auto latest = std::make_shared<est::latest_exporter>("latest", 2);
    auto result = est::train_and_evaluate(
        estimator, est::train_spec{.input_fn = [&] { return data.repeat().batch(8); }, .max_steps = 30},
        est::eval_spec{.input_fn = [&] { return data.batch(40); }, .every_steps = 10, .exporters = {best, latest}});
    CHECK(result["global_step"_f] == 30);
    auto exported = std::filesystem::path(dir) / "export";
    CHECK(std::filesystem::exists(exported / "best" / "10" / "model.safetensors"));
    CHECK_FALSE(std::filesystem::exists(exported / "latest" / "10"));
    CHECK(std::filesystem::exists(exported / "latest" / "20" / "metrics.json"));
    CHECK(std::filesystem::exists(exported / "latest" / "30" / "model.json"));
    auto metrics = nlohmann::json::parse(std::ifstream(exported / "latest" / "30" / "metrics.json"));
    CHECK(metrics["accuracy"].get<double>() == result["accuracy"_f]);
    // An export restores like a checkpoint.
    auto other = est::make_estimator<model<6>, input_spec>(
        model_fn, est::run_config{.model_dir = test::fresh_model_dir("exporters-other"), .seed = 5});
    other.restore(exported / "latest" / "30" / "model.safetensors");
    CHECK(weights_of(other) == weights_of(estimator));
}

TEST_CASE("checkpoint: a float where the index and run.json hold integers is an error naming the file",
          "[estimator][checkpoint][fuzz]") {
    // Found by tests/fuzz/checkpoint_index.cpp and run_json.cpp: nlohmann::json converts 1e300 to
    // std::uint64_t with undefined behaviour, and -1 to a huge step, unless the reader checks.
    auto dir = test::scratch_directory("fuzz-regressions");
    auto const regressions = std::filesystem::path(EST_TEST_DATA_DIR) / "fuzz";
    std::filesystem::copy_file(regressions / "checkpoint_index/float-global-step", dir / "checkpoint_index.json");
    CHECK_THROWS_WITH(est::checkpoint_index(dir),
                      Catch::Contains((dir / "checkpoint_index.json").string()) &&
                          Catch::Contains("global_step 1e+300 is not a non-negative integer"));
    std::filesystem::copy_file(regressions / "run_json/float-seed", dir / "run.json");
    CHECK_THROWS_WITH(est::detail::read_run_config(dir),
                      Catch::Contains((dir / "run.json").string()) &&
                          Catch::Contains("run_config.seed is -1e+300, not a non-negative integer"));
}
