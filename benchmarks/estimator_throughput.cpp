// est's estimator as the flagship example uses it, on the real Fashion-MNIST files: images/s of
// train (warm-up + N steps), evaluate and predict (the 10,000 test images) in a temporary model_dir,
// for benchmarks/peers/tf_estimator.py to set beside tf.estimator, and the heap allocations of the
// whole malloc family in the steady training steps (tests/support/heap_allocations.cpp interposes
// it; those inside oneDNN's primitive executions are counted apart). The last line is one JSON
// object.
//
//   estimator_throughput [--model mlp|cnn] [--train-steps N] [--warmup-steps N] [--batch-size 64]
//                        [--eval-batch-size 256] [--data-dir DIR] [--seed N]
#include "../examples/fashion_mnist_model.hpp"
#include "../tests/support/heap_allocations.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace est::literals;

using clock_type = std::chrono::steady_clock;

int threads() {
#if defined(_OPENMP)
    return omp_get_max_threads();  // est's kernels and its GEMMs run on OpenMP's threads
#else
    return 1;
#endif
}

double seconds_between(clock_type::time_point from, clock_type::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

/// Times one train(), evaluate() or predict() call at its hook points, as the SessionRunHook of
/// tf_estimator.py does on TensorFlow's side: steady-state training runs from the after_run of
/// the last warm-up step to the after_run of the last step, so that it holds each step's input,
/// hooks and scheduled summaries, but neither the first steps (workspaces, the shuffle buffer's
/// fill) nor the checkpoint that train() writes when it ends.
struct step_timer {
    std::uint64_t warmup_steps = 20;

    void begin(est::run_context&) {
        steps = 0;
        timed_examples = 0;
        first_before_run.reset();
    }
    void before_run(est::run_context&) {
        if (!first_before_run)
            first_before_run = clock_type::now();
    }
    void after_run(est::run_context& context, est::run_values const& values) {
        last_after_run = clock_type::now();
        ++steps;
        if (context.mode != est::mode_key::train)
            return;
        auto allocations = test::heap_allocations();
        if (steps == warmup_steps) {
            warm = last_after_run;
        } else if (steps > warmup_steps) {
            timed_examples += values.batch_size;
            auto step = allocations - previous_allocations;
            steady_allocations = {steady_allocations.total + step.total, steady_allocations.onednn + step.onednn};
            steps_allocating_outside_onednn += step.outside_onednn() > 0 ? 1 : 0;
        }
        previous_allocations = test::heap_allocations();
    }
    double steady_images_per_sec() const { return double(timed_examples) / seconds_between(warm, last_after_run); }
    double loop_seconds() const { return seconds_between(*first_before_run, last_after_run); }

    // The state of the call in progress or just ended, not settings.
    clock_type::time_point warm, last_after_run;
    std::optional<clock_type::time_point> first_before_run;
    std::uint64_t steps = 0;
    std::size_t timed_examples = 0;
    test::allocation_counts previous_allocations, steady_allocations;
    std::uint64_t steps_allocating_outside_onednn = 0;
};

struct options {
    std::string model = "cnn";
    std::uint64_t train_steps = 0;  // 0: 300 for the CNN, 3,000 for the MLP (a few seconds each)
    std::uint64_t warmup_steps = 20;
    std::size_t batch_size = 64;
    std::size_t eval_batch_size = 256;
    std::string data_dir = "/usr/share/datasets/fashion-mnist";
    std::uint64_t seed = 42;
};

[[noreturn]] void usage(std::string const& problem) {
    std::fprintf(stderr,
                 "estimator_throughput: %s\n"
                 "usage: estimator_throughput [--model mlp|cnn] [--train-steps N] [--warmup-steps N] "
                 "[--batch-size N]\n"
                 "                            [--eval-batch-size N] [--data-dir DIR] [--seed N]\n",
                 problem.c_str());
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
            else if (flag == "--train-steps")
                o.train_steps = std::stoull(value);
            else if (flag == "--warmup-steps")
                o.warmup_steps = std::stoull(value);
            else if (flag == "--batch-size")
                o.batch_size = std::stoul(value);
            else if (flag == "--eval-batch-size")
                o.eval_batch_size = std::stoul(value);
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
    if (o.train_steps == 0)
        o.train_steps = o.model == "cnn" ? 300 : 3000;
    if (o.warmup_steps < 1 || o.batch_size < 1 || o.eval_batch_size < 1)
        usage("warm-up steps and batch sizes must be positive");
    return o;
}

template <class Model>
int run(options const& o) {
    auto train_data = est::data::read_mnist(o.data_dir, "train");
    auto test_data = est::data::read_mnist(o.data_dir, "t10k");
    auto [train_features, train_labels] = fashion_mnist::slices_of(train_data);
    auto [test_features, test_labels] = fashion_mnist::slices_of(test_data);
    std::size_t const test_images = test_data.labels.size();

    auto train_input = [&] {
        return est::data::from_tensor_slices(train_features, train_labels)
            .shuffle(train_data.labels.size(), o.seed)
            .repeat()
            .batch(o.batch_size);
    };
    auto eval_input = [&] {
        return est::data::from_tensor_slices(test_features, test_labels).batch(o.eval_batch_size);
    };
    auto predict_input = [&] { return est::data::from_tensor_slices(test_features).batch(o.eval_batch_size); };

    std::uint64_t const total_steps = o.warmup_steps + o.train_steps;
    // run_config's defaults (summaries every 100 steps, a checkpoint every 600 s, so here only at
    // the end of train()) and a learning rate decaying over the run, as in the example and as
    // tf_estimator.py gives TensorFlow.
    auto estimator = est::make_estimator<Model, fashion_mnist::input>(
        fashion_mnist::model_fn, est::run_config{.seed = o.seed},
        fashion_mnist::params{.learning_rate = 0.001f, .decay_steps = total_steps},
        step_timer{.warmup_steps = o.warmup_steps});
    struct removed_at_exit {  // the temporary model_dir goes, also when a call throws
        std::filesystem::path dir;
        ~removed_at_exit() {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
        }
    } model_dir{estimator.config().model_dir};
    auto& timer = estimator.template hook<step_timer>();

    auto call_start = clock_type::now();
    estimator.train(train_input, {.steps = total_steps});
    auto call_end = clock_type::now();
    double train_rate = timer.steady_images_per_sec();
    double train_setup = seconds_between(call_start, *timer.first_before_run);
    double train_tail = seconds_between(timer.last_after_run, call_end);  // mostly the final checkpoint
    double train_call = seconds_between(call_start, call_end);
    double timed_steps = double(timer.steps - o.warmup_steps);
    double allocations_outside = double(timer.steady_allocations.outside_onednn()) / timed_steps;
    double allocations_in_onednn = double(timer.steady_allocations.onednn) / timed_steps;
    std::printf(
        "%s: trained %llu steps (%llu warm-up), %.1f images/s in steady state; call %.2f s, of which "
        "%.3f s before the first step and %.3f s after the last (final checkpoint); heap allocations a steady "
        "step: %.2f outside oneDNN (%llu steps allocated), %.1f inside\n",
        o.model.c_str(), static_cast<unsigned long long>(timer.steps), static_cast<unsigned long long>(o.warmup_steps),
        train_rate, train_call, train_setup, train_tail, allocations_outside,
        static_cast<unsigned long long>(timer.steps_allocating_outside_onednn), allocations_in_onednn);

    call_start = clock_type::now();
    auto result = estimator.evaluate(eval_input);
    double evaluate_seconds = seconds_between(call_start, clock_type::now());
    double evaluate_loop = timer.loop_seconds();
    std::printf(
        "%s: evaluated %zu images in %.3f s (%.0f images/s; %.0f images/s between the first and last "
        "batch): accuracy %.4f, loss %.4f\n",
        o.model.c_str(), test_images, evaluate_seconds, test_images / evaluate_seconds, test_images / evaluate_loop,
        result["accuracy"_f], result["loss"_f]);

    // Every prediction is read, as a consumer of TF's predict() generator reads its dicts.
    call_start = clock_type::now();
    std::size_t predicted = 0, correct = 0;
    for (auto const& p : estimator.predict(predict_input)) {
        correct += static_cast<std::size_t>(p["classes"_f]) == test_data.labels(predicted);
        ++predicted;
    }
    double predict_seconds = seconds_between(call_start, clock_type::now());
    double predict_loop = timer.loop_seconds();
    std::printf(
        "%s: predicted %zu images in %.3f s (%.0f images/s; %.0f images/s between the first and last "
        "batch), %zu correct\n",
        o.model.c_str(), predicted, predict_seconds, predicted / predict_seconds, predicted / predict_loop, correct);

    std::printf(
        "{\"model\":\"%s\",\"batch_size\":%zu,\"eval_batch_size\":%zu,\"warmup_steps\":%llu,\"train_steps\":%llu,"
        "\"threads\":%d,\"train_images_per_sec\":%.1f,"
        "\"train_timing\":\"hook: after_run of the last warm-up step to after_run of the last step; summaries every "
        "100 steps inside, final checkpoint outside\","
        "\"train_call_seconds\":%.3f,\"train_setup_seconds\":%.4f,\"train_final_checkpoint_seconds\":%.4f,"
        "\"evaluate_images_per_sec\":%.1f,\"evaluate_loop_images_per_sec\":%.1f,"
        "\"predict_images_per_sec\":%.1f,\"predict_loop_images_per_sec\":%.1f,"
        "\"allocations_per_step_outside_onednn\":%.3f,\"steps_allocating_outside_onednn\":%llu,"
        "\"allocations_per_step_in_onednn\":%.2f,"
        "\"accuracy\":%.4f,\"loss\":%.4f,\"global_step\":%llu}\n",
        o.model.c_str(), o.batch_size, o.eval_batch_size, static_cast<unsigned long long>(o.warmup_steps),
        static_cast<unsigned long long>(o.train_steps), threads(), train_rate, train_call, train_setup, train_tail,
        test_images / evaluate_seconds, test_images / evaluate_loop, predicted / predict_seconds,
        predicted / predict_loop, allocations_outside, static_cast<unsigned long long>(timer.steps_allocating_outside_onednn),
        allocations_in_onednn, result["accuracy"_f], result["loss"_f],
        static_cast<unsigned long long>(result["global_step"_f]));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options o = parse(argc, argv);
    test::heap_allocations();  // starts attributing allocations to oneDNN
    try {
        return o.model == "cnn" ? run<fashion_mnist::cnn>(o) : run<fashion_mnist::mlp>(o);
    } catch (est::error const& e) {
        std::fprintf(stderr, "estimator_throughput: %s\n", e.what());
        return 1;
    }
}
