// Streaming metrics. A metric op computes a batch's partial aggregate; partials add up (`+=`)
// over the evaluation, and `result()` is the metric over the whole set, as tf.metrics' update_op
// and value.
#pragma once

#include <est/core/tensor.hpp>
#include <est/nn/sequential.hpp>
#include <est/train/losses.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

namespace est {

/// Metric: partial aggregates that add up and yield a value.
///   m += other;           merge another batch's partial
///   double m.result();    the metric over everything merged
template <class M>
concept Metric = requires(M& m, M const& other) {
    m += other;
    { m.result() } -> std::convertible_to<double>;
};

namespace metrics {

template <class T>
inline constexpr bool is_loss_value_v = false;
template <class Net>
inline constexpr bool is_loss_value_v<loss_value<Net>> = true;

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

/// Fraction of examples whose class (label) equals the prediction: `predictions` are class indices
/// or scores (logits, probabilities) whose argmax is the predicted class.
template <class Labels, class Predictions>
ratio accuracy(Labels const& labels, Predictions const& predictions) {
    auto y = as_view(labels);
    auto p = values_of(predictions);
    using P = typename decltype(p)::shape_type;
    ratio r;
    for (std::size_t b = 0; b < y.batch; ++b) {
        double predicted;
        if constexpr (std::is_floating_point_v<std::remove_const_t<typename decltype(p)::value_type>> && P::size > 1) {
            auto const* row = p.data + b * P::size;
            predicted = double(std::max_element(row, row + P::size) - row);
        } else {
            predicted = double(p.data[b]);
        }
        r.hits += double(y.data[b]) == predicted ? 1.0 : 0.0;
    }
    r.count = double(y.batch);
    return r;
}

/// Fraction of examples whose label is among the k highest scores (tf.math.in_top_k, recall@k).
template <class Labels, class Scores>
ratio top_k_accuracy(Labels const& labels, Scores const& scores, std::size_t k) {
    auto y = as_view(labels);
    auto s = values_of(scores);
    using S = typename decltype(s)::shape_type;
    ratio r;
    for (std::size_t b = 0; b < y.batch; ++b) {
        auto const* row = s.data + b * S::size;
        auto label = std::size_t(y.data[b]);
        if (label >= S::size)
            continue;
        std::size_t higher = 0;
        for (std::size_t c = 0; c < S::size; ++c) higher += row[c] > row[label] ? 1 : 0;
        r.hits += higher < k ? 1.0 : 0.0;
    }
    r.count = double(y.batch);
    return r;
}

/// Mean of a loss over batches (weighted by batch size) or of every value of a batch.
template <class Values>
mean_state mean(Values const& values) {
    if constexpr (is_loss_value_v<Values>) {
        return {double(values.value) * double(values.batch), double(values.batch)};
    } else {
        auto v = values_of(values);
        mean_state m;
        for (std::size_t i = 0; i < v.size(); ++i) m.sum += double(v.data[i]);
        m.count = double(v.size());
        return m;
    }
}

/// Root of the mean squared difference between labels and predictions, over all values.
template <class Labels, class Predictions>
rmse_state root_mean_squared_error(Labels const& labels, Predictions const& predictions) {
    auto y = as_view(labels);
    auto p = values_of(predictions);
    rmse_state r;
    for (std::size_t i = 0; i < p.size(); ++i) {
        double d = double(p.data[i]) - double(y.data[i]);
        r.squares += d * d;
    }
    r.count = double(p.size());
    return r;
}

}  // namespace metrics
}  // namespace est
