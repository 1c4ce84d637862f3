// A representative user translation unit: one model, its model_fn (a canned head), the estimator,
// train_and_evaluate and one input pipeline, as README shows them.
#include <est/est.hpp>

#include <xtensor/xarray.hpp>

using namespace est::literals;

using cnn = est::sequential<est::input<28, 28, 1>, est::conv2d<32, 5, est::same, est::relu>, est::max_pool2d<2>,
                            est::conv2d<64, 5, est::same, est::relu>, est::max_pool2d<2>, est::flatten,
                            est::dense<1024, est::relu>, est::dropout<0.4f>, est::dense<10>>;

using input = est::element_spec<est::features<est::tensor_spec<"image", float, est::shape<28, 28, 1>>>,
                                est::labels<est::tensor_spec<"label", std::int32_t>>>;

struct params {
    float learning_rate = 0.001f;
};

int main() {
    auto model_fn = [](auto const& features, auto const& labels, auto mode, auto& net, params const& p) {
        return est::heads::classifier(mode, net(features["image"_f], mode), labels, est::adam(p.learning_rate));
    };
    auto split = est::data::read_idx_split("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
    xt::xarray<float> images = xt::cast<float>(split.images) / 255.0f;
    xt::xarray<std::int32_t> labels = xt::cast<std::int32_t>(split.labels);
    auto input_fn = [&] {
        return est::data::from_tensor_slices(est::fields("image"_f = est::data::slices<est::shape<28, 28, 1>>(images)),
                                             est::fields("label"_f = est::data::slices<est::shape<>>(labels)))
            .shuffle(60000, 42)
            .batch(64);
    };
    auto estimator = est::make_estimator<cnn, input>(model_fn, est::run_config{.model_dir = "runs/cnn"}, params{});
    auto result = est::train_and_evaluate(estimator, est::train_spec{.input_fn = input_fn, .max_steps = 1000},
                                          est::eval_spec{.input_fn = input_fn, .every_steps = 500});
    return result["accuracy"_f] > 0.5 ? 0 : 1;
}
