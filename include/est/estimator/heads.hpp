// Canned heads, as tf.estimator's: the TRAIN, EVAL and PREDICT specs of a model's output, built from
// the logits (or predictions), the labels, an optimizer and options. A model_fn with a head is two
// lines; a model_fn that needs more (hooks, other losses) writes its specs itself.
//
//   auto logits = net(features["image"_f], mode);
//   return est::heads::classifier(mode, logits, labels, est::adam(0.001f), est::label_smoothing{0.1f});
//
// Extras after the optimizer, in any order, each kind at most once:
//   est::label_smoothing{a}                        of the classifier's cross-entropy
//   est::heads::regularization([&] { return 1e-4f * est::l2<3>(net); })
//                                                  a loss term added in TRAIN and EVAL
//   est::heads::more_metrics([](auto const& labels, auto const& logits) { return est::fields(...); })
//                                                  metrics added to the EVAL spec's own, as
//                                                  tf.estimator.add_metrics does
#pragma once

#include <est/core/error.hpp>
#include <est/core/fixed_string.hpp>
#include <est/core/mode.hpp>
#include <est/core/record.hpp>
#include <est/estimator/spec.hpp>
#include <est/nn/ops.hpp>
#include <est/train/losses.hpp>
#include <est/train/metrics.hpp>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace est::heads {

/// A loss term a head adds to its own in TRAIN and EVAL: `make()` returns it (e.g. an L2 term).
template <class Make>
struct regularization {
    Make make;
};
template <class Make>
regularization(Make) -> regularization<Make>;

/// Metrics a head adds to its EVAL spec: `make(labels, output)` returns a record of metrics.
template <class Make>
struct more_metrics {
    Make make;
};
template <class Make>
more_metrics(Make) -> more_metrics<Make>;

/// The mistake of passing a head something after the optimizer that is not one of its extras.
template <class Extra>
struct head_extra_not_understood {
    static_assert(::est::detail::always_false<Extra>,
                  "est::heads: after the optimizer come only est::label_smoothing (classifier), "
                  "est::heads::regularization and est::heads::more_metrics; head_extra_not_understood<given> "
                  "names what was passed");
    static constexpr bool reported = true;
};

/// The mistake of giving a head two extras of one kind (which would count is not clear).
template <class Extra>
struct head_extra_given_twice {
    static_assert(::est::detail::always_false<Extra>,
                  "est::heads: each kind of extra (label_smoothing, regularization, more_metrics) is given at most "
                  "once; add two regularization terms in one, concat two metric records in one more_metrics; "
                  "head_extra_given_twice<given> names the second");
    static constexpr bool reported = true;
};

