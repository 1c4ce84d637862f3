// Writes the event files that read_events.py checks with TensorBoard's own loader:
// DIRECTORY/scalars holds "loss" and "accuracy" at steps 0, 10, ..., 90 with known values;
// DIRECTORY/estimator is the model_dir of a small estimator trained 50 steps (summaries every 10)
// and evaluated once, with its eval/ run; DIRECTORY/images is the model_dir of an image model run
// by train_and_evaluate (input images and histograms every 10 steps, evaluations every 20).
#include "support/classifier.hpp"

#include <est/est.hpp>

#include <xtensor/xbuilder.hpp>

#include <cstdio>
#include <filesystem>

using namespace est::literals;

namespace {
void write_known_scalars(std::filesystem::path const& directory) {
    est::io::event_writer writer(directory);
    for (int i = 0; i < 10; ++i) {
        writer.scalar("loss", 1.0f / float(i + 1), 10 * i);
        writer.scalar("accuracy", 0.5f + 0.05f * float(i), 10 * i);
    }
    writer.flush();
}

void train_small_estimator(std::filesystem::path const& model_dir) {
    xt::xarray<float> x = xt::zeros<float>({64, 2});
    xt::xarray<std::int32_t> y = xt::zeros<std::int32_t>({64});
    for (std::size_t i = 0; i < 64; ++i) {
        x(i, 0) = float(i % 8) / 8.0f - 0.5f;
        x(i, 1) = float(i / 8) / 8.0f - 0.5f;
        y(i) = x(i, 0) > x(i, 1) ? 1 : 0;
    }
    auto data = est::data::from_tensor_slices(est::fields("point"_f = est::data::slices<est::shape<2>>(x)),
                                              est::fields("label"_f = est::data::slices<est::shape<>>(y)));
    using model = est::sequential<est::input<2>, est::dense<8, est::tanh>, est::dense<2>>;
    auto model_fn = test::classifier_model_fn<"point">([] { return est::sgd(0.1f); });
    auto input = [&] { return data.repeat().batch(16); };
    auto estimator = est::make_estimator<model>(model_fn, input,
                                                est::run_config{.model_dir = model_dir.string(), .seed = 3,
                                                                .save_summary_steps = 10, .log_step_count_steps = 10});
    estimator.train(input, {.steps = 50});
    estimator.evaluate([&] { return data.batch(64); });
}
void train_image_estimator(std::filesystem::path const& model_dir) {
    xt::xarray<float> x = xt::zeros<float>({32, 6, 6, 1});
    xt::xarray<std::int32_t> y = xt::zeros<std::int32_t>({32});
    for (std::size_t i = 0; i < 32; ++i) {
        for (std::size_t r = 0; r < 6; ++r) x(i, r, i % 6, 0) = 1.0f;  // a vertical bar in column i % 6
        y(i) = i % 6 < 3 ? 0 : 1;
    }
    auto data = est::data::from_tensor_slices(est::fields("image"_f = est::data::slices<est::shape<6, 6, 1>>(x)),
                                              est::fields("label"_f = est::data::slices<est::shape<>>(y)));
    using model = est::sequential<est::input<6, 6, 1>, est::conv2d<2, 3>, est::flatten, est::dense<2>>;
    auto model_fn = test::classifier_model_fn<"image">([] { return est::sgd(0.1f); });
    auto input = [&] { return data.repeat().batch(8); };
    auto estimator = est::make_estimator<model>(model_fn, input,
                                                est::run_config{.model_dir = model_dir.string(), .seed = 4,
                                                                .save_summary_steps = 10, .log_step_count_steps = 10});
    est::train_and_evaluate(estimator, est::train_spec{.input_fn = input, .max_steps = 60},
                            est::eval_spec{.input_fn = [&] { return data.batch(32); }, .every_steps = 20});
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: write_events DIRECTORY\n");
        return 2;
    }
    std::filesystem::path directory = argv[1];
    write_known_scalars(directory / "scalars");
    train_small_estimator(directory / "estimator");
    train_image_estimator(directory / "images");
}
