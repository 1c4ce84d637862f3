// Training (batch 64) and inference (batch 256) throughput of the Fashion-MNIST MLP and CNN on
// synthetic inputs of the real shape, with what benchmarks/peers/pytorch.py compares against:
// images/s (inference also of the trained model frozen, est::frozen), the fraction of this
// machine's FP32 peak reached (the peak measured in this process by an FMA loop on the same
// threads, in rounds interleaved with the steps), the share of a training step spent in the
// optimizer's update (timed inside the steps, where the rest of the step has pushed much of the
// arenas out of the caches) and the memory bandwidth it reaches (against this machine's, measured
// in this process), the fraction of peak a step could reach if everything but the update ran at
// the FP32 peak, peak resident memory (of training and inference, before the frozen copy), and
// the heap allocations of the whole malloc family after the first step (those inside oneDNN's
// primitive executions apart). One line per model, then everything as one JSON line.
// Usage: training_throughput [step scale, default 1]
#include "../examples/fashion_mnist_model.hpp"
#include "../tests/support/heap_allocations.hpp"
#include "support/fp32_peak.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr std::size_t train_batch = 64;
constexpr std::size_t inference_batch = 256;

struct step_counts {
    std::size_t train = 0, inference = 0;
};

struct figures {
    double train_images_per_sec = 0.0, inference_images_per_sec = 0.0, frozen_inference_images_per_sec = 0.0;
    double train_peak_fraction = 0.0, inference_peak_fraction = 0.0, frozen_inference_peak_fraction = 0.0;
    double update_share = 0.0;  // of a training step's time
    double update_gbps = 0.0;   // Adam's bytes (read p, g, m, v; write p, m, v) over the update's time
    double train_bound = 0.0;   // the fraction of peak a step of FLOPs at peak plus this update would reach
    double peak_rss_mib = 0.0;
    test::allocation_counts allocations;  // after step 1, over the timed training steps
    std::size_t train_steps_counted = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Memory bandwidth: `a = a * s + b` over two arrays far larger than the caches (256 MiB each), on
// every OpenMP thread, the same read-modify-write shape as an optimizer's update (every array it
// writes it also reads, so no cache line is fetched only to be overwritten). Bytes counted: two
// reads and one write of 4 bytes an element. GB/s of the best of 5 rounds.
double memory_bandwidth_gbps() {
    constexpr std::size_t n = std::size_t(64) << 20;
    std::vector<float> a(n, 1.0f), b(n, 2.0f);
    float* pa = a.data();
    float const* pb = b.data();
    double best = 0.0;
    for (int round = 0; round < 5; ++round) {
        auto start = std::chrono::steady_clock::now();
#pragma omp parallel for simd schedule(static)
        for (std::size_t i = 0; i < n; ++i) pa[i] = pa[i] * 0.5f + pb[i];
        best = std::max(best, 3.0 * sizeof(float) * double(n) / seconds_since(start) / 1e9);
    }
    volatile float keep = a[n / 2];
    (void)keep;
    return best;
}

struct paired_rates {
    double images_per_sec = 0.0, peak_gflops = 0.0;
};

/// Images per second of each of `contenders` (steps of `batch` images) over `steps` calls after two
/// warm-up calls, in rounds that run them in turns, and the best FMA rate of rounds interleaved with
/// them, so that all see the same machine. `allocations` counts the first contender's.
std::vector<paired_rates> rates(std::vector<std::function<void()>> const& contenders, std::size_t steps,
                                std::size_t batch, test::allocation_counts* allocations) {
    for (auto const& step : contenders) {
        step();
        step();
    }
    constexpr std::size_t rounds = 10;
    std::size_t per_round = std::max<std::size_t>(1, steps / rounds);
    std::vector<double> seconds(contenders.size(), 0.0);
    double peak = 0.0;
    for (std::size_t round = 0; round < rounds; ++round) {
        for (std::size_t c = 0; c < contenders.size(); ++c) {
            auto before = test::heap_allocations();
            auto start = std::chrono::steady_clock::now();
            for (std::size_t i = 0; i < per_round; ++i) contenders[c]();
            seconds[c] += seconds_since(start);
            auto after = test::heap_allocations();
            if (allocations && c == 0)
                *allocations = {allocations->total + (after - before).total,
                                allocations->onednn + (after - before).onednn};
        }
        peak = std::max(peak, bench::fp32_peak_gflops());
    }
    std::vector<paired_rates> result;
    for (double s : seconds) result.push_back({double(rounds * per_round * batch) / s, peak});
    return result;
}

/// Resets the process's peak resident memory (Linux: VmHWM) to what it holds now.
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

double peak_rss_mib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stod(line.substr(6)) / 1024.0;
    return 0.0;
}

