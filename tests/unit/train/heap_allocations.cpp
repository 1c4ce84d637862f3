// The estimator's training loop allocates no heap memory after its first step, outside oneDNN's
// primitive executions: every workspace, arena and optimizer slot is sized on step 1, the input
// pipeline recycles its batches, and summaries keep their buffers from the first on, which a
// train() call writes at its first step. Where the dense layers train on est's matrix product (by
// default on AVX2 and AVX-512) the MLP's loop allocates nothing at all, and so does the CNN's where
// est's convolution kernels run too. Counted over the whole malloc family by the interposer of
// tests/support/heap_allocations.cpp (est_tests only; the sanitized build keeps ASan's allocator).
#if defined(EST_COUNTING_ALLOCATOR)
#include "../../../examples/fashion_mnist_model.hpp"
#include "support/events.hpp"
#include "support/heap_allocations.hpp"
#include "support/omp_threads.hpp"
#include "support/scratch_directory.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

namespace {
/// Reads the allocation counts after steps 2 and 6 of a train() call.
struct allocation_probe {
    test::allocation_counts after_step_2, after_step_6;
    void after_run(est::run_context& context, est::run_values const&) {
        if (context.global_step == 2)
            after_step_2 = test::heap_allocations();
        if (context.global_step == 6)
            after_step_6 = test::heap_allocations();
    }
};

struct steady_run {
    test::allocation_counts in_four_steps;  ///< steps 3 to 6
    std::set<std::int64_t> histogram_steps;  ///< the steps TensorBoard's event file has histograms of
};

/// A training run of the model `Net` for 7 steps with `config` (its model_dir set here).
template <class Net = fashion_mnist::cnn>
steady_run steady_allocations(est::run_config config, std::string const& name) {
    test::heap_allocations();  // starts attributing allocations to oneDNN
    est::random_engine engine(5);
    xt::xarray<float> images = xt::zeros<float>({256, 28, 28, 1});
    xt::xarray<std::int32_t> labels = xt::zeros<std::int32_t>({256});
    for (float& v : images) v = engine.normal();
    for (auto& v : labels) v = std::int32_t(engine.below(10));
    using namespace est::literals;
    auto features = est::fields("image"_f = est::data::slices<est::shape<28, 28, 1>>(images));
    auto targets = est::fields("label"_f = est::data::slices<est::shape<>>(labels));
    auto input = [&] { return est::data::from_tensor_slices(features, targets).shuffle(256, 1).repeat().batch(64); };

    auto dir = test::scratch_directory(name);
    config.model_dir = dir.string();
    auto estimator = est::make_estimator<Net, fashion_mnist::input>(fashion_mnist::model_fn, config,
                                                                    fashion_mnist::params{}, allocation_probe{});
    estimator.train(input, {.steps = 7});
    auto const& probe = estimator.template hook<allocation_probe>();
    steady_run run{probe.after_step_6 - probe.after_step_2, {}};
    for (auto const& summary : test::read_summaries(dir))
        if (summary.kind == "histogram")
            run.histogram_steps.insert(summary.step);
    std::filesystem::remove_all(dir);
    return run;
}
}  // namespace

TEST_CASE("the estimator's CNN training loop allocates nothing after step 1 outside oneDNN", "[train][allocation]") {
    auto in_four_steps = steady_allocations({.seed = 3}, "allocations").in_four_steps;
    INFO("allocations in steps 3 to 6: " << in_four_steps.total << ", " << in_four_steps.onednn
                                         << " of them inside oneDNN");
    CHECK(in_four_steps.outside_onednn() == 0);
    CHECK(in_four_steps.onednn < 4 * 100);  // a few per primitive execution, the same each step
}

