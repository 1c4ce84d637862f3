// Streaming metrics. A metric op computes a batch's partial aggregate on the back end the values
// live on (one sum crosses to the host); partials add up (`+=`) over the evaluation, and `result()` is
// the metric over the whole set, as tf.metrics' update_op and value.
#pragma once

#include <est/core/host_device.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/ops.hpp>
#include <est/nn/sequential.hpp>
#include <est/train/losses.hpp>

#include <cmath>
#include <cstddef>
#include <type_traits>

namespace est {

/// Metric: a batch's partial aggregate, which adds up with others and yields the metric.
///
/// Minimal complete definition: a copyable type with
///   M& operator+=(M const& other);   merges another batch's partial
///   double result() const;           the metric over everything merged
template <class M>
concept Metric = std::copyable<M> && requires(M& m, M const& other) {
    { m += other } -> std::same_as<M&>;
    { other.result() } -> std::convertible_to<double>;
};

namespace metrics {

/// Fraction of examples where a count of hits over a count of examples.
struct ratio {
    double hits = 0.0;
    double count = 0.0;
    ratio& operator+=(ratio const& other) {
        hits += other.hits, count += other.count;
        return *this;
    }
    double result() const { return count > 0.0 ? hits / count : 0.0; }
};

/// Sum and count; the result is the mean.
struct mean_state {
    double sum = 0.0;
    double count = 0.0;
    mean_state& operator+=(mean_state const& other) {
        sum += other.sum, count += other.count;
        return *this;
    }
    double result() const { return count > 0.0 ? sum / count : 0.0; }
};

/// Sum of squared errors and count; the result is the root of their mean.
struct rmse_state {
    double squares = 0.0;
    double count = 0.0;
    rmse_state& operator+=(rmse_state const& other) {
        squares += other.squares, count += other.count;
        return *this;
    }
    double result() const { return count > 0.0 ? std::sqrt(squares / count) : 0.0; }
};

namespace detail {
/// 1 where example b's label equals its predicted class: the argmax of `Size` scores, or the value
/// itself where there is one per example.
template <class Label, class Prediction, std::size_t Size>
struct accuracy_hit {
    Label const* labels;
    Prediction const* predictions;
    EST_HOST_DEVICE double operator()(std::size_t b) const {
        double predicted;
        if constexpr (std::is_floating_point_v<Prediction> && Size > 1) {
            predicted = double(est::detail::index_of_largest(predictions + b * Size, Size));
        } else {
            predicted = double(predictions[b]);
        }
        return double(labels[b]) == predicted ? 1.0 : 0.0;
    }
};

/// 1 where example b's label is among the k highest of its `Size` scores; 0 where a score is NaN or
/// infinite (as tf.math.in_top_k), so that a diverged model does not score every label a hit.
template <class Label, std::size_t Size>
struct top_k_hit {
    Label const* labels;
    float const* scores;
    std::size_t k;
    EST_HOST_DEVICE double operator()(std::size_t b) const {
        if (labels[b] < 0 || std::size_t(labels[b]) >= Size)
            return 0.0;
        float const* row = scores + b * Size;
        float target = row[std::size_t(labels[b])];
        std::size_t higher = 0;
        bool finite = true;
        for (std::size_t c = 0; c < Size; ++c) {
            higher += row[c] > target ? 1 : 0;
            finite = finite && row[c] - row[c] == 0.0f;  // false for NaN and for +-infinity
        }
        return finite && higher < k ? 1.0 : 0.0;
    }
};

template <class T>
struct value_of {
    T const* values;
    EST_HOST_DEVICE double operator()(std::size_t i) const { return double(values[i]); }
};

template <class Label, class Prediction>
struct squared_difference {
    Label const* labels;
    Prediction const* predictions;
    EST_HOST_DEVICE double operator()(std::size_t i) const {
        double d = double(predictions[i]) - double(labels[i]);
        return d * d;
    }
};

/// The back end the metric runs on: the one of its model output, or the host.
template <class X>
using backend_for = typename est::detail::backend_of<std::remove_cvref_t<X>>::type;

template <class B, class Labels>
auto labels_on(Labels const& labels) {
    auto y = as_view(labels);
    static_assert(std::is_same_v<typename decltype(y)::memory_space, typename B::memory_space>,
                  "est::metrics: the labels are in another memory space than the predictions");
    return y;
}
}  // namespace detail

namespace detail {
template <class Labels, class Predictions>
ratio accuracy_of(Labels const& labels, Predictions const& predictions) {
    using B = detail::backend_for<Predictions>;
    auto y = detail::labels_on<B>(labels);
    auto p = values_of(predictions);
    using label_type = std::remove_const_t<typename decltype(y)::value_type>;
    using prediction_type = std::remove_const_t<typename decltype(p)::value_type>;
    double hits = B::sum(
        y.batch, detail::accuracy_hit<label_type, prediction_type, decltype(p)::shape_type::size>{y.data, p.data});
    return {hits, double(y.batch)};
}

template <class Labels, class Scores>
ratio top_k_accuracy_of(Labels const& labels, Scores const& scores, std::size_t k) {
    using B = detail::backend_for<Scores>;
    auto y = detail::labels_on<B>(labels);
    auto s = values_of(scores);
    using label_type = std::remove_const_t<typename decltype(y)::value_type>;
    double hits = B::sum(y.batch, detail::top_k_hit<label_type, decltype(s)::shape_type::size>{y.data, s.data, k});
    return {hits, double(y.batch)};
}

template <class Values>
mean_state mean_of(Values const& values) {
    if constexpr (is_loss_v<Values>) {
        return {double(values.value()) * double(values.batch_size()), double(values.batch_size())};
    } else {
        using B = detail::backend_for<Values>;
        auto v = values_of(values);
        using value_type = std::remove_const_t<typename decltype(v)::value_type>;
        return {B::sum(v.size(), detail::value_of<value_type>{v.data}), double(v.size())};
    }
}

template <class Labels, class Predictions>
rmse_state root_mean_squared_error_of(Labels const& labels, Predictions const& predictions) {
    using B = detail::backend_for<Predictions>;
    auto y = detail::labels_on<B>(labels);
    auto p = values_of(predictions);
    using label_type = std::remove_const_t<typename decltype(y)::value_type>;
    using prediction_type = std::remove_const_t<typename decltype(p)::value_type>;
    return {B::sum(p.size(), detail::squared_difference<label_type, prediction_type>{y.data, p.data}),
            double(p.size())};
}
}  // namespace detail

/// Fraction of examples whose class (label) equals the prediction: `predictions` are class indices
/// or scores (logits, probabilities) whose argmax is the predicted class.
template <class Labels, class Predictions>
auto accuracy(Labels const& labels, Predictions const& predictions) {
    if constexpr (Invalid<Labels> || Invalid<Predictions>)
        return invalid_value{};  // reported where it was made
    else
        return detail::accuracy_of(labels, predictions);
}

/// Fraction of examples whose label is among the k highest scores (tf.math.in_top_k, recall@k).
template <class Labels, class Scores>
auto top_k_accuracy(Labels const& labels, Scores const& scores, std::size_t k) {
    if constexpr (Invalid<Labels> || Invalid<Scores>)
        return invalid_value{};
    else
        return detail::top_k_accuracy_of(labels, scores, k);
}

/// Mean of a loss over batches (weighted by batch size) or of every value of a batch.
template <class Values>
auto mean(Values const& values) {
    if constexpr (Invalid<Values>)
        return invalid_value{};
    else
        return detail::mean_of(values);
}

/// Root of the mean squared difference between labels and predictions, over all values.
template <class Labels, class Predictions>
auto root_mean_squared_error(Labels const& labels, Predictions const& predictions) {
    if constexpr (Invalid<Labels> || Invalid<Predictions>)
        return invalid_value{};
    else
        return detail::root_mean_squared_error_of(labels, predictions);
}

}  // namespace metrics
}  // namespace est
