// Trains, evaluates and predicts a Fashion-MNIST classifier with est: train_and_evaluate evaluates
// every --eval-every steps and at the end, early stopping ends training when the evaluation loss
// stops improving, a progress bar shows the run, and the best model is exported. The model_dir
// opens in TensorBoard (train and eval curves, input images, histograms). The last line printed is
// the final evaluation as one JSON object.
//
//   fashion_mnist [--model mlp|cnn] [--epochs N] [--batch-size N] [--learning-rate X]
//                 [--model-dir DIR] [--data-dir DIR] [--seed N] [--eval-every STEPS]
//                 [--patience EVALUATIONS] [--progress auto|terminal|plain|off]
//                 [--input memory|tfrecord] [--tfrecord-dir DIR] [--device cpu|cuda]
//
// --device cuda trains, evaluates and predicts on the GPU (est::cuda) with the same model_fn and
// output: this program compiled by nvcc (fashion_mnist_cuda, built where nvcc is present), which
// runs on the GPU only (its default), while fashion_mnist runs on the CPU; one program of both would
// compile every model twice.
// With --input tfrecord it trains from sharded TFRecord files of PNG images (written to
// --tfrecord-dir from the IDX files when missing, as `est_tfrecord from-idx` does) through the
// full pipeline: list_files, parallel interleave, shuffle_and_repeat, parallel parse and decode,
// batch, prefetch.
#include "fashion_mnist_model.hpp"

#if defined(__CUDACC__)
#include <est/cuda/backend.hpp>
#endif

#include <xtensor/xview.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace {

struct options {
    std::string model = "mlp";
    int epochs = 1;
    std::size_t batch_size = 64;
    float learning_rate = 0.001f;
    std::string model_dir;
    std::string data_dir = "/usr/share/datasets/fashion-mnist";
    std::uint64_t seed = 42;
    std::uint64_t eval_every = 500;
    std::uint64_t patience = 3;
    std::string progress = "auto";
    std::string input = "memory";
    std::string tfrecord_dir;
#if defined(__CUDACC__)
    std::string device = "cuda";
#else
    std::string device = "cpu";
#endif
};

constexpr std::array<char const*, 10> class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

[[noreturn]] void usage(std::string const& problem) {
    std::cerr << "fashion_mnist: " << problem << "\n"
              << "usage: fashion_mnist [--model mlp|cnn] [--epochs N] [--batch-size N] [--learning-rate X]\n"
              << "                     [--model-dir DIR] [--data-dir DIR] [--seed N] [--eval-every STEPS]\n"
              << "                     [--patience EVALUATIONS] [--progress auto|terminal|plain|off]\n"
              << "                     [--input memory|tfrecord] [--tfrecord-dir DIR] [--device cpu|cuda]\n";
    std::exit(2);
}

