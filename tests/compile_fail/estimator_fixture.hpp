// A small estimator setup shared by the compile-fail tests of model_fns, inputs and hooks.
#pragma once

#include <est/est.hpp>

#include <xtensor/xarray.hpp>

namespace fixture {
using namespace est::literals;

using model = est::sequential<est::input<4, 4, 1>, est::flatten, est::dense<3>>;

/// Features "image" of shape ImageShape, labels "label".
template <class ImageShape>
using input = est::element_spec<est::features<est::tensor_spec<"image", float, ImageShape>>,
                                est::labels<est::tensor_spec<"label", std::int32_t>>>;

/// A dataset of such batches.
template <class ImageShape>
auto dataset() {
    xt::xarray<float> images = xt::zeros<float>({std::size_t(2), ImageShape::size});
    xt::xarray<std::int32_t> labels = xt::zeros<std::int32_t>({std::size_t(2)});
    return est::data::from_tensor_slices(est::fields("image"_f = est::data::slices<ImageShape>(images)),
                                         est::fields("label"_f = est::data::slices<est::shape<>>(labels)))
        .batch(2);
}

/// The spec values of a classifier model_fn; a test derives from it and replaces the one it gets
/// wrong (a static member of the same name hides the default).
struct classifier_parts {
    static auto predictions(auto const& logits) { return est::fields("classes"_f = est::argmax(logits)); }
    static auto train_loss(auto const& loss) { return loss; }
    static auto train_op(auto const& loss) { return est::sgd(0.1f).minimize(loss); }
    static auto metrics(auto const& labels, auto const& logits, auto const&) {
        return est::fields("accuracy"_f = est::metrics::accuracy(labels["label"_f], logits));
    }
};

/// A classifier model_fn reading "image", its spec values from `Parts`.
template <class Parts>
inline constexpr auto classifier_with = [](auto const& features, auto const& labels, auto mode, auto& net,
                                           est::no_params const&) {
    auto logits = net(features["image"_f], mode);
    if constexpr (mode == est::predict) {
        return est::spec(mode, est::predictions = Parts::predictions(logits));
    } else {
        auto loss = est::sparse_softmax_cross_entropy(labels["label"_f], logits);
        if constexpr (mode == est::train)
            return est::spec(mode, est::loss = Parts::train_loss(loss), est::train_op = Parts::train_op(loss));
        else
            return est::spec(mode, est::loss = loss, est::eval_metric_ops = Parts::metrics(labels, logits, loss));
    }
};

/// With "classes" predictions and an "accuracy" metric.
inline constexpr auto classifier = classifier_with<classifier_parts>;

/// A classifier head over the feature `feature`.
template <class Feature>
auto model_fn_reading(Feature feature) {
    return [feature](auto const& features, auto const& labels, auto mode, auto& net, est::no_params const&) {
        return est::heads::classifier(mode, net(features[feature], mode), labels, est::sgd(0.1f));
    };
}
}  // namespace fixture
