// Losses as values: a model_loss is a weighted sum of terms over one model, each term a loss of the
// model's output (cross-entropy, squared error) or of its weights (L2). Its value is computed when
// it is made; its gradient only when a train_op back-propagates it, from the same terms and weights,
// so `0.5f * a + b` reports and trains the same function. Per-example terms are summed in an order
// fixed by the batch size, and only the mean crosses to the host. Labels are checked: a class index
// out of range is an error naming the example.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/error.hpp>
#include <est/core/host_device.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/sequential.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace est {

/// Label smoothing of a cross-entropy, as TensorFlow has it: the labels become
/// (1 - amount) * one_hot + amount / classes. Between 0 (none) and 1.
struct label_smoothing {
    float amount = 0.0f;
};

/// The mistake of adding losses of two different models: one train_op back-propagates one model.
template <class Model, class OtherModel>
struct losses_of_different_models {
    static_assert(detail::always_false<Model>,
                  "est: a loss adds only losses of the same model (one train_op trains one model); "
                  "losses_of_different_models<model, other model> names both");
    static constexpr bool reported = true;
};

/// The mistake of multiplying two losses: a loss is scaled by numbers and added to losses.
template <class Loss, class OtherLoss>
struct product_of_losses {
    static_assert(detail::always_false<Loss>,
                  "est: losses are added and scaled by numbers, never multiplied by each other; "
                  "product_of_losses<loss, other loss> names both");
    static constexpr bool reported = true;
};

/// The mistake of an L2 term of a layer position the model does not have, or of a layer without weights.
template <class Position, std::size_t Layers>
struct l2_of_a_missing_layer {
    static_assert(detail::always_false<Position>,
                  "est::l2<positions...>(model): a position is not a layer of the model (1 is the first layer "
                  "after est::input<...>); l2_of_a_missing_layer<position, number of layers> names it");
    static constexpr bool reported = true;
};
template <class Position, class Layer>
struct l2_of_a_layer_without_weights {
    static_assert(detail::always_false<Position>,
                  "est::l2<positions...>(model): a layer holds no weights to regularize; "
                  "l2_of_a_layer_without_weights<position, layer> names it");
    static constexpr bool reported = true;
};

