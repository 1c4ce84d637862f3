// Training (batch 64) and inference (batch 256) throughput of the Fashion-MNIST MLP and CNN on
// synthetic inputs of the real shape, with what benchmarks/peers/pytorch.py compares against:
// images/s, peak resident memory, the fraction of the GEMM limit reached (the limit: the same
// model's GEMMs, recorded from one step and timed alone in this process) and the heap allocations
// made after the first training step. One line per model, then everything as one JSON line.
// Usage: training_throughput [step scale, default 1]
#include "../examples/fashion_mnist_model.hpp"
#include "../tests/support/heap_allocations.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
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
    double train_images_per_sec = 0.0, inference_images_per_sec = 0.0;
    double train_gemm_limit = 0.0, inference_gemm_limit = 0.0;  // images/s of the GEMMs alone
    double peak_rss_mib = 0.0;
    std::size_t allocations_after_first_step = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The model's GEMMs of one step, recorded, each with buffers of its own as in the model (so
/// operands are not all hot in the cache), to be replayed alone.
class gemm_replay {
public:
    explicit gemm_replay(std::vector<est::gemm_shape> shapes) : shapes_(std::move(shapes)) {
        est::random_engine engine(11);
        auto random_matrix = [&](std::size_t size) {
            std::vector<float> values(size);
            for (float& v : values) v = engine.normal();
            return values;
        };
        for (auto const& s : shapes_)
            buffers_.push_back({random_matrix(s.m * s.k), random_matrix(s.k * s.n), std::vector<float>(s.m * s.n)});
        (*this)();
        verify(engine);
    }
    void operator()() {
        for (std::size_t i = 0; i < shapes_.size(); ++i) {
            auto const& s = shapes_[i];
            est::host::gemm(s.transpose_a, s.transpose_b, s.m, s.n, s.k, 1.0f, buffers_[i].a.data(),
                            buffers_[i].b.data(), 0.0f, buffers_[i].c.data());
        }
    }

private:
    /// Checks 64 entries of each product against a double-precision dot product, so that a GEMM
    /// library is never timed on wrong results.
    void verify(est::random_engine& engine) const {
        for (std::size_t i = 0; i < shapes_.size(); ++i) {
            auto const& s = shapes_[i];
            auto const& [a, b, c] = buffers_[i];
            for (int sample = 0; sample < 64; ++sample) {
                std::size_t row = engine.below(s.m), col = engine.below(s.n);
                double expected = 0.0, magnitude = 0.0;
                for (std::size_t k = 0; k < s.k; ++k) {
                    double term = double(s.transpose_a ? a[k * s.m + row] : a[row * s.k + k]) *
                                  double(s.transpose_b ? b[col * s.k + k] : b[k * s.n + col]);
                    expected += term;
                    magnitude += std::abs(term);
                }
                if (std::abs(double(c[row * s.n + col]) - expected) > 1e-5 * magnitude + 1e-6) {
                    std::fprintf(stderr, "%s gemm %zux%zux%zu (transposes %d%d) is wrong at (%zu, %zu): %g, not %g\n",
                                 est::host::gemm_library, s.m, s.n, s.k, int(s.transpose_a), int(s.transpose_b), row,
                                 col, double(c[row * s.n + col]), expected);
                    std::exit(1);
                }
            }
        }
    }

    struct operands {
        std::vector<float> a, b, c;
    };
    std::vector<est::gemm_shape> shapes_;
    std::vector<operands> buffers_;
};

struct paired_rates {
    double images_per_sec = 0.0, gemm_limit = 0.0;
};

