// Losses over a model's output, on the model's back end. Each returns the mean loss of the batch and
// writes d(loss)/d(output) into the model, where the train_op's backward pass starts; per-example
// terms are summed in an order fixed by the batch size, and only the mean crosses to the host.
// Labels are checked: a class index out of range is an error naming the example.
#pragma once

#include <est/core/error.hpp>
#include <est/core/host_device.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/sequential.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
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

template <class T>
inline constexpr bool is_loss_value_v = false;
template <class Net>
inline constexpr bool is_loss_value_v<loss_value<Net>> = true;

namespace detail {
template <class Labels>
void check_label_count(Labels const& labels, std::size_t batch, char const* loss) {
    if (labels.batch != batch)
        throw error(std::string(loss) + ": " + std::to_string(labels.batch) + " labels for a batch of " +
                    std::to_string(batch) + " outputs");
}

/// The labels of a loss in the model's memory space (a compile error naming both spaces otherwise).
template <class Net, class Labels>
auto labels_on_model(Labels const& labels) {
    auto y = as_view(labels);
    using given = typename decltype(y)::memory_space;
    if constexpr (!std::is_same_v<given, typename Net::memory_space>)
        static_assert(memory_space_mismatch<typename Net::memory_space, given>::reported);
    return y;
}

/// Reads one value of back end B's memory on the host.
template <class B, class T>
T value_at(T const* data, std::size_t i) {
    T value;
    B::copy_to_host(&value, data + i, sizeof(T));
    return value;
}

template <class Label>
struct label_out_of_range {
    Label const* labels;
    std::size_t classes;
    EST_HOST_DEVICE bool operator()(std::size_t b) const { return labels[b] < 0 || std::size_t(labels[b]) >= classes; }
};

/// log(sum_c exp(z_c)) of a row of `classes` logits, shifted by the largest for stability.
EST_HOST_DEVICE inline double log_sum_exp(float const* z, std::size_t classes) {
    float peak = z[0];
    for (std::size_t c = 1; c < classes; ++c) peak = z[c] > peak ? z[c] : peak;
    double sum = 0.0;
    for (std::size_t c = 0; c < classes; ++c) sum += std::exp(double(z[c] - peak));
    return std::log(sum) + peak;
}

/// Row b: -log softmax(z)[label] into terms[b], and its gradient (softmax - one_hot) / batch.
template <class Label>
struct sparse_softmax_cross_entropy_rows {
    float const* logits;
    Label const* labels;
    float* gradient;
    float* terms;
    std::size_t classes, batch;
    EST_HOST_DEVICE void operator()(std::size_t b) const {
        float const* z = logits + b * classes;
        float* g = gradient + b * classes;
        std::size_t label = std::size_t(labels[b]);
        double log_sum = log_sum_exp(z, classes);
        terms[b] = float(log_sum - z[label]);
        for (std::size_t c = 0; c < classes; ++c)
            g[c] = float((std::exp(double(z[c]) - log_sum) - (c == label ? 1.0 : 0.0)) / double(batch));
    }
};

/// Row r of one-hot (or soft) labels t: sum_c t_c (log_sum - z_c) into terms[r], gradient
/// (sum(t) softmax - t) / batch.
template <class Label>
struct softmax_cross_entropy_rows {
    float const* logits;
    Label const* labels;
    float* gradient;
    float* terms;
    std::size_t classes, batch;
    EST_HOST_DEVICE void operator()(std::size_t r) const {
        float const* z = logits + r * classes;
        Label const* t = labels + r * classes;
        float* g = gradient + r * classes;
        double log_sum = log_sum_exp(z, classes), label_sum = 0.0;
        for (std::size_t c = 0; c < classes; ++c) label_sum += double(t[c]);
        double total = 0.0;
        for (std::size_t c = 0; c < classes; ++c) {
            total += double(t[c]) * (log_sum - z[c]);
            g[c] = float((label_sum * std::exp(double(z[c]) - log_sum) - double(t[c])) / double(batch));
        }
        terms[r] = float(total);
    }
};

/// Value i: (p - y)^2 into terms[i], gradient 2 (p - y) / n.
template <class Label>
struct squared_error_values {
    float const* predictions;
    Label const* labels;
    float* gradient;
    float* terms;
    std::size_t n;
    EST_HOST_DEVICE void operator()(std::size_t i) const {
        double diff = double(predictions[i]) - double(labels[i]);
        terms[i] = float(diff * diff);
        gradient[i] = float(2.0 * diff / double(n));
    }
};

/// Reads terms[i].
struct term_at {
    float const* terms;
    EST_HOST_DEVICE double operator()(std::size_t i) const { return double(terms[i]); }
};
}  // namespace detail

