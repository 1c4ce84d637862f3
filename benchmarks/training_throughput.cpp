// Training and inference throughput of the Fashion-MNIST MLP and CNN at batch 64, on synthetic
// inputs of the real shape. Prints one line per measurement and, last, all of them as one JSON
// object. Usage: training_throughput [seconds per measurement, default 3]
#include "../examples/fashion_mnist_model.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

constexpr std::size_t batch_size = 64;

struct throughput {
    double train_images_per_sec = 0.0;
    double inference_images_per_sec = 0.0;
};

/// Runs `step` repeatedly for about `seconds` after two warm-up calls; returns images per second.
template <class Step>
double measure(Step&& step, double seconds) {
    step();
    step();
    auto start = std::chrono::steady_clock::now();
    std::size_t steps = 0;
    double elapsed = 0.0;
    do {
        step();
        ++steps;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < seconds);
    return double(steps * batch_size) / elapsed;
}

template <class Model>
throughput run(char const* name, double seconds) {
    Model net;
    net.initialize(1);
    est::batch_tensor<float, est::shape<28, 28, 1>> images(batch_size);
    est::batch_tensor<std::int32_t, est::shape<>> labels(batch_size);
    est::random_engine engine(7);
    for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = engine.normal();
    for (std::size_t i = 0; i < batch_size; ++i) labels.data()[i] = std::int32_t(engine.below(10));

    est::adam<>::slots slots;
    std::uint64_t step = 0;
    throughput result;
    result.train_images_per_sec = measure(
        [&] {
            net.begin_step(step);
            auto loss = est::sparse_softmax_cross_entropy(labels, net(images, est::train));
            est::adam(0.001f).minimize(loss).run(slots, step++);
        },
        seconds);
    volatile float sink = 0.0f;  // keeps the inference passes observable
    result.inference_images_per_sec = measure([&] { sink = net(images, est::predict).value.data[0]; }, seconds);
    std::printf("%s: train %.1f images/s, inference %.1f images/s (batch %zu)\n", name, result.train_images_per_sec,
                result.inference_images_per_sec, batch_size);
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
    if (!(seconds > 0.0)) {
        std::fprintf(stderr, "usage: training_throughput [seconds per measurement]\n");
        return 2;
    }
    auto mlp = run<fashion_mnist::mlp>("mlp", seconds);
    auto cnn = run<fashion_mnist::cnn>("cnn", seconds);
    std::printf(
        "{\"batch_size\":%zu,\"mlp_train_images_per_sec\":%.1f,\"mlp_inference_images_per_sec\":%.1f,"
        "\"cnn_train_images_per_sec\":%.1f,\"cnn_inference_images_per_sec\":%.1f}\n",
        batch_size, mlp.train_images_per_sec, mlp.inference_images_per_sec, cnn.train_images_per_sec,
        cnn.inference_images_per_sec);
}