namespace detail {
template <class Labels>
void check_label_count(Labels const& labels, std::size_t batch, char const* loss) {
    if (labels.batch != batch)
        throw error(std::string(loss) + ": " + std::to_string(labels.batch) + " labels for a batch of " +
                    std::to_string(batch) + " outputs");
}

inline void check_smoothing(label_smoothing smoothing, char const* loss) {
    if (!(smoothing.amount >= 0.0f && smoothing.amount <= 1.0f))
        throw error(std::string(loss) + ": label_smoothing " + std::to_string(smoothing.amount) +
                    " is outside [0, 1]");
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

/// Writes or (where `accumulate`) adds a gradient value.
EST_HOST_DEVICE inline void put(float& target, double value, bool accumulate) {
    target = accumulate ? float(double(target) + value) : float(value);
}

/// Row b of integer labels, with targets t = keep * one_hot(label) + spread (label smoothing): its
/// term sum_c t_c (log_sum - z_c), or its gradient scale * (softmax - t) into the output gradient.
template <class Label>
struct sparse_cross_entropy_rows {
    float const* logits;
    Label const* labels;
    std::size_t classes;
    double keep, spread;
    EST_HOST_DEVICE double term(std::size_t b) const {
        float const* z = logits + b * classes;
        std::size_t label = std::size_t(labels[b]);
        double log_sum = log_sum_exp(z, classes), spread_part = 0.0;
        if (spread != 0.0)
            for (std::size_t c = 0; c < classes; ++c) spread_part += spread * (log_sum - z[c]);
        return keep * (log_sum - z[label]) + spread_part;
    }
    EST_HOST_DEVICE void gradient(std::size_t b, float* g, double scale, bool accumulate) const {
        float const* z = logits + b * classes;
        std::size_t label = std::size_t(labels[b]);
        double log_sum = log_sum_exp(z, classes);
        for (std::size_t c = 0; c < classes; ++c) {
            double target = (c == label ? keep : 0.0) + spread;
            put(g[b * classes + c], scale * (std::exp(double(z[c]) - log_sum) - target), accumulate);
        }
    }
};

/// Row r of one-hot (or soft) labels l, with targets t = keep * l + spread: its term
/// sum_c t_c (log_sum - z_c), or its gradient scale * (sum(t) softmax - t).
template <class Label>
struct cross_entropy_rows {
    float const* logits;
    Label const* labels;
    std::size_t classes;
    double keep, spread;
    EST_HOST_DEVICE double term(std::size_t r) const {
        float const* z = logits + r * classes;
        Label const* l = labels + r * classes;
        double log_sum = log_sum_exp(z, classes), total = 0.0;
        for (std::size_t c = 0; c < classes; ++c) total += (keep * double(l[c]) + spread) * (log_sum - z[c]);
        return total;
    }
    EST_HOST_DEVICE void gradient(std::size_t r, float* g, double scale, bool accumulate) const {
        float const* z = logits + r * classes;
        Label const* l = labels + r * classes;
        double log_sum = log_sum_exp(z, classes), target_sum = 0.0;
        for (std::size_t c = 0; c < classes; ++c) target_sum += keep * double(l[c]) + spread;
        for (std::size_t c = 0; c < classes; ++c) {
            double target = keep * double(l[c]) + spread;
            put(g[r * classes + c], scale * (target_sum * std::exp(double(z[c]) - log_sum) - target), accumulate);
        }
    }
};

/// Value i: (p - y)^2, or its gradient scale * 2 (p - y).
template <class Label>
struct squared_error_values {
    float const* predictions;
    Label const* labels;
    EST_HOST_DEVICE double term(std::size_t i) const {
        double diff = double(predictions[i]) - double(labels[i]);
        return diff * diff;
    }
    EST_HOST_DEVICE void gradient(std::size_t i, float* g, double scale, bool accumulate) const {
        put(g[i], scale * 2.0 * (double(predictions[i]) - double(labels[i])), accumulate);
    }
};

/// Row i's term of a row functor, for B::sum.
template <class Rows>
struct row_term {
    Rows rows;
    EST_HOST_DEVICE double operator()(std::size_t i) const { return rows.term(i); }
};
template <class Rows>
struct row_gradient {
    Rows rows;
    float* gradient;
    double scale;
    bool accumulate;
    EST_HOST_DEVICE void operator()(std::size_t i) const { rows.gradient(i, gradient, scale, accumulate); }
};

/// A loss of the model's output: the mean over `divisor` of `count` row terms.
template <class Net, class Rows>
struct output_term {
    static constexpr bool of_output = true;
    Rows rows;
    std::size_t count = 0, divisor = 1;

    double value() const { return Net::backend_type::sum(count, row_term<Rows>{rows}) / double(divisor); }
    /// Writes (or adds) `coefficient` times this term's gradient into the output gradient.
    void add_output_gradient(float* gradient, float coefficient, bool accumulate) const {
        Net::backend_type::for_each(
            count, row_gradient<Rows>{rows, gradient, double(coefficient) / double(divisor), accumulate}, 64);
    }
};

struct squared_value {
    float const* values;
    EST_HOST_DEVICE double operator()(std::size_t i) const { return double(values[i]) * double(values[i]); }
};
struct add_scaled_values {
    float* gradient;
    float const* values;
    float scale;
    EST_HOST_DEVICE void operator()(std::size_t i) const { gradient[i] += scale * values[i]; }
};

/// sum(w^2) over the weights of the layers at `Positions`, and its gradient 2w.
template <class Net, std::size_t... Positions>
struct l2_term {
    static constexpr bool of_output = false;
    Net* net = nullptr;

    /// A layer with parameters but no weights (batch_norm's scale and offset) is an error naming it.
    void check() const {
        for (std::size_t position : {Positions...}) {
            bool found = false;
            for (auto const& p : net->parameters())
                found = found || (p.position == position && p.spec.kind == parameter_kind::weights);
            if (!found)
                throw error("est::l2: layer " + std::to_string(position) + " (" + layer_name(position) +
                            ") has no weights (kernels) to regularize");
        }
    }
    std::string layer_name(std::size_t position) const {
        for (auto const& p : net->parameters())
            if (p.position == position)
                return p.name.substr(0, p.name.find('/'));
        return "?";
    }

    template <class F>
    void for_each_weight(F f) const {
        for (auto const& p : net->parameters())
            if (p.spec.kind == parameter_kind::weights && ((p.position == Positions) || ...))
                f(p.offset, p.spec.stored_size());
    }
    double value() const {
        double total = 0.0;
        for_each_weight([&](std::size_t offset, std::size_t size) {
            total += Net::backend_type::sum(size, squared_value{net->values() + offset});
        });
        return total;
    }
    /// Adds `coefficient` times this term's gradient to the gradient arena.
    void add_parameter_gradient(float coefficient) const {
        for_each_weight([&](std::size_t offset, std::size_t size) {
            Net::backend_type::for_each(size, add_scaled_values{net->gradients() + offset, net->values() + offset,
                                                                2.0f * coefficient});
        });
    }
};
}  // namespace detail

/// A loss of one model: the weighted sum of its terms, with the value they had when it was made.
/// `a + b`, `a - b`, `k * a`, `a * k` and `a / k` make new losses; `value()` is what the estimator
/// reports, and a train_op back-propagates exactly that sum.
template <class Net, class... Terms>
class model_loss {
public:
    using model_type = Net;

