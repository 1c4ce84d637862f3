// The training run that the crash test kills: a seeded, shuffled, repeated input, dropout and
// Adam, so that resuming it exactly needs the parameters, the optimizer state, the global step and
// the input position of the checkpoint.
#pragma once

#include <est/est.hpp>

#include <xtensor/xbuilder.hpp>

#include <string>

namespace crash {

using namespace est::literals;

using model = est::sequential<est::input<32>, est::dense<256, est::relu>, est::dropout<0.25f>,
                              est::dense<256, est::relu>, est::dense<10>>;

inline auto dataset() {
    xt::xarray<float> x = xt::zeros<float>({1000, 32});
    xt::xarray<std::int32_t> y = xt::zeros<std::int32_t>({1000});
    est::random_engine engine(11);
    for (auto& v : x) v = engine.uniform(-1.0f, 1.0f);
    for (std::size_t i = 0; i < 1000; ++i) y(i) = std::int32_t(std::size_t(x(i, 0) * 5.0f + 5.0f) % 10);
    return est::data::from_tensor_slices(est::fields("x"_f = est::data::slices<est::shape<32>>(x)),
                                         est::fields("label"_f = est::data::slices<est::shape<>>(y)));
}
using input_spec = est::element_spec<est::features<est::tensor_spec<"x", float, est::shape<32>>>,
                                est::labels<est::tensor_spec<"label", std::int32_t>>>;

inline auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
    return est::heads::classifier(mode, net(features["x"_f], mode), labels, est::adam(0.001f));
};

inline constexpr std::uint64_t total_steps = 1500;

inline est::run_config config(std::string const& model_dir, std::uint64_t keep) {
    return {.model_dir = model_dir,
            .seed = 21,
            .save_summary_steps = 50,
            .save_checkpoints_steps = 7,
            .keep_checkpoint_max = keep};
}

/// The estimator on `model_dir`, restored from its latest checkpoint if it has one.
inline auto estimator(std::string const& model_dir, std::uint64_t keep) {
    return est::make_estimator<model, input_spec>(model_fn, config(model_dir, keep));
}

/// Trains (or resumes) to total_steps.
inline void train(std::string const& model_dir, std::uint64_t keep) {
    auto data = dataset();
    auto e = estimator(model_dir, keep);
    e.train([&] { return data.shuffle(1000, 5).repeat().batch(32); }, {.max_steps = total_steps});
}

}  // namespace crash