/// `value`, the whole of it, as a number of type T, or the usage message naming `flag`: "2x", "-5"
/// for a count and "1e99" for an int are refused rather than read as 2, 2^64 - 5 and a wrapped value.
template <class T>
T number(std::string_view flag, std::string const& value) {
    T result{};
    char const* end = value.data() + value.size();
    auto [stop, failure] = std::from_chars(value.data(), end, result);
    if (failure != std::errc{} || stop != end)  // an empty value is invalid_argument
        usage("bad value '" + value + "' for " + std::string(flag) + ": expected " +
              (std::is_floating_point_v<T> ? "a number"
               : std::is_signed_v<T>       ? "a whole number"
                                           : "a whole number >= 0") +
              (failure == std::errc::result_out_of_range ? " in range" : ""));
    return result;
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view flag = argv[i];
        if (flag == "--help" || flag == "-h")
            usage("help");
        if (i + 1 >= argc)
            usage("missing value after " + std::string(flag));
        std::string value = argv[++i];
        if (flag == "--model")
            o.model = value;
        else if (flag == "--epochs")
            o.epochs = number<int>(flag, value);
        else if (flag == "--batch-size")
            o.batch_size = number<std::size_t>(flag, value);
        else if (flag == "--learning-rate")
            o.learning_rate = number<float>(flag, value);
        else if (flag == "--model-dir")
            o.model_dir = value;
        else if (flag == "--data-dir")
            o.data_dir = value;
        else if (flag == "--seed")
            o.seed = number<std::uint64_t>(flag, value);
        else if (flag == "--eval-every")
            o.eval_every = number<std::uint64_t>(flag, value);
        else if (flag == "--patience")
            o.patience = number<std::uint64_t>(flag, value);
        else if (flag == "--progress")
            o.progress = value;
        else if (flag == "--input")
            o.input = value;
        else if (flag == "--tfrecord-dir")
            o.tfrecord_dir = value;
        else if (flag == "--device")
            o.device = value;
        else
            usage("unknown option " + std::string(flag));
    }
    if (o.model != "mlp" && o.model != "cnn")
        usage("--model must be mlp or cnn");
    if (o.epochs < 1)
        usage("--epochs must be at least 1");
    if (o.batch_size < 1)
        usage("--batch-size must be at least 1");
    if (!(o.learning_rate > 0.0f) || !std::isfinite(o.learning_rate))
        usage("--learning-rate must be a finite number > 0");
    if (o.eval_every < 1)
        usage("--eval-every must be at least 1");
    if (o.patience < 1)
        usage("--patience must be at least 1");
    if (o.progress != "auto" && o.progress != "terminal" && o.progress != "plain" && o.progress != "off")
        usage("--progress must be auto, terminal, plain or off");
    if (o.input != "memory" && o.input != "tfrecord")
        usage("--input must be memory or tfrecord");
    if (o.device != "cpu" && o.device != "cuda")
        usage("--device must be cpu or cuda");
    if (o.tfrecord_dir.empty())
        o.tfrecord_dir = (std::filesystem::temp_directory_path() / "est-fashion-mnist-tfrecord").string();
    return o;
}