/// Images per second of `steps` calls of `step`, and of as many replays of its GEMMs alone (the
/// limit), interleaved in rounds so that both see the same machine; after two warm-up calls.
template <class Step>
paired_rates rates(Step&& step, gemm_replay& gemms, std::size_t steps, std::size_t batch,
                   std::size_t& step_allocations) {
    step();
    step();
    gemms();
    constexpr std::size_t rounds = 10;
    std::size_t per_round = std::max<std::size_t>(1, steps / rounds);
    double step_seconds = 0.0, gemm_seconds = 0.0;
    for (std::size_t round = 0; round < rounds; ++round) {
        std::size_t allocations_before = test::heap_allocations();
        auto start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < per_round; ++i) step();
        step_seconds += seconds_since(start);
        step_allocations += test::heap_allocations() - allocations_before;
        start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < per_round; ++i) gemms();
        gemm_seconds += seconds_since(start);
    }
    double images = double(rounds * per_round * batch);
    return {images / step_seconds, images / gemm_seconds};
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
figures measure(char const* name, step_counts steps) {
    reset_peak_rss();
    Model net;
    net.initialize(1);
    est::random_engine engine(7);
    est::batch_tensor<float, est::shape<28, 28, 1>> images(train_batch), inference_images(inference_batch);
    est::batch_tensor<std::int32_t, est::shape<>> labels(train_batch);
    for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = engine.normal();
    for (std::size_t i = 0; i < inference_images.size(); ++i) inference_images.data()[i] = engine.normal();
    for (std::size_t i = 0; i < train_batch; ++i) labels.data()[i] = std::int32_t(engine.below(10));

    est::adam<>::slots slots;
    std::uint64_t step = 0;
    auto train_step = [&] {
        net.begin_step(step);
        auto loss = est::sparse_softmax_cross_entropy(labels, net(images, est::train));
        est::adam(0.001f).minimize(loss).run(slots, step++);
    };
    volatile float sink = 0.0f;  // keeps the inference passes observable
    auto inference_step = [&] { sink = net(inference_images, est::predict).value.data[0]; };

    figures result;
    // Step 1 sizes every workspace and optimizer slot; the peak memory is that of training and
    // inference, taken before the GEMM replays below add their buffers.
    train_step();
    inference_step();
    result.peak_rss_mib = peak_rss_mib();

    // The GEMMs of one step of each kind, recorded (the recording allocates, so these steps are
    // left out of the count of allocations).
    auto record = [](auto&& step) {
        est::gemm_trace trace;
        step();
        return gemm_replay(trace.shapes());
    };
    gemm_replay train_gemms = record(train_step), inference_gemms = record(inference_step);

    auto train = rates(train_step, train_gemms, steps.train, train_batch, result.allocations_after_first_step);
    std::size_t inference_allocations = 0;
    auto inference = rates(inference_step, inference_gemms, steps.inference, inference_batch, inference_allocations);
    result.train_images_per_sec = train.images_per_sec;
    result.train_gemm_limit = train.gemm_limit;
    result.inference_images_per_sec = inference.images_per_sec;
    result.inference_gemm_limit = inference.gemm_limit;

    std::printf(
        "%s: train %.0f images/s (%.0f%% of the GEMM limit %.0f), inference %.0f images/s (%.0f%% of %.0f), "
        "peak RSS %.1f MiB, %zu heap allocations after step 1\n",
        name, result.train_images_per_sec, 100.0 * result.train_images_per_sec / result.train_gemm_limit,
        result.train_gemm_limit, result.inference_images_per_sec,
        100.0 * result.inference_images_per_sec / result.inference_gemm_limit, result.inference_gemm_limit,
        result.peak_rss_mib, result.allocations_after_first_step);
    return result;
}

std::string json(char const* name, figures const& f, step_counts steps) {
    char buffer[1024];
    std::snprintf(buffer, sizeof buffer,
                  "\"%s_train_images_per_sec\":%.1f,\"%s_inference_images_per_sec\":%.1f,"
                  "\"%s_train_gemm_limit_images_per_sec\":%.1f,\"%s_inference_gemm_limit_images_per_sec\":%.1f,"
                  "\"%s_train_fraction_of_gemm_limit\":%.3f,\"%s_inference_fraction_of_gemm_limit\":%.3f,"
                  "\"%s_peak_rss_mib\":%.1f,\"%s_heap_allocations_after_step_1\":%zu,"
                  "\"%s_train_steps\":%zu,\"%s_inference_steps\":%zu",
                  name, f.train_images_per_sec, name, f.inference_images_per_sec, name, f.train_gemm_limit, name,
                  f.inference_gemm_limit, name, f.train_images_per_sec / f.train_gemm_limit, name,
                  f.inference_images_per_sec / f.inference_gemm_limit, name, f.peak_rss_mib, name,
                  f.allocations_after_first_step, name, steps.train, name, steps.inference);
    return buffer;
}

}  // namespace

int main(int argc, char** argv) {
    double scale = argc > 1 ? std::atof(argv[1]) : 1.0;
    if (!(scale > 0.0)) {
        std::fprintf(stderr, "usage: training_throughput [step scale, default 1]\n");
        return 2;
    }
    auto scaled = [&](std::size_t n) { return std::max<std::size_t>(1, std::size_t(double(n) * scale)); };
    step_counts mlp_steps{scaled(3000), scaled(2000)}, cnn_steps{scaled(200), scaled(50)};
    auto mlp = measure<fashion_mnist::mlp>("mlp", mlp_steps);
    auto cnn = measure<fashion_mnist::cnn>("cnn", cnn_steps);
    std::printf("{\"gemm\":\"%s\",\"threads\":%d,\"train_batch\":%zu,\"inference_batch\":%zu,%s,%s}\n",
                est::host::gemm_library, est::host::threads(), train_batch, inference_batch,
                json("mlp", mlp, mlp_steps).c_str(), json("cnn", cnn, cnn_steps).c_str());
}
