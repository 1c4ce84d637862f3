// The estimator's training loop allocates no heap memory after its first step, outside oneDNN's
// primitive executions: every workspace, arena and optimizer slot is sized on step 1, and the
// input pipeline recycles its batches. Counted over the whole malloc family by the interposer of
// tests/support/heap_allocations.cpp (est_tests only; the sanitized build keeps ASan's allocator).
#if defined(EST_COUNTING_ALLOCATOR)
#include "../../../examples/fashion_mnist_model.hpp"
#include "support/heap_allocations.hpp"
#include "support/scratch_directory.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

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
}  // namespace

TEST_CASE("the estimator's CNN training loop allocates nothing after step 1 outside oneDNN", "[train][allocation]") {
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

    auto dir = test::scratch_directory("allocations");
    auto estimator = est::make_estimator<fashion_mnist::cnn, fashion_mnist::input>(
        fashion_mnist::model_fn, est::run_config{.model_dir = dir.string(), .seed = 3}, fashion_mnist::params{},
        allocation_probe{});
    estimator.train(input, {.steps = 7});
    auto const& probe = estimator.hook<allocation_probe>();
    auto in_four_steps = probe.after_step_6 - probe.after_step_2;  // read before INFO, which allocates
    INFO("allocations in steps 3 to 6: " << in_four_steps.total << ", " << in_four_steps.onednn
                                         << " of them inside oneDNN");
    CHECK(in_four_steps.outside_onednn() == 0);
    CHECK(in_four_steps.onednn < 4 * 100);  // a few per primitive execution, the same each step
    std::filesystem::remove_all(dir);
}
#endif
