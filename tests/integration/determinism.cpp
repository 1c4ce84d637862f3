// Two runs with the same seed give bit-identical weights: initialisation, shuffling, dropout and
// batch statistics all follow the seed; a different seed gives different weights.
#include "support/classifier.hpp"
#include "support/weights.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <xtensor/xbuilder.hpp>

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
using input_type = decltype(dataset().batch(1));

auto model_fn =
    test::classifier_model_fn<"image">([] { return est::sgd(0.05f, {.momentum = 0.9f, .weight_decay = 1e-4f}); });

std::vector<float> train_and_collect(std::uint64_t seed) {
    est::estimator<model, input_type> estimator(model_fn, est::run_config{.seed = seed});
    auto data = dataset();
    estimator.train([&] { return data.shuffle(50, seed).repeat(3).batch(16); });
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
