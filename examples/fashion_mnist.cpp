// Trains, evaluates and predicts a Fashion-MNIST classifier with est. The last line printed is the
// evaluation as one JSON object.
//
//   fashion_mnist [--model mlp|cnn] [--epochs N] [--batch-size N] [--learning-rate X]
//                 [--model-dir DIR] [--data-dir DIR] [--seed N]
#include "fashion_mnist_model.hpp"

#include <xtensor/xview.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace {

struct options {
    std::string model = "mlp";
    int epochs = 1;
    std::size_t batch_size = 64;
    float learning_rate = 0.001f;
    std::string model_dir;
    std::string data_dir = "/usr/share/datasets/fashion-mnist";
    std::uint64_t seed = 42;
};

constexpr std::array<char const*, 10> class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

[[noreturn]] void usage(std::string const& problem) {
    std::cerr << "fashion_mnist: " << problem << "\n"
              << "usage: fashion_mnist [--model mlp|cnn] [--epochs N] [--batch-size N] [--learning-rate X]\n"
              << "                     [--model-dir DIR] [--data-dir DIR] [--seed N]\n";
    std::exit(2);
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
        try {
            if (flag == "--model")
                o.model = value;
            else if (flag == "--epochs")
                o.epochs = std::stoi(value);
            else if (flag == "--batch-size")
                o.batch_size = std::stoul(value);
            else if (flag == "--learning-rate")
                o.learning_rate = std::stof(value);
            else if (flag == "--model-dir")
                o.model_dir = value;
            else if (flag == "--data-dir")
                o.data_dir = value;
            else if (flag == "--seed")
                o.seed = std::stoull(value);
            else
                usage("unknown option " + std::string(flag));
        } catch (std::logic_error const&) {
            usage("bad value '" + value + "' for " + std::string(flag));
        }
    }
    if (o.model != "mlp" && o.model != "cnn")
        usage("--model must be mlp or cnn");
    if (o.epochs < 1 || o.batch_size < 1 || !(o.learning_rate > 0.0f))
        usage("epochs, batch size and learning rate must be positive");
    return o;
}

template <class Model>
int run(options const& o) {
    using namespace est::literals;
    std::cout << "model " << o.model << "\n" << Model::summary();

    auto train_data = est::data::read_mnist(o.data_dir, "train");
    auto test_data = est::data::read_mnist(o.data_dir, "t10k");
    auto [train_features, train_labels] = fashion_mnist::slices_of(train_data);
    auto [test_features, test_labels] = fashion_mnist::slices_of(test_data);
    std::cout << "data " << o.data_dir << ": " << train_data.labels.size() << " training and "
              << test_data.labels.size() << " test images\n";

    auto train_input = [&] {
        return est::data::from_tensor_slices(train_features, train_labels)
            .shuffle(train_data.labels.size(), o.seed)
            .repeat(o.epochs)
            .batch(o.batch_size);
    };
    auto eval_input = [&] { return est::data::from_tensor_slices(test_features, test_labels).batch(256); };

    est::estimator<Model, fashion_mnist::input_type, est::hooks::logging> estimator(
        fashion_mnist::model_fn, est::run_config{.model_dir = o.model_dir, .seed = o.seed},
        fashion_mnist::params{
            .learning_rate = o.learning_rate,
            .decay_steps = o.epochs * ((train_data.labels.size() + o.batch_size - 1) / o.batch_size)});
    std::cout << "model_dir " << estimator.config().model_dir << "\n";

    estimator.train(train_input);
    auto const& stats = estimator.last_train_statistics();
    std::printf("trained %llu steps in %.1f s: %.1f images/s\n", static_cast<unsigned long long>(stats.steps),
                stats.seconds, stats.examples_per_second());

    auto result = estimator.evaluate(eval_input);
    std::printf("evaluation: accuracy %.4f, top-2 accuracy %.4f, loss %.4f\n", result["accuracy"],
                result["top_2_accuracy"], result["loss"]);

    auto first_five = [&] {  // features only, as a PREDICT input needs no labels
        auto five = est::fields("image"_f = est::data::slices<est::shape<28, 28, 1>>(
                                    fashion_mnist::standardized(xt::view(test_data.images, xt::range(0, 5)))));
        return est::data::from_tensor_slices(five).batch(5);
    };
    std::size_t i = 0;
    for (auto const& p : estimator.predict(first_five)) {
        auto predicted = static_cast<std::size_t>(p.scalar("classes"));
        std::printf("test image %zu: true %-12s predicted %-12s (p = %.3f)\n", i, class_names[test_data.labels(i)],
                    class_names[predicted], p["probabilities"](predicted));
        ++i;
    }

    std::printf(
        "{\"model\":\"%s\",\"accuracy\":%.4f,\"loss\":%.4f,\"global_step\":%llu,\"train_images_per_sec\":%.1f}\n",
        o.model.c_str(), result["accuracy"], result["loss"], static_cast<unsigned long long>(result["global_step"]),
        stats.examples_per_second());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options o = parse(argc, argv);
    try {
        return o.model == "cnn" ? run<fashion_mnist::cnn>(o) : run<fashion_mnist::mlp>(o);
    } catch (est::error const& e) {
        std::cerr << "fashion_mnist: " << e.what() << "\n";
        return 1;
    }
}