template <class Model>
figures measure(char const* name, step_counts steps, double bandwidth_gbps) {
    reset_peak_rss();
    Model net;
    net.initialize(1);
    est::random_engine engine(7);
    est::batch_tensor<float, est::shape<28, 28, 1>> images(train_batch), inference_images(inference_batch);
    est::batch_tensor<std::int32_t, est::shape<>> labels(train_batch);
    for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = engine.normal();
    for (std::size_t i = 0; i < inference_images.size(); ++i) inference_images.data()[i] = engine.normal();
    for (std::size_t i = 0; i < train_batch; ++i) labels.data()[i] = std::int32_t(engine.below(10));

    est::adam<>::slots<est::host> slots;
    std::uint64_t step = 0;
    auto optimizer = est::adam(0.001f);
    double update_seconds_in_steps = 0.0;  // the updates' time, inside the steps
    std::size_t updates_timed = 0;
    auto train_step = [&] {
        net.begin_step(step);
        auto loss = est::sparse_softmax_cross_entropy(labels, net(images, est::train));
        auto train_op = optimizer.minimize(loss);
        train_op.backward();
        auto start = std::chrono::steady_clock::now();
        train_op.update(slots, step++);
        update_seconds_in_steps += seconds_since(start);
        ++updates_timed;
    };
    volatile float sink = 0.0f;  // keeps the inference passes observable
    auto inference_step = [&] { sink = net(inference_images, est::predict).value.data[0]; };

    figures result;
    // Step 1 sizes every workspace and optimizer slot, and creates the primitives of each batch size;
    // the peak memory is that of training and inference.
    train_step();
    inference_step();
    result.peak_rss_mib = peak_rss_mib();

    // FLOPs per image: the forward pass's MACs twice; training adds the backward pass's products: the
    // weights' gradients, and the input gradients of the layers with parameters below them (the
    // others' inputs need none: sequential::parameters_below; the CNN's first convolution, the MLP's
    // first dense layer).
    constexpr double forward_flops = 2.0 * double(Model::macs);
    constexpr double no_input_gradient_flops = []<std::size_t... I>(std::index_sequence<I...>) {
        return (0.0 + ... +
                (Model::template parameters_below<I>
                     ? 0.0
                     : 2.0 * double(std::remove_cvref_t<decltype(std::declval<Model&>().template layer<I>())>::macs)));
    }
    (std::make_index_sequence<Model::layer_count>{});
    constexpr double train_flops = 3.0 * forward_flops - no_input_gradient_flops;

    update_seconds_in_steps = 0.0, updates_timed = 0;  // not step 1's, which sizes the optimizer's slots
    auto train = rates({train_step}, steps.train, train_batch, &result.allocations)[0];
    double update_seconds = update_seconds_in_steps / double(updates_timed);
    result.train_steps_counted = std::max<std::size_t>(1, steps.train / 10) * 10;
    // The trained model, and the model frozen for inference (est::frozen) as PyTorch's frozen
    // variants are, in turns.
    est::frozen<Model> served(net);
    auto frozen_step = [&] { sink = served(inference_images, est::predict).data[0]; };
    auto inference_rates = rates({inference_step, frozen_step}, steps.inference, inference_batch, nullptr);
    auto inference = inference_rates[0], frozen = inference_rates[1];
    result.train_images_per_sec = train.images_per_sec;
    result.inference_images_per_sec = inference.images_per_sec;
    result.frozen_inference_images_per_sec = frozen.images_per_sec;
    result.train_peak_fraction = train.images_per_sec * train_flops / 1e9 / train.peak_gflops;
    result.inference_peak_fraction = inference.images_per_sec * forward_flops / 1e9 / inference.peak_gflops;
    result.frozen_inference_peak_fraction = frozen.images_per_sec * forward_flops / 1e9 / frozen.peak_gflops;

    // The optimizer's update in the steps, against a whole step.
    result.update_share = update_seconds / (double(train_batch) / result.train_images_per_sec);
    constexpr double update_bytes = 7.0 * sizeof(float) * double(Model::parameter_count);
    result.update_gbps = update_bytes / update_seconds / 1e9;
    double compute_seconds = double(train_batch) * train_flops / 1e9 / train.peak_gflops;
    result.train_bound = compute_seconds / (compute_seconds + update_seconds);

    std::printf(
        "%s: train %.0f images/s (%.0f%% of FP32 peak; update %.0f%% of a step at %.1f GB/s, %.0f%% of the memory "
        "bandwidth; FLOPs at peak plus this update would reach %.0f%%), inference %.0f images/s (%.0f%% of "
        "peak; frozen %.0f, %.0f%%), peak RSS %.1f MiB, heap allocations after step 1: %.1f a step outside "
        "oneDNN, %.1f inside\n",
        name, result.train_images_per_sec, 100.0 * result.train_peak_fraction, 100.0 * result.update_share,
        result.update_gbps, 100.0 * result.update_gbps / bandwidth_gbps, 100.0 * result.train_bound,
        result.inference_images_per_sec, 100.0 * result.inference_peak_fraction, result.frozen_inference_images_per_sec,
        100.0 * result.frozen_inference_peak_fraction, result.peak_rss_mib,
        double(result.allocations.outside_onednn()) / double(result.train_steps_counted),
        double(result.allocations.onednn) / double(result.train_steps_counted));
    return result;
}