TEST_CASE("the MLP's training loop allocates nothing at all after step 1 on est's matrix product",
          "[train][allocation]") {
    if (!est::detail::own_matrix_product_runs()) {
        // oneDNN's sgemm (a CPU without AVX2, or EST_OWN_GEMM=0) allocates its packing buffers on
        // most calls.
        SUCCEED("the host's gemm runs oneDNN's sgemm here");
        return;
    }
    auto in_four_steps = steady_allocations<fashion_mnist::mlp>({.seed = 3}, "mlp_allocations").in_four_steps;
    INFO("allocations in steps 3 to 6: " << in_four_steps.total << ", " << in_four_steps.onednn
                                         << " of them inside oneDNN");
    CHECK(in_four_steps.total == 0);
}

TEST_CASE("the CNN's training loop allocates nothing at all after step 1 on est's own kernels", "[train][allocation]") {
    // Its convolutions on est's direct and Winograd kernels (AVX2 or AVX-512), its dense layers on
    // est's matrix product.
    using conv1 = est::window_geometry<28, 28, 1, 32, 5, 1, 2, 2, 28, 28>;
    if (!est::detail::own_matrix_product_runs() || !est::onednn::winograd_convolution::runs_on_this_cpu() ||
        !est::onednn::direct_convolution<conv1, est::post_op::relu>::runs_on_this_cpu()) {
        SUCCEED("oneDNN's sgemm or convolutions run here");
        return;
    }
    auto in_four_steps = steady_allocations({.seed = 3}, "cnn_allocations").in_four_steps;
    INFO("allocations in steps 3 to 6: " << in_four_steps.total << ", " << in_four_steps.onednn
                                         << " of them inside oneDNN");
    CHECK(in_four_steps.total == 0);
}

TEST_CASE("summary steps after the first allocate nothing outside oneDNN", "[train][allocation]") {
    // Summaries every step (TensorBoard's loss, learning rate, input images and the histograms of
    // every parameter and activation): steps 3 to 6 write the third to sixth.
    auto run = steady_allocations({.seed = 3, .save_summary_steps = 1}, "summary_allocations");
    CHECK(run.histogram_steps == std::set<std::int64_t>{1, 2, 3, 4, 5, 6, 7});
    auto in_four_steps = run.in_four_steps;
    INFO("allocations in steps 3 to 6: " << in_four_steps.total << ", " << in_four_steps.onednn
                                         << " of them inside oneDNN");
    CHECK(in_four_steps.outside_onednn() == 0);
}

TEST_CASE("the first summary step after step 1 allocates nothing outside oneDNN", "[train][allocation]") {
    // Summaries at step 1, the first of the train() call, which sizes their buffers, and every 4
    // steps: step 4, the first of those, is among steps 3 to 6.
    auto run = steady_allocations({.seed = 3, .save_summary_steps = 4}, "first_summary_allocations");
    CHECK(run.histogram_steps == std::set<std::int64_t>{1, 4});
    auto in_four_steps = run.in_four_steps;
    INFO("allocations in steps 3 to 6: " << in_four_steps.total << ", " << in_four_steps.onednn
                                         << " of them inside oneDNN");
    CHECK(in_four_steps.outside_onednn() == 0);
}

TEST_CASE("inference passes after the first allocate nothing outside oneDNN, in slices or whole",
          "[train][allocation][slices]") {
    test::heap_allocations();  // starts attributing allocations to oneDNN
    for (int threads : {1, 2}) {
        test::omp_threads scoped(threads);
        fashion_mnist::cnn net;
        net.initialize(1);
        est::batch_tensor<float, est::shape<28, 28, 1>> x(256);  // two slices on two threads
        for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 13) / 13.0f;
        net(x, est::predict);
        auto before = test::heap_allocations();
        for (int pass = 0; pass < 3; ++pass) net(x, est::predict);
        auto in_three_passes = test::heap_allocations() - before;
        INFO(threads << " threads: allocations in passes 2 to 4: " << in_three_passes.total << ", "
                     << in_three_passes.onednn << " of them inside oneDNN");
        CHECK(in_three_passes.outside_onednn() == 0);
    }
}
#endif