/// A loss of a value whose mistake was reported where it was made: nothing more to say.
template <class Labels, class Output>
requires(Invalid<Labels> || Invalid<Output>) invalid_value sparse_softmax_cross_entropy(Labels const&, Output const&) {
    return {};
}
template <class Labels, class Output>
requires(Invalid<Labels> || Invalid<Output>) invalid_value softmax_cross_entropy(Labels const&, Output const&) {
    return {};
}
template <class Labels, class Output>
requires(Invalid<Labels> || Invalid<Output>) invalid_value mean_squared_error(Labels const&, Output const&) {
    return {};
}

/// Cross-entropy of integer class labels (shape<> or shape<1>) against logits.
template <Batch Labels, class Net>
loss_value<Net> sparse_softmax_cross_entropy(Labels const& labels, model_output<Net> const& logits) {
    using B = typename Net::backend_type;
    auto y = detail::labels_on_model<Net>(labels);
    using label_shape = typename decltype(y)::shape_type;
    using label_type = std::remove_const_t<typename decltype(y)::value_type>;
    static_assert(label_shape::size == 1, "est::sparse_softmax_cross_entropy: labels hold one class index per example");
    static_assert(std::is_integral_v<label_type>,
                  "est::sparse_softmax_cross_entropy: labels must be integer class indices");
    constexpr std::size_t classes = Net::output_shape_type::size;
    std::size_t batch = logits.value.batch;
    detail::check_label_count(y, batch, "sparse_softmax_cross_entropy");
    std::size_t bad = B::find_first(batch, detail::label_out_of_range<label_type>{y.data, classes});
    if (bad < batch)
        throw error("sparse_softmax_cross_entropy: label " + std::to_string(detail::value_at<B>(y.data, bad)) +
                    " of example " + std::to_string(bad) + " is outside [0, " + std::to_string(classes) + ")");
    auto gradient = logits.net->output_gradient(batch);
    float* terms = logits.net->scratch(batch);
    B::for_each(batch,
                detail::sparse_softmax_cross_entropy_rows<label_type>{logits.value.data, y.data, gradient.data, terms,
                                                                      classes, batch},
                64);
    return {float(B::sum(batch, detail::term_at{terms}) / double(batch)), logits.net, batch};
}

/// Cross-entropy of one-hot (or soft) labels against logits over the last dimension.
template <Batch Labels, class Net>
loss_value<Net> softmax_cross_entropy(Labels const& labels, model_output<Net> const& logits) {
    using B = typename Net::backend_type;
    auto y = detail::labels_on_model<Net>(labels);
    using out_shape = typename Net::output_shape_type;
    static_assert(std::is_same_v<typename decltype(y)::shape_type, out_shape>,
                  "est::softmax_cross_entropy: labels must have the model's output shape (one-hot)");
    constexpr std::size_t classes = out_shape::extents[out_shape::rank - 1];
    std::size_t batch = logits.value.batch;
    detail::check_label_count(y, batch, "softmax_cross_entropy");
    auto gradient = logits.net->output_gradient(batch);
    std::size_t rows = logits.value.size() / classes;
    float* terms = logits.net->scratch(rows);
    B::for_each(rows,
                detail::softmax_cross_entropy_rows<std::remove_const_t<typename decltype(y)::value_type>>{
                    logits.value.data, y.data, gradient.data, terms, classes, batch},
                64);
    return {float(B::sum(rows, detail::term_at{terms}) / double(batch)), logits.net, batch};
}

/// Mean over all values of (prediction - label)^2.
template <Batch Labels, class Net>
loss_value<Net> mean_squared_error(Labels const& labels, model_output<Net> const& predictions) {
    using B = typename Net::backend_type;
    auto y = detail::labels_on_model<Net>(labels);
    static_assert(std::is_same_v<typename decltype(y)::shape_type, typename Net::output_shape_type>,
                  "est::mean_squared_error: labels must have the model's output shape");
    std::size_t batch = predictions.value.batch;
    detail::check_label_count(y, batch, "mean_squared_error");
    auto gradient = predictions.net->output_gradient(batch);
    std::size_t n = predictions.value.size();
    float* terms = predictions.net->scratch(n);
    B::for_each(n, detail::squared_error_values<std::remove_const_t<typename decltype(y)::value_type>>{
                       predictions.value.data, y.data, gradient.data, terms, n});
    return {float(B::sum(n, detail::term_at{terms}) / double(n)), predictions.net, batch};
}

}  // namespace est