    model_loss(Net* net, std::size_t batch, std::tuple<Terms...> terms, std::array<float, sizeof...(Terms)> coefficients,
               float value)
        : net_(net), batch_(batch), terms_(terms), coefficients_(coefficients), value_(value) {}

    /// The loss of the batch (for a mean loss, the mean over its examples).
    float value() const { return value_; }
    /// The examples its terms were computed on (0 for a loss of weights alone).
    std::size_t batch_size() const { return batch_; }
    Net& model() const { return *net_; }

    /// Fills the model's gradient arena with d(value)/d(parameter): the output terms' gradient,
    /// back-propagated, plus the weight terms'.
    void backward() const {
        using B = typename Net::backend_type;
        constexpr bool has_output_terms = (Terms::of_output || ...);
        if constexpr (has_output_terms) {
            float* gradient = net_->output_gradient(batch_).data;
            bool written = false;
            for_each_term([&](auto const& term, float coefficient) {
                if constexpr (std::remove_cvref_t<decltype(term)>::of_output) {
                    term.add_output_gradient(gradient, coefficient, written);
                    written = true;
                }
            });
            net_->backward();
        } else {
            fill<B>(net_->gradients(), net_->trainable_size(), 0.0f);
        }
        for_each_term([&](auto const& term, float coefficient) {
            if constexpr (!std::remove_cvref_t<decltype(term)>::of_output)
                term.add_parameter_gradient(coefficient);
        });
    }

    template <class... Others>
    friend model_loss<Net, Terms..., Others...> operator+(model_loss const& a, model_loss<Net, Others...> const& b) {
        return {a.net_, std::max(a.batch_, b.batch_size()), std::tuple_cat(a.terms_, b.terms()),
                concatenated(a.coefficients_, b.coefficients()), a.value_ + b.value()};
    }
    template <class... Others>
    friend model_loss<Net, Terms..., Others...> operator-(model_loss const& a, model_loss<Net, Others...> const& b) {
        return a + -1.0f * b;
    }
    friend model_loss operator*(float k, model_loss const& a) {
        auto coefficients = a.coefficients_;
        for (auto& c : coefficients) c *= k;
        return {a.net_, a.batch_, a.terms_, coefficients, k * a.value_};
    }
    friend model_loss operator*(model_loss const& a, float k) { return k * a; }
    friend model_loss operator/(model_loss const& a, float k) { return (1.0f / k) * a; }

