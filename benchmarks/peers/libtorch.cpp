// LibTorch (Debian's libtorch-dev) on the models, batch sizes and thread count of
// benchmarks/training_throughput; compiled and run by benchmarks/peers/pytorch.py, not by CMake.
// Usage: libtorch_peer <mlp train steps> <mlp inference steps> <cnn train steps> <cnn inference steps>
// Prints one JSON line of images/s.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

namespace {

constexpr int threads = 2;
constexpr int train_batch = 64;
constexpr int inference_batch = 256;

double rate(std::function<void()> const& step, long steps, int batch) {
    step();
    step();
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < steps; ++i) step();
    return double(steps) * batch / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::pair<double, double> measure(torch::nn::Sequential model, long train_steps, long inference_steps) {
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.001));
    auto images = torch::randn({train_batch, 1, 28, 28});
    auto labels = torch::randint(0, 10, {train_batch}, torch::kLong);
    model->train();
    double train = rate(
        [&] {
            optimizer.zero_grad();
            torch::nn::functional::cross_entropy(model->forward(images), labels).backward();
            optimizer.step();
        },
        train_steps, train_batch);
    model->eval();
    auto batch = torch::randn({inference_batch, 1, 28, 28});
    torch::InferenceMode inference_mode;
    double inference = rate([&] { model->forward(batch); }, inference_steps, inference_batch);
    return {train, inference};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: libtorch_peer MLP_TRAIN MLP_INFERENCE CNN_TRAIN CNN_INFERENCE (steps)\n");
        return 2;
    }
    torch::set_num_threads(threads);
    torch::manual_seed(1);
    namespace nn = torch::nn;
    nn::Sequential mlp(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(),
                       nn::Linear(128, 10));
    nn::Sequential cnn(nn::Conv2d(nn::Conv2dOptions(1, 32, 5).padding(2)), nn::ReLU(), nn::MaxPool2d(2),
                       nn::Conv2d(nn::Conv2dOptions(32, 64, 5).padding(2)), nn::ReLU(), nn::MaxPool2d(2),
                       nn::Flatten(), nn::Linear(7 * 7 * 64, 1024), nn::ReLU(), nn::Dropout(0.4),
                       nn::Linear(1024, 10));
    auto [mlp_train, mlp_inference] = measure(mlp, std::atol(argv[1]), std::atol(argv[2]));
    auto [cnn_train, cnn_inference] = measure(cnn, std::atol(argv[3]), std::atol(argv[4]));
    std::printf("{\"mlp_train\": %.1f, \"mlp_inference\": %.1f, \"cnn_train\": %.1f, \"cnn_inference\": %.1f}\n",
                mlp_train, mlp_inference, cnn_train, cnn_inference);
}
