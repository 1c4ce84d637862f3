// Two runs with the same seed give bit-identical weights: initialisation, shuffling, dropout and
// batch statistics all follow the seed; a different seed gives different weights. And the number of
// threads (OpenMP's, shared by est's kernels and oneDNN, and the input pipeline's) changes nothing.
#include "support/classifier.hpp"
#include "support/omp_threads.hpp"
#include "support/scratch_directory.hpp"
#include "support/weights.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <xtensor/xbuilder.hpp>

#include <cstring>
#include <vector>

using namespace est::literals;

namespace {
using model =
    est::sequential<est::input<8, 8, 1>, est::conv2d<4, 3, est::same, est::relu>, est::batch_norm<>, est::max_pool2d<2>,
                    est::flatten, est::dense<16, est::relu>, est::dropout<0.3f>, est::dense<3>>;

auto dataset() {
    xt::xarray<float> x = xt::zeros<float>({96, 8, 8});
    xt::xarray<std::int32_t> y = xt::zeros<std::int32_t>({96});
    est::random_engine engine(17);
    for (auto& v : x) v = engine.uniform(-1.0f, 1.0f);
    for (auto& v : y) v = std::int32_t(engine.below(3));
    return est::data::from_tensor_slices(est::fields("image"_f = est::data::slices<est::shape<8, 8, 1>>(x)),
                                         est::fields("label"_f = est::data::slices<est::shape<>>(y)));
}
using input_spec = est::element_spec<est::features<est::tensor_spec<"image", float, est::shape<8, 8, 1>>>,
                                est::labels<est::tensor_spec<"label", std::int32_t>>>;

auto model_fn =
    test::classifier_model_fn<"image">([] { return est::sgd(0.05f, {.momentum = 0.9f, .weight_decay = 1e-4f}); });

std::vector<float> train_and_collect(std::uint64_t seed) {
    auto estimator = est::make_estimator<model, input_spec>(
        model_fn, est::run_config{.model_dir = test::fresh_model_dir("determinism"), .seed = seed});
    auto data = dataset();
    estimator.train([&] { return data.shuffle(50, seed).repeat(3).batch(16); });
    REQUIRE(estimator.global_step() == 18);
    return test::weights_of(estimator);
}

/// Trains with `threads` OpenMP threads and `pipeline_threads` in a parallel map (and a prefetch thread).
std::vector<float> train_with_threads(int threads, int pipeline_threads) {
    test::omp_threads scoped(threads);
    auto estimator = est::make_estimator<model, input_spec>(
        model_fn, est::run_config{.model_dir = test::fresh_model_dir("determinism-threads"), .seed = 5});
    auto data = dataset();
    estimator.train([&] {
        return data.shuffle(50, 5)
            .repeat(3)
            .map([](auto element) { return element; }, est::parallel_calls{std::size_t(pipeline_threads)})
            .batch(16)
            .prefetch(2);
    });
    REQUIRE(estimator.global_step() == 18);
    return test::weights_of(estimator);
}
}  // namespace

TEST_CASE("training is bit-identical for the same seed", "[integration][determinism]") {
    auto a = train_and_collect(42);
    auto b = train_and_collect(42);
    REQUIRE(a.size() == model::parameter_count);
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    auto c = train_and_collect(43);
    CHECK(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)) != 0);
}

TEST_CASE("the input pipeline's thread count changes no weight", "[integration][determinism]") {
    auto one = train_with_threads(1, 1);
    auto two = train_with_threads(1, 2);
    REQUIRE(one.size() == model::parameter_count);
    CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
}

// oneDNN's sgemm and convolutions choose their kernels by the shape of the work each thread gets, and
// sum in the order of those kernels: with another number of OpenMP threads the weights differ in their
// last bits (docs/design.md, "Determinism"). This bounds the difference.
TEST_CASE("1 and 2 OpenMP threads give the same weights up to rounding", "[integration][determinism]") {
    auto one = train_with_threads(1, 1);
    auto two = train_with_threads(2, 2);
    REQUIRE(one.size() == two.size());
    std::size_t differing = 0;
    float largest_difference = 0.0f, largest_weight = 0.0f;
    for (std::size_t i = 0; i < one.size(); ++i) {
        differing += std::memcmp(&one[i], &two[i], sizeof(float)) != 0;
        largest_difference = std::max(largest_difference, std::abs(one[i] - two[i]));
        largest_weight = std::max(largest_weight, std::abs(one[i]));
    }
    INFO(differing << " of " << one.size() << " weights differ, by up to " << largest_difference
                   << "; the largest weight is " << largest_weight);
    CHECK(largest_difference <= 1e-5f * largest_weight);
}