    std::tuple<Terms...> const& terms() const { return terms_; }
    std::array<float, sizeof...(Terms)> const& coefficients() const { return coefficients_; }

private:
    template <class F>
    void for_each_term(F&& f) const {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(std::get<I>(terms_), coefficients_[I]), ...);
        }
        (std::index_sequence_for<Terms...>{});
    }
    template <std::size_t N, std::size_t M>
    static std::array<float, N + M> concatenated(std::array<float, N> const& a, std::array<float, M> const& b) {
        std::array<float, N + M> out{};
        for (std::size_t i = 0; i < N; ++i) out[i] = a[i];
        for (std::size_t i = 0; i < M; ++i) out[N + i] = b[i];
        return out;
    }

    // The model first: see training_op.
    Net* net_ = nullptr;
    std::size_t batch_ = 0;
    std::tuple<Terms...> terms_;
    std::array<float, sizeof...(Terms)> coefficients_;
    float value_ = 0.0f;
};

template <class T>
inline constexpr bool is_loss_v = false;
template <class Net, class... Terms>
inline constexpr bool is_loss_v<model_loss<Net, Terms...>> = true;

/// Losses of two models, or a product of losses: reported, and an invalid_value.
template <class A, class B>
requires(is_loss_v<A> && is_loss_v<B> && !std::is_same_v<typename A::model_type, typename B::model_type>)
invalid_value operator+(A const&, B const&) {
    static_assert(losses_of_different_models<typename A::model_type, typename B::model_type>::reported);
    return {};
}
template <class A, class B>
requires(is_loss_v<A> && is_loss_v<B> && !std::is_same_v<typename A::model_type, typename B::model_type>)
invalid_value operator-(A const&, B const&) {
    static_assert(losses_of_different_models<typename A::model_type, typename B::model_type>::reported);
    return {};
}
template <class A, class B>
requires(is_loss_v<A> && is_loss_v<B>) invalid_value operator*(A const&, B const&) {
    static_assert(product_of_losses<A, B>::reported);
    return {};
}

namespace detail {
/// The loss of one output term, its value computed now.
template <class Net, class Rows>
auto output_loss(Net* net, std::size_t batch, Rows rows, std::size_t count, std::size_t divisor) {
    output_term<Net, Rows> term{rows, count, divisor};
    float value = float(term.value());
    return model_loss<Net, output_term<Net, Rows>>{net, batch, std::tuple{term}, {1.0f}, value};
}
}  // namespace detail

/// A loss of a value whose mistake was reported where it was made: nothing more to say.
template <class Labels, class Output, class... Options>
requires(Invalid<Labels> || Invalid<Output>) invalid_value
    sparse_softmax_cross_entropy(Labels const&, Output const&, Options const&...) {
    return {};
}
template <class Labels, class Output, class... Options>
requires(Invalid<Labels> || Invalid<Output>) invalid_value
    softmax_cross_entropy(Labels const&, Output const&, Options const&...) {
    return {};
}
template <class Labels, class Output>
requires(Invalid<Labels> || Invalid<Output>) invalid_value mean_squared_error(Labels const&, Output const&) {
    return {};
}

/// Cross-entropy of integer class labels (shape<> or shape<1>) against logits: the mean over the
/// batch of -log softmax(logits)[label], or with label smoothing of the smoothed targets.
template <Batch Labels, class Net>
auto sparse_softmax_cross_entropy(Labels const& labels, model_output<Net> const& logits,
                                  label_smoothing smoothing = {}) {
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
    detail::check_smoothing(smoothing, "sparse_softmax_cross_entropy");
    std::size_t bad = B::find_first(batch, detail::label_out_of_range<label_type>{y.data, classes});
    if (bad < batch)
        throw error("sparse_softmax_cross_entropy: label " + std::to_string(detail::value_at<B>(y.data, bad)) +
                    " of example " + std::to_string(bad) + " is outside [0, " + std::to_string(classes) + ")");
    double spread = double(smoothing.amount) / double(classes);
    return detail::output_loss(logits.net, batch,
                               detail::sparse_cross_entropy_rows<label_type>{logits.value.data, y.data, classes,
                                                                             1.0 - double(smoothing.amount), spread},
                               batch, batch);
}

