// Input pipeline throughput on Fashion-MNIST as sharded TFRecord files of PNG images (written to a
// temporary directory from Debian's IDX files): microseconds a PNG takes est's decoder and libpng;
// examples/s of (1) reading with every CRC checked, (2) reading and parsing tf.train.Example, (3)
// reading, parsing, PNG decoding and batching, each with 1 and 2 threads; the full pipeline below
// alone (examples/s, CPU time an example, context switches a batch); then the CNN trained
// (batch 64) from those shards through the full pipeline against the same CNN trained from
// in-memory tensors, in alternating rounds (5 unless --rounds says otherwise; each input goes
// first in every other round), as the median ratio.
// Prints one line per measurement and, last, all of them as one JSON object.
//
//   input_pipeline [--data-dir DIR] [--train-steps N] [--rounds N]
#include "../examples/fashion_mnist_model.hpp"

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {
namespace fs = std::filesystem;
using namespace est::literals;

constexpr std::size_t batch_size = 64;

/// Examples per second of one pass; `count(element)` says how many examples an element holds.
template <class Dataset, class Count>
double examples_per_second(Dataset const& dataset, Count count) {
    auto start = std::chrono::steady_clock::now();
    auto it = dataset.make_iterator();
    typename Dataset::element_type element;
    std::size_t examples = 0;
    while (it.next(element)) examples += count(element);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return double(examples) / seconds;
}

/// The records of every shard, interleaved; with 2 threads the shards are read on threads of their own.
auto records(fs::path const& dir, std::size_t threads) {
    return est::data::list_files((dir / "train-*.tfrecord").string())
        .interleave([](std::string const& file) { return est::data::tfrecord_dataset({file}); },
                    {.cycle_length = threads, .block_length = 16, .parallel = threads > 1});
}

auto full_pipeline(fs::path const& dir, std::size_t threads, std::uint64_t seed) {
    return est::data::list_files((dir / "train-*.tfrecord").string(), {.shuffle = true, .seed = seed})
        .interleave([](std::string const& file) { return est::data::tfrecord_dataset({file}); },
                    {.cycle_length = 4, .parallel = threads > 1})
        .shuffle_and_repeat(16 * 1024, seed)
        .map(fashion_mnist::parse_image_example, est::parallel_calls{threads})
        .batch(batch_size)
        .prefetch(2);
}

/// The process's CPU seconds (every thread's, user and system) and context switches so far.
struct process_usage {
    double cpu_seconds;
    long context_switches;
};
process_usage usage_so_far() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return {double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec),
            u.ru_nvcsw + u.ru_nivcsw};
}

/// Microseconds a PNG of `pngs` takes `decode` on one thread, over one pass through them.
template <class Decode>
double microseconds_per_png(std::vector<std::string> const& pngs, Decode decode) {
    auto start = std::chrono::steady_clock::now();
    std::size_t checksum = 0;
    for (auto const& png : pngs) checksum += decode(png).pixels[0];
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (checksum == std::size_t(-1))
        std::printf("\n");  // keeps the decoding
    return seconds / double(pngs.size()) * 1e6;
}

/// Images/s of the CNN over `steps` steps after 5 of warm-up, trained in `model_dir` from scratch
/// (an earlier run's checkpoint there is removed first, and this run's afterwards).
double train_cnn(auto input_fn, std::uint64_t steps, fs::path const& model_dir) {
    fs::remove_all(model_dir);
    double rate = 0.0;
    {
        auto estimator = est::make_estimator<fashion_mnist::cnn, fashion_mnist::input>(
            fashion_mnist::model_fn,
            est::run_config{
                .model_dir = model_dir.string(), .seed = 1, .save_summary_steps = 0, .save_checkpoints_secs = 0},
            fashion_mnist::params{});
        estimator.train(input_fn, {.steps = 5});  // warm-up: workspaces, threads
        estimator.train(input_fn, {.steps = steps});
        rate = estimator.last_train_statistics().examples_per_second();
    }
    fs::remove_all(model_dir);
    return rate;
}
}  // namespace