std::string json(char const* name, figures const& f, step_counts steps) {
    char buffer[2048];
    std::snprintf(
        buffer, sizeof buffer,
        "\"%s_train_images_per_sec\":%.1f,\"%s_inference_images_per_sec\":%.1f,"
        "\"%s_train_fraction_of_peak\":%.3f,\"%s_inference_fraction_of_peak\":%.3f,"
        "\"%s_frozen_inference_images_per_sec\":%.1f,\"%s_frozen_inference_fraction_of_peak\":%.3f,"
        "\"%s_update_share_of_train_step\":%.3f,\"%s_update_gbps\":%.1f,\"%s_train_bound_fraction_of_peak\":%.3f,"
        "\"%s_peak_rss_mib\":%.1f,"
        "\"%s_allocations_per_step_outside_onednn\":%.2f,\"%s_allocations_per_step_in_onednn\":%.2f,"
        "\"%s_train_steps\":%zu,\"%s_inference_steps\":%zu",
        name, f.train_images_per_sec, name, f.inference_images_per_sec, name, f.train_peak_fraction, name,
        f.inference_peak_fraction, name, f.frozen_inference_images_per_sec, name, f.frozen_inference_peak_fraction,
        name, f.update_share, name, f.update_gbps, name, f.train_bound, name, f.peak_rss_mib, name,
        double(f.allocations.outside_onednn()) / double(f.train_steps_counted), name,
        double(f.allocations.onednn) / double(f.train_steps_counted), name, steps.train, name, steps.inference);
    return buffer;
}

}  // namespace

int main(int argc, char** argv) {
    double scale = argc > 1 ? std::atof(argv[1]) : 1.0;
    if (!(scale > 0.0)) {
        std::fprintf(stderr, "usage: training_throughput [step scale, default 1]\n");
        return 2;
    }
    test::heap_allocations();  // starts attributing allocations to oneDNN
    auto scaled = [&](std::size_t n) { return std::max<std::size_t>(1, std::size_t(double(n) * scale)); };
    step_counts mlp_steps{scaled(3000), scaled(2000)}, cnn_steps{scaled(200), scaled(50)};
    double bandwidth = memory_bandwidth_gbps();
    auto mlp = measure<fashion_mnist::mlp>("mlp", mlp_steps, bandwidth);
    auto cnn = measure<fashion_mnist::cnn>("cnn", cnn_steps, bandwidth);
    double peak = 0.0;
    for (int i = 0; i < 3; ++i) peak = std::max(peak, bench::fp32_peak_gflops());
    bandwidth = std::max(bandwidth, memory_bandwidth_gbps());
    std::printf(
        "{\"backend\":\"%s\",\"threads\":%d,\"fp32_peak_gflops\":%.1f,\"memory_bandwidth_gbps\":%.1f,"
        "\"train_batch\":%zu,\"inference_batch\":%zu,%s,%s}\n",
        std::string(est::host::name).c_str(), est::host::threads(), peak, bandwidth, train_batch, inference_batch,
        json("mlp", mlp, mlp_steps).c_str(), json("cnn", cnn, cnn_steps).c_str());
}