/// Cross-entropy of one-hot (or soft) labels against logits over the last dimension, optionally
/// with label smoothing.
template <Batch Labels, class Net>
auto softmax_cross_entropy(Labels const& labels, model_output<Net> const& logits, label_smoothing smoothing = {}) {
    auto y = detail::labels_on_model<Net>(labels);
    using out_shape = typename Net::output_shape_type;
    static_assert(std::is_same_v<typename decltype(y)::shape_type, out_shape>,
                  "est::softmax_cross_entropy: labels must have the model's output shape (one-hot)");
    constexpr std::size_t classes = out_shape::extents[out_shape::rank - 1];
    std::size_t batch = logits.value.batch;
    detail::check_label_count(y, batch, "softmax_cross_entropy");
    detail::check_smoothing(smoothing, "softmax_cross_entropy");
    double spread = double(smoothing.amount) / double(classes);
    return detail::output_loss(logits.net, batch,
                               detail::cross_entropy_rows<std::remove_const_t<typename decltype(y)::value_type>>{
                                   logits.value.data, y.data, classes, 1.0 - double(smoothing.amount), spread},
                               logits.value.size() / classes, batch);
}

/// Mean over all values of (prediction - label)^2.
template <Batch Labels, class Net>
auto mean_squared_error(Labels const& labels, model_output<Net> const& predictions) {
    auto y = detail::labels_on_model<Net>(labels);
    static_assert(std::is_same_v<typename decltype(y)::shape_type, typename Net::output_shape_type>,
                  "est::mean_squared_error: labels must have the model's output shape");
    std::size_t batch = predictions.value.batch;
    detail::check_label_count(y, batch, "mean_squared_error");
    std::size_t n = predictions.value.size();
    return detail::output_loss(predictions.net, batch,
                               detail::squared_error_values<std::remove_const_t<typename decltype(y)::value_type>>{
                                   predictions.value.data, y.data},
                               n, n);
}

/// The sum of the squared weights (kernels, not biases) of the layers at `Positions` (1 is the first
/// layer after est::input<...>, as summary() numbers them), as Keras' l2 regularizer without its
/// factor: `loss + 1e-4f * est::l2<1, 3>(net)`.
template <std::size_t... Positions, class Net>
auto l2(Net& net) {
    static_assert(sizeof...(Positions) > 0, "est::l2<positions...>(model): name the layers to regularize");
    constexpr bool present = ((Positions >= 1 && Positions <= Net::layer_count) && ...);
    if constexpr (!Net::shapes_fit)
        return invalid_value{};  // reported where the model was declared
    else if constexpr (!present) {
        constexpr std::size_t missing = [] {
            for (std::size_t p : {Positions...})
                if (p < 1 || p > Net::layer_count)
                    return p;
            return std::size_t{0};
        }();
        static_assert(l2_of_a_missing_layer<position<missing>, Net::layer_count>::reported);
        return invalid_value{};
    } else if constexpr (((Net::template layer_parameter_count<Positions> == 0) || ...)) {
        constexpr std::size_t empty = [] {
            std::size_t found = 0;
            ((found = found == 0 && Net::template layer_parameter_count<Positions> == 0 ? Positions : found), ...);
            return found;
        }();
        static_assert(
            l2_of_a_layer_without_weights<position<empty>, typename Net::template layer_kind<empty>>::reported);
        return invalid_value{};
    } else {
        detail::l2_term<Net, Positions...> term{&net};
        term.check();
        float value = float(term.value());
        return model_loss<Net, detail::l2_term<Net, Positions...>>{&net, 0, std::tuple{term}, {1.0f}, value};
    }
}

}  // namespace est
