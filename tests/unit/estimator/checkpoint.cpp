// Checkpoints: saved on run_config's schedule and at the end of train(), pruned to
// keep_checkpoint_max, restored by a new estimator on the same model_dir (parameters, optimizer
// state and global step), the one before used when the latest is unreadable, another model refused.
#include "support/classifier.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <xtensor/xbuilder.hpp>

#include <filesystem>

using namespace est::literals;

namespace {
auto dataset() {
    xt::xarray<float> x = xt::zeros<float>({40, 3});
    xt::xarray<std::int32_t> y = xt::zeros<std::int32_t>({40});
    est::random_engine engine(8);
    for (auto& v : x) v = engine.uniform(-1.0f, 1.0f);
    for (std::size_t i = 0; i < 40; ++i) y(i) = x(i, 0) + x(i, 2) > 0.0f ? 1 : 0;
    return est::data::from_tensor_slices(est::fields("x"_f = est::data::slices<est::shape<3>>(x)),
                                         est::fields("label"_f = est::data::slices<est::shape<>>(y)));
}
using input_type = decltype(dataset().batch(1));

template <std::size_t Hidden>
using model = est::sequential<est::input<3>, est::dense<Hidden, est::relu>, est::dense<2>>;

auto model_fn = test::classifier_model_fn<"x">([] { return est::adam(0.01f); });

template <class Estimator>
std::vector<float> weights_of(Estimator& estimator) {
    std::vector<float> all;
    estimator.model().for_each_parameter(
        [&](std::string_view, est::parameter_ref const& p) { all.insert(all.end(), p.value.begin(), p.value.end()); });
    return all;
}

std::string fresh_model_dir(std::string const& name) {
    auto dir = std::filesystem::temp_directory_path() / ("est-checkpoint-tests-" + name);
    std::filesystem::remove_all(dir);
    return dir.string();
}
}  // namespace

TEST_CASE("checkpoints: saved, pruned, and restored by a new estimator", "[estimator][checkpoint]") {
    std::string dir = fresh_model_dir("restore");
    est::run_config config{.model_dir = dir, .seed = 4, .save_checkpoints_steps = 10, .keep_checkpoint_max = 2};
    auto data = dataset();
    auto input = [&] { return data.repeat().batch(8); };

    est::estimator<model<6>, input_type> first(model_fn, config);
    first.train(input, {.steps = 35});
    REQUIRE(first.checkpoints().size() == 2);
    CHECK(first.checkpoints()[0].global_step == 30);
    CHECK(first.checkpoints()[1].global_step == 35);  // the end of train() always saves
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(dir) / "ckpt-10.safetensors"));
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(dir) / "ckpt-20.safetensors"));

    est::estimator<model<6>, input_type> second(model_fn, config);
    CHECK(second.global_step() == 35);
    CHECK(weights_of(second) == weights_of(first));

    // Optimizer state came back too: the next step is the same step in both.
    first.train(input, {.steps = 1});
    second.train(input, {.steps = 1});
    CHECK(weights_of(second) == weights_of(first));
}

TEST_CASE("checkpoints: an unreadable latest falls back to the one before", "[estimator][checkpoint]") {
    std::string dir = fresh_model_dir("fallback");
    est::run_config config{.model_dir = dir, .seed = 4, .save_checkpoints_steps = 10, .keep_checkpoint_max = 3};
    auto data = dataset();
    {
        est::estimator<model<6>, input_type> estimator(model_fn, config);
        estimator.train([&] { return data.repeat().batch(8); }, {.steps = 20});
    }
    auto latest = std::filesystem::path(dir) / "ckpt-20.safetensors";
    std::filesystem::resize_file(latest, std::filesystem::file_size(latest) / 2);
    est::estimator<model<6>, input_type> restored(model_fn, config);
    CHECK(restored.global_step() == 10);
}

TEST_CASE("checkpoints: another model's checkpoint is refused", "[estimator][checkpoint]") {
    std::string dir = fresh_model_dir("other-model");
    auto data = dataset();
    {
        est::estimator<model<6>, input_type> estimator(model_fn, est::run_config{.model_dir = dir});
        estimator.train([&] { return data.batch(8); });
    }
    using other = est::estimator<model<7>, input_type>;
    CHECK_THROWS_WITH(other(model_fn, est::run_config{.model_dir = dir}),
                      Catch::Contains("ckpt-5.safetensors") && Catch::Contains("different model"));
}