namespace detail {
template <class T>
inline constexpr bool is_regularization_v = false;
template <class Make>
inline constexpr bool is_regularization_v<regularization<Make>> = true;
template <class T>
inline constexpr bool is_more_metrics_v = false;
template <class Make>
inline constexpr bool is_more_metrics_v<more_metrics<Make>> = true;

template <class T>
struct is_smoothing : std::is_same<T, label_smoothing> {};
template <class T>
struct is_regularization : std::bool_constant<is_regularization_v<T>> {};
template <class T>
struct is_more_metrics : std::bool_constant<is_more_metrics_v<T>> {};

/// The first of `extras` satisfying `Is`, or `fallback`.
template <template <class> class Is, class Fallback>
Fallback const& find_extra(Fallback const& fallback) {
    return fallback;
}
template <template <class> class Is, class Fallback, class First, class... Rest>
decltype(auto) find_extra(Fallback const& fallback, First const& first, Rest const&... rest) {
    if constexpr (Is<First>::value)
        return (first);
    else
        return find_extra<Is>(fallback, rest...);
}

/// What no extra adds.
struct no_regularization {};
struct no_more_metrics {};

/// The head's loss plus the regularization, if any.
template <class Loss, class Extra>
auto with_regularization(Loss const& loss, Extra const& extra) {
    if constexpr (std::is_same_v<Extra, no_regularization>)
        return loss;
    else
        return loss + extra.make();
}

/// The head's metrics followed by the extra ones, if any.
template <class Metrics, class Extra, class Labels, class Output>
auto with_more_metrics(Metrics const& metrics, Extra const& extra, Labels const& labels, Output const& output) {
    if constexpr (std::is_same_v<Extra, no_more_metrics>)
        return metrics;
    else
        return concat(metrics, extra.make(labels, output));
}

/// The TRAIN or EVAL spec of a head: its loss plus the regularization, if any, with the optimizer's
/// train_op, or with `head_metrics()` (called in EVAL only) followed by the extra metrics.
template <mode_key Key, class Loss, class Opt, class HeadMetrics, class Labels, class Output, class... Extras>
auto train_or_eval_spec(mode<Key> m, Loss const& head_loss, Opt const& optimizer, HeadMetrics head_metrics,
                        Labels const& labels, Output const& output, Extras const&... extras) {
    auto total = with_regularization(head_loss, find_extra<is_regularization>(no_regularization{}, extras...));
    if constexpr (Key == mode_key::train)
        return spec(m, loss = total, train_op = optimizer.minimize(total));
    else
        return spec(m, loss = total,
                    eval_metric_ops = with_more_metrics(
                        head_metrics(), find_extra<is_more_metrics>(no_more_metrics{}, extras...), labels, output));
}

/// Reports an extra that is none of the head's (once per type, whichever modes instantiate it);
/// true either way, for a static_assert.
template <bool Smoothing, class Extra>
constexpr bool extra_understood() {
    if constexpr ((Smoothing && std::is_same_v<Extra, label_smoothing>) || is_regularization_v<Extra> ||
                  is_more_metrics_v<Extra>)
        return true;
    else
        return head_extra_not_understood<Extra>::reported;  // true once reported
}
/// Reports the second extra of the kind `Is` if there is one; true either way.
template <template <class> class Is, class... Extras>
constexpr bool at_most_one() {
    using of_kind = boost::mp11::mp_copy_if<boost::mp11::mp_list<Extras...>, Is>;
    if constexpr (boost::mp11::mp_size<of_kind>::value <= 1)
        return true;
    else
        return head_extra_given_twice<boost::mp11::mp_at_c<of_kind, 1>>::reported;
}
template <bool Smoothing, class... Extras>
constexpr bool extras_understood() {
    return (extra_understood<Smoothing, Extras>() && ...) && at_most_one<is_smoothing, Extras...>() &&
           at_most_one<is_regularization, Extras...>() && at_most_one<is_more_metrics, Extras...>();
}
}  // namespace detail

/// A classifier over `logits` (one score per class) and integer class labels in the field `LabelKey`
/// of `labels`: sparse softmax cross-entropy, the optimizer's train_op, accuracy in EVAL, and the
/// predictions "classes" (int64 argmax) and "probabilities" (softmax).
template <fixed_string LabelKey = "label", Mode M, class Logits, class Labels, class Opt, class... Extras>
auto classifier(M mode, Logits const& logits, Labels const& labels, Opt const& optimizer, Extras const&... extras) {
    static_assert(detail::extras_understood<true, Extras...>());
    constexpr mode_key key = std::remove_cvref_t<M>::key;
    if constexpr (key == mode_key::predict) {
        return spec(mode, predictions = fields(field_name<"classes">{} = argmax(logits),
                                               field_name<"probabilities">{} = nn::softmax(logits)));
    } else {
        auto const& y = labels[field_name<LabelKey>{}];
        label_smoothing smoothing = detail::find_extra<detail::is_smoothing>(label_smoothing{}, extras...);
        return detail::train_or_eval_spec(
            mode, sparse_softmax_cross_entropy(y, logits, smoothing), optimizer,
            [&] { return fields(field_name<"accuracy">{} = metrics::accuracy(y, logits)); }, y, logits, extras...);
    }
}

/// A regression over `predictions` and labels of the same shape in the field `LabelKey`: mean
/// squared error, the optimizer's train_op, root_mean_squared_error in EVAL, and the prediction
/// "predictions".
template <fixed_string LabelKey = "label", Mode M, class Predictions, class Labels, class Opt, class... Extras>
auto regression(M mode, Predictions const& output, Labels const& labels, Opt const& optimizer,
                Extras const&... extras) {
    static_assert(detail::extras_understood<false, Extras...>());
    constexpr mode_key key = std::remove_cvref_t<M>::key;
    if constexpr (key == mode_key::predict) {
        return spec(mode, predictions = fields(field_name<"predictions">{} = output));
    } else {
        auto const& y = labels[field_name<LabelKey>{}];
        return detail::train_or_eval_spec(
            mode, mean_squared_error(y, output), optimizer,
            [&] {
                return fields(field_name<"root_mean_squared_error">{} = metrics::root_mean_squared_error(y, output));
            },
            y, output, extras...);
    }
}

}  // namespace est::heads
