// The Fashion-MNIST models and model_fn shared by the example and the benchmarks.
#pragma once

#include <est/est.hpp>

#include <nlohmann/json.hpp>  // the params convert to JSON, so that run.json records them

namespace fashion_mnist {

using namespace est::literals;

/// 784-256-128-10 with ReLU.
using mlp = est::sequential<est::input<28, 28, 1>, est::flatten, est::dense<256, est::relu>, est::dense<128, est::relu>,
                            est::dense<10>>;

/// The convolutional network of tf.estimator's MNIST tutorial.
using cnn = est::sequential<est::input<28, 28, 1>, est::conv2d<32, 5, est::same, est::relu>, est::max_pool2d<2>,
                            est::conv2d<64, 5, est::same, est::relu>, est::max_pool2d<2>, est::flatten,
                            est::dense<1024, est::relu>, est::dropout<0.4f>, est::dense<10>>;

static_assert(cnn::output_shape == est::shape<10>{});
static_assert(cnn::parameter_count == 3'274'634);
static_assert(mlp::parameter_count == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);

struct params {
    float learning_rate = 0.001f;
    std::uint64_t decay_steps = 1000;  ///< the rate falls linearly to 5% of itself over these steps
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(params, learning_rate, decay_steps)  // recorded in model_dir/run.json

/// One model_fn for every mode: a classifier head builds the TRAIN, EVAL and PREDICT specs, with Adam
/// on a decaying rate and top-2 accuracy beside the head's accuracy.
inline constexpr auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, params const& p) {
    auto logits = net(features["image"_f], mode);
    auto rate = est::polynomial_decay{
        .initial_rate = p.learning_rate, .decay_steps = p.decay_steps, .end_rate = p.learning_rate / 20.0f};
    return est::heads::classifier(mode, logits, labels, est::adam(rate),
                                  est::heads::more_metrics([](auto const& label, auto const& scores) {
                                      return est::fields("top_2_accuracy"_f = est::metrics::top_k_accuracy(label, scores, 2));
                                  }));
};

/// Standardised images with their labels, as slices for from_tensor_slices.
/// Pixels standardised with the training set's mean and deviation (0.2860, 0.3530 on [0, 1]).
template <class E>
xt::xarray<float> standardized(E const& pixels) {
    return (xt::cast<float>(pixels) / 255.0f - 0.2860f) / 0.3530f;
}

inline auto slices_of(est::data::idx_split const& split) {
    xt::xarray<float> images = standardized(split.images);
    xt::xarray<std::int32_t> labels = xt::cast<std::int32_t>(split.labels);
    return std::pair{est::fields("image"_f = est::data::slices<est::shape<28, 28, 1>>(images)),
                     est::fields("label"_f = est::data::slices<est::shape<>>(labels))};
}

/// A tf.train.Example of the TFRecord shards (est::data::image_example_schema) as a training
/// example: the PNG decoded, scaled to [0, 1] and standardized as above.
inline auto parse_image_example(std::string const& record) {
    auto parsed = est::data::image_example_schema::parse(record);
    auto image = est::data::to_float(est::data::decode_png(parsed, "image/encoded"_f, 1));
    for (float& v : image.pixels) v = (v - 0.2860f) / 0.3530f;
    return est::data::example{est::fields("image"_f = est::data::to_example<est::shape<28, 28, 1>>(image)),
                              est::fields("label"_f = std::int32_t(parsed["image/class/label"_f]))};
}

/// The batches every input_fn of these models produces.
using input = est::element_spec<est::features<est::tensor_spec<"image", float, est::shape<28, 28, 1>>>,
                                est::labels<est::tensor_spec<"label", std::int32_t>>>;

}  // namespace fashion_mnist
