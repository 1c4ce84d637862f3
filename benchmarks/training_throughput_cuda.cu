// Training and inference throughput of the Fashion-MNIST MLP and CNN on the GPU (est::cuda), at
// batch 64 and 256, on synthetic inputs of the real shape already in device memory (what
// benchmarks/peers/pytorch_cuda.py measures for PyTorch on the same GPU). Each figure is the median
// of 5 timed rounds after 3 warm-up steps; the stream is synchronized before a round's clock stops.
// One line per model, then everything as one JSON line. Without a CUDA device it exits 77.
// Usage: training_throughput_cuda [step scale, default 1]
#include "../examples/fashion_mnist_model.hpp"

#include <est/cuda/backend.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace {

using seconds = std::chrono::duration<double>;

/// The median images/s of `rounds` rounds of `steps` calls of `step` (after 3 warm-up calls).
template <class Step>
double images_per_second(Step&& step, std::size_t steps, std::size_t batch) {
    for (int i = 0; i < 3; ++i) step();
    est::cuda_system::synchronize("the warm-up steps");
    std::vector<double> rates;
    for (int round = 0; round < 5; ++round) {
        auto start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < steps; ++i) step();
        est::cuda_system::synchronize("a timed round");
        rates.push_back(double(steps * batch) / seconds(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(rates.begin(), rates.end());
    return rates[rates.size() / 2];
}

struct figures {
    double train[2] = {}, inference[2] = {};  // batch 64, batch 256
};

template <class HostModel>
figures measure(char const* name, std::size_t steps) {
    using Model = typename HostModel::template on<est::cuda>;
    using B = est::cuda;
    constexpr std::size_t batches[2] = {64, 256};
    Model net;
    net.initialize(1);
    est::random_engine engine(7);
    std::vector<float> images(256 * 28 * 28);
    std::vector<std::int32_t> labels(256);
    for (float& v : images) v = engine.normal();
    for (auto& l : labels) l = std::int32_t(engine.below(10));
    est::buffer<float, B> device_images(images.size());
    est::buffer<std::int32_t, B> device_labels(labels.size());
    B::copy_from_host(device_images.data(), images.data(), images.size() * sizeof(float));
    B::copy_from_host(device_labels.data(), labels.data(), labels.size() * sizeof(std::int32_t));

    figures result;
    for (int b = 0; b < 2; ++b) {
        std::size_t batch = batches[b];
        est::batch_view<float const, est::shape<28, 28, 1>, est::device_memory> x{device_images.data(), batch};
        est::batch_view<std::int32_t const, est::shape<>, est::device_memory> y{device_labels.data(), batch};
        typename est::adam<>::template slots<B> slots;
        std::uint64_t step = 0;
        auto optimizer = est::adam(0.001f);
        auto train_step = [&] {
            net.begin_step(step);
            auto loss = est::sparse_softmax_cross_entropy(y, net(x, est::train));
            optimizer.minimize(loss).run(slots, step++);
        };
        auto inference_step = [&] { net(x, est::predict); };
        result.train[b] = images_per_second(train_step, steps, batch);
        result.inference[b] = images_per_second(inference_step, steps, batch);
    }
    std::printf("%s: train %.0f images/s (batch 64), %.0f (batch 256); inference %.0f (batch 64), %.0f (batch 256)\n",
                name, result.train[0], result.train[1], result.inference[0], result.inference[1]);
    return result;
}

std::string json(char const* name, figures const& f) {
    char buffer[512];
    std::snprintf(buffer, sizeof buffer,
                  "\"%s_train_64\":%.1f,\"%s_train_256\":%.1f,\"%s_inference_64\":%.1f,\"%s_inference_256\":%.1f", name,
                  f.train[0], name, f.train[1], name, f.inference[0], name, f.inference[1]);
    return buffer;
}

}  // namespace

int main(int argc, char** argv) {
    double scale = argc > 1 ? std::atof(argv[1]) : 1.0;
    if (!(scale > 0.0)) {
        std::fprintf(stderr, "usage: training_throughput_cuda [step scale, default 1]\n");
        return 2;
    }
    if (auto problem = est::cuda_device_problem(); !problem.empty()) {
        std::printf("no CUDA device (%s): skipped\n", problem.c_str());
        return 77;
    }
    try {
        auto steps = [&](std::size_t n) { return std::max<std::size_t>(1, std::size_t(double(n) * scale)); };
        auto mlp = measure<fashion_mnist::mlp>("mlp", steps(200));
        auto cnn = measure<fashion_mnist::cnn>("cnn", steps(50));
        std::printf("{\"backend\":\"cuda\",\"device\":\"%s\",%s,%s}\n", est::cuda_system::describe().c_str(),
                    json("mlp", mlp).c_str(), json("cnn", cnn).c_str());
    } catch (std::exception const& e) {  // est::error, or Thrust's and the standard library's
        std::fprintf(stderr, "training_throughput_cuda: %s\n", e.what());
        return 1;
    }
}