template <class Model>
int run(options const& o) {
    using namespace est::literals;
    std::cout << "model " << o.model << " on " << Model::backend_type::name << "\n" << Model::summary();

    auto train_data = est::data::read_mnist(o.data_dir, "train");
    auto test_data = est::data::read_mnist(o.data_dir, "t10k");
    auto [train_features, train_labels] = fashion_mnist::slices_of(train_data);
    auto [test_features, test_labels] = fashion_mnist::slices_of(test_data);
    std::cout << "data " << o.data_dir << ": " << train_data.labels.size() << " training and "
              << test_data.labels.size() << " test images\n";

    auto memory_input = [&] {
        return est::data::from_tensor_slices(train_features, train_labels)
            .shuffle(train_data.labels.size(), o.seed)
            .repeat(o.epochs)
            .batch(o.batch_size);
    };
    if (o.input == "tfrecord" &&
        !std::filesystem::exists(std::filesystem::path(o.tfrecord_dir) / "train-00000-of-00008.tfrecord")) {
        est::data::write_image_shards(train_data.images, train_data.labels, o.tfrecord_dir, "train", 8);
        std::cout << "wrote 8 TFRecord shards of PNG images to " << o.tfrecord_dir << "\n";
    }
    auto tfrecord_input = [&] {
        return est::data::list_files((std::filesystem::path(o.tfrecord_dir) / "train-*.tfrecord").string(),
                                     {.shuffle = true, .seed = o.seed})
            .interleave([](std::string const& file) { return est::data::tfrecord_dataset({file}); },
                        {.cycle_length = 4, .parallel = true})
            .shuffle_and_repeat(16 * 1024, o.seed, o.epochs)
            .map(fashion_mnist::parse_image_example, est::parallel_calls{est::data::autotune})
            .batch(o.batch_size)
            .prefetch(2);
    };
    std::size_t examples = train_data.labels.size();  // the last batch of an epoch may be short
    std::uint64_t steps = o.epochs * (examples / o.batch_size + (examples % o.batch_size != 0));
    auto eval_input = [&] { return est::data::from_tensor_slices(test_features, test_labels).batch(256); };

    using progress = est::hooks::progress_bar;
    progress bar({.display = o.progress == "terminal" ? progress::style::terminal
                             : o.progress == "plain"  ? progress::style::plain
                             : o.progress == "off"    ? progress::style::off
                                                      : progress::style::automatic,
                  .stream = stdout});
    est::hooks::early_stopping early_stopping({.metric = "loss", .better = est::goal::lower, .patience = o.patience});
    auto estimator = est::make_estimator<Model, fashion_mnist::input>(
        fashion_mnist::model_fn,
        est::run_config{.model_dir = o.model_dir, .seed = o.seed, .best_checkpoint = {"accuracy", est::goal::higher}},
        fashion_mnist::params{.learning_rate = o.learning_rate, .decay_steps = steps}, bar, early_stopping,
        est::hooks::model_stats{});
    std::cout << "model_dir " << estimator.config().model_dir << "\n" << std::flush;

    auto best = std::make_shared<est::best_exporter>(est::metric_goal{"accuracy", est::goal::higher});
    est::eval_spec evaluation{.input_fn = eval_input, .every_steps = o.eval_every, .exporters = {best}};
    auto result = o.input == "tfrecord"
                      ? est::train_and_evaluate(
                            estimator, est::train_spec{.input_fn = tfrecord_input, .max_steps = steps}, evaluation)
                      : est::train_and_evaluate(
                            estimator, est::train_spec{.input_fn = memory_input, .max_steps = steps}, evaluation);
    auto const& stats = estimator.last_train_statistics();
    std::printf("trained %llu steps in %.1f s: %.1f images/s%s\n", static_cast<unsigned long long>(stats.steps),
                stats.seconds, stats.examples_per_second(),
                estimator.template hook<est::hooks::early_stopping>().stopped_at() ? " (stopped early)" : "");
    std::printf("evaluation: accuracy %.4f, top-2 accuracy %.4f, loss %.4f (best accuracy %.4f, exported to %s)\n",
                result["accuracy"_f], result["top_2_accuracy"_f], result["loss"_f], best->best().value_or(0.0),
                (std::filesystem::path(estimator.config().model_dir) / "export" / "best").c_str());

    auto first_five = [&] {  // features only, as a PREDICT input needs no labels
        auto five = est::fields("image"_f = est::data::slices<est::shape<28, 28, 1>>(
                                    fashion_mnist::standardized(xt::view(test_data.images, xt::range(0, 5)))));
        return est::data::from_tensor_slices(five).batch(5);
    };
    std::size_t i = 0;
    for (auto const& p : estimator.predict(first_five)) {
        auto predicted = static_cast<std::size_t>(p["classes"_f]);
        std::printf("test image %zu: true %-12s predicted %-12s (p = %.3f)\n", i, class_names[test_data.labels(i)],
                    class_names[predicted], p["probabilities"_f](predicted));
        ++i;
    }

    std::printf(
        "{\"model\":\"%s\",\"device\":\"%s\",\"accuracy\":%.4f,\"loss\":%.4f,\"global_step\":%llu,\"train_images_per_"
        "sec\":%.1f}\n",
        o.model.c_str(), o.device.c_str(), result["accuracy"_f], result["loss"_f],
        static_cast<unsigned long long>(result["global_step"_f]), stats.examples_per_second());
    return 0;
}

/// Runs `Model` on the back end --device names.
template <class Model>
int run_on_device(options const& o) {
#if defined(__CUDACC__)
    if (o.device == "cpu")
        throw est::error("--device cpu: fashion_mnist_cuda runs on the GPU; fashion_mnist runs on the CPU");
    return run<typename Model::template on<est::cuda>>(o);
#else
    if (o.device == "cuda")
        throw est::error(
            "--device cuda: this build of fashion_mnist has no CUDA back end; run fashion_mnist_cuda, "
            "which is built where nvcc is present");
    return run<Model>(o);
#endif
}

}  // namespace

int main(int argc, char** argv) {
    options o = parse(argc, argv);
    try {
        return o.model == "cnn" ? run_on_device<fashion_mnist::cnn>(o) : run_on_device<fashion_mnist::mlp>(o);
    } catch (std::exception const& e) {  // est::error, or Thrust's and the standard library's
        std::cerr << "fashion_mnist: " << e.what() << "\n";
        return 1;
    }
}
