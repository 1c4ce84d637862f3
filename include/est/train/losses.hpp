// Losses over a model's output. Each returns the mean loss of the batch and writes d(loss)/d(output)
// into the model, where the train_op's backward pass starts. Labels are checked: a class index out
// of range is an error naming the example.
#pragma once

#include <est/core/error.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/sequential.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>

namespace est {

/// A batch's mean loss, tied to the model whose output gradient it wrote.
template <class Net>
struct loss_value {
    float value = 0.0f;
    Net* net = nullptr;
    std::size_t batch = 0;
};

namespace detail {
template <class Labels>
void check_label_count(Labels const& labels, std::size_t batch, char const* loss) {
    if (labels.batch != batch)
        throw error(std::string(loss) + ": " + std::to_string(labels.batch) + " labels for a batch of " +
                    std::to_string(batch) + " outputs");
}
}  // namespace detail

/// Cross-entropy of integer class labels (shape<> or shape<1>) against logits.
template <Batch Labels, class Net>
loss_value<Net> sparse_softmax_cross_entropy(Labels const& labels, model_output<Net> const& logits) {
    auto y = as_view(labels);
    using label_shape = typename decltype(y)::shape_type;
    static_assert(label_shape::size == 1, "est::sparse_softmax_cross_entropy: labels hold one class index per example");
    static_assert(std::is_integral_v<std::remove_const_t<typename decltype(y)::value_type>>,
                  "est::sparse_softmax_cross_entropy: labels must be integer class indices");
    constexpr std::size_t classes = Net::output_shape_type::size;
    std::size_t batch = logits.value.batch;
    detail::check_label_count(y, batch, "sparse_softmax_cross_entropy");
    auto gradient = logits.net->output_gradient(batch);
    double total = 0.0;
    for (std::size_t b = 0; b < batch; ++b) {
        auto label = y.data[b];
        if (label < 0 || std::size_t(label) >= classes)
            throw error("sparse_softmax_cross_entropy: label " + std::to_string(label) + " of example " +
                        std::to_string(b) + " is outside [0, " + std::to_string(classes) + ")");
        float const* z = logits.value.data + b * classes;
        float* g = gradient.data + b * classes;
        float peak = *std::max_element(z, z + classes);
        double sum = 0.0;
        for (std::size_t c = 0; c < classes; ++c) sum += std::exp(double(z[c] - peak));
        double log_sum = std::log(sum) + peak;
        total += log_sum - z[label];
        for (std::size_t c = 0; c < classes; ++c)
            g[c] = float((std::exp(double(z[c]) - log_sum) - (c == std::size_t(label) ? 1.0 : 0.0)) / double(batch));
    }
    return {float(total / double(batch)), logits.net, batch};
}

/// Cross-entropy of one-hot (or soft) labels against logits over the last dimension.
template <Batch Labels, class Net>
loss_value<Net> softmax_cross_entropy(Labels const& labels, model_output<Net> const& logits) {
    auto y = as_view(labels);
    using out_shape = typename Net::output_shape_type;
    static_assert(std::is_same_v<typename decltype(y)::shape_type, out_shape>,
                  "est::softmax_cross_entropy: labels must have the model's output shape (one-hot)");
    constexpr std::size_t classes = out_shape::extents[out_shape::rank - 1];
    std::size_t batch = logits.value.batch;
    detail::check_label_count(y, batch, "softmax_cross_entropy");
    auto gradient = logits.net->output_gradient(batch);
    std::size_t rows = logits.value.size() / classes;
    double total = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
        float const* z = logits.value.data + r * classes;
        auto const* t = y.data + r * classes;
        float* g = gradient.data + r * classes;
        float peak = *std::max_element(z, z + classes);
        double sum = 0.0, label_sum = 0.0;
        for (std::size_t c = 0; c < classes; ++c) sum += std::exp(double(z[c] - peak)), label_sum += t[c];
        double log_sum = std::log(sum) + peak;
        for (std::size_t c = 0; c < classes; ++c) {
            total += double(t[c]) * (log_sum - z[c]);
            g[c] = float((label_sum * std::exp(double(z[c]) - log_sum) - t[c]) / double(batch));
        }
    }
    return {float(total / double(batch)), logits.net, batch};
}

/// Mean over all values of (prediction - label)^2.
template <Batch Labels, class Net>
loss_value<Net> mean_squared_error(Labels const& labels, model_output<Net> const& predictions) {
    auto y = as_view(labels);
    static_assert(std::is_same_v<typename decltype(y)::shape_type, typename Net::output_shape_type>,
                  "est::mean_squared_error: labels must have the model's output shape");
    std::size_t batch = predictions.value.batch;
    detail::check_label_count(y, batch, "mean_squared_error");
    auto gradient = predictions.net->output_gradient(batch);
    std::size_t n = predictions.value.size();
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        double diff = double(predictions.value.data[i]) - double(y.data[i]);
        total += diff * diff;
        gradient.data[i] = float(2.0 * diff / double(n));
    }
    return {float(total / double(n)), predictions.net, batch};
}

}  // namespace est