int main(int argc, char** argv) {
    std::string data_dir = "/usr/share/datasets/fashion-mnist";
    std::uint64_t train_steps = 150;
    int rounds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view flag = argv[i];
        if (flag == "--data-dir")
            data_dir = argv[i + 1];
        else if (flag == "--train-steps")
            train_steps = std::strtoull(argv[i + 1], nullptr, 10);
        else if (flag == "--rounds")
            rounds = std::max(1, std::atoi(argv[i + 1]));
    }
    try {
        auto train = est::data::read_mnist(data_dir, "train");
        auto shards = fs::temp_directory_path() / "est-input-pipeline-benchmark";
        if (!fs::exists(shards / est::data::shard_file_name("train", 7, 8))) {
            fs::remove_all(shards);
            est::data::write_image_shards(train.images, train.labels, shards, "train", 8);
        }
        nlohmann::ordered_json result;
        {
            // PNG decoding alone: est's decoder against libpng's path, on 10,000 training images
            // encoded in memory, in 3 alternating rounds (the best of each).
            std::vector<std::string> pngs;
            for (std::size_t i = 0; i < 10000; ++i)
                pngs.push_back(est::io::encode_png({train.images.data() + i * 784, 784}, 28, 28, 1));
            double est_us = 1e9, libpng_us = 1e9;
            for (int round = 0; round < 3; ++round) {
                est_us = std::min(
                    est_us, microseconds_per_png(pngs, [](auto const& png) { return est::io::decode_png(png, 1); }));
                libpng_us = std::min(libpng_us, microseconds_per_png(pngs, [](auto const& png) {
                                         return est::io::detail::decode_png_with_libpng(png, 1);
                                     }));
            }
            std::printf("png decode (28x28 gray, one thread): est %.2f us, libpng %.2f us an image\n", est_us,
                        libpng_us);
            result["png_decode_us_est"] = std::round(est_us * 100) / 100;
            result["png_decode_us_libpng"] = std::round(libpng_us * 100) / 100;
        }
        examples_per_second(records(shards, 1), [](auto const&) { return std::size_t(1); });  // warms the page cache
        for (std::size_t threads : {1, 2}) {
            auto read = records(shards, threads);
            auto one = [](auto const&) { return std::size_t(1); };
            double read_rate = examples_per_second(read, one);
            auto parsed = read.map([](std::string const& r) { return est::data::image_example_schema::parse(r); },
                                   est::parallel_calls{threads});
            double parse_rate = examples_per_second(parsed, one);
            auto decoded = read.map(fashion_mnist::parse_image_example, est::parallel_calls{threads})
                               .batch(batch_size)
                               .prefetch(2);
            double decode_rate =
                examples_per_second(decoded, [](auto const& batch) { return batch.labels["label"_f].batch_size(); });
            auto suffix = "_" + std::to_string(threads) + "_thread" + (threads > 1 ? "s" : "");
            std::printf("%zu thread(s): read+crc %.0f, +parse %.0f, +png decode+batch %.0f examples/s\n", threads,
                        read_rate, parse_rate, decode_rate);
            result["read_crc" + suffix] = std::round(read_rate);
            result["read_parse" + suffix] = std::round(parse_rate);
            result["read_parse_decode_batch" + suffix] = std::round(decode_rate);
        }

        {
            // The full pipeline alone, as the CNN's training below reads it: what it costs the
            // machine (CPU time of all threads an example) and how often its threads switch.
            constexpr int batches = 1000;
            auto dataset = full_pipeline(shards, 2, 1);
            auto before = usage_so_far();
            auto start = std::chrono::steady_clock::now();
            {
                auto it = dataset.make_iterator();
                decltype(dataset)::element_type batch;
                for (int b = 0; b < batches && it.next(batch); ++b) {
                }
            }
            double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            auto after = usage_so_far();
            double examples = double(batches * batch_size);
            double cpu_us = (after.cpu_seconds - before.cpu_seconds) / examples * 1e6;
            double switches = double(after.context_switches - before.context_switches) / batches;
            std::printf(
                "full pipeline alone (2 threads): %.0f examples/s, %.2f us of CPU an example, %.1f context "
                "switches a batch\n",
                examples / seconds, cpu_us, switches);
            result["full_pipeline_examples_per_sec"] = std::round(examples / seconds);
            result["full_pipeline_cpu_us_per_example"] = std::round(cpu_us * 100) / 100;
            result["full_pipeline_context_switches_per_batch"] = std::round(switches * 10) / 10;
        }

        auto [features, labels] = fashion_mnist::slices_of(train);
        auto in_memory = [&] {
            return est::data::from_tensor_slices(features, labels).shuffle(16 * 1024, 1).repeat().batch(batch_size);
        };
        // Rounds alternating the two inputs, so that both see the same machine, and which goes
        // first (in-memory first in odd rounds, the pipeline in even ones), so that a machine
        // speeding up or slowing down within rounds favours neither; the ratio is the median of
        // the rounds' ratios.
        std::vector<double> memory_rates, pipeline_rates, ratios;
        auto model_dir = fs::temp_directory_path() / "est-input-pipeline-model";
        for (int round = 0; round < rounds; ++round) {
            auto from_memory = [&] { return train_cnn(in_memory, train_steps, model_dir); };
            auto from_shards = [&] {
                return train_cnn([&] { return full_pipeline(shards, 2, 1); }, train_steps, model_dir);
            };
            double memory = 0.0, pipeline = 0.0;
            if (round % 2 == 0) {
                memory = from_memory();
                pipeline = from_shards();
            } else {
                pipeline = from_shards();
                memory = from_memory();
            }
            memory_rates.push_back(memory);
            pipeline_rates.push_back(pipeline);
            ratios.push_back(pipeline_rates.back() / memory_rates.back());
            std::printf("cnn training, round %d: in-memory %.1f, TFRecord pipeline %.1f images/s (ratio %.3f)\n",
                        round + 1, memory_rates.back(), pipeline_rates.back(), ratios.back());
        }
        auto median = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v[v.size() / 2];
        };
        auto rounded = [](std::vector<double> const& v, double scale) {
            nlohmann::ordered_json values = nlohmann::ordered_json::array();
            for (double x : v) values.push_back(std::round(x * scale) / scale);
            return values;
        };
        result["cnn_train_in_memory_images_per_sec"] = std::round(median(memory_rates) * 10) / 10;
        result["cnn_train_tfrecord_images_per_sec"] = std::round(median(pipeline_rates) * 10) / 10;
        result["pipeline_over_in_memory"] = std::round(median(ratios) * 1000) / 1000;
        result["pipeline_over_in_memory_rounds"] = rounded(ratios, 1000);
        std::printf("%s\n", result.dump().c_str());
    } catch (est::error const& e) {
        std::fprintf(stderr, "input_pipeline: %s\n", e.what());
        return 1;
    }
}
