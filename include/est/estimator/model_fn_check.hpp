// What an estimator checks of its model_fn when its type is formed: for each mode, that
// `model_fn(features, labels, mode, model, params)` can be called and returns est::spec of that
// mode, and that the spec's values are what the estimator runs (a loss is a loss, a train_op an
// optimizer's minimize(), every eval metric a Metric, predictions a record of batches). The first
// mistake gives one error (core/error.hpp says how); the modes after it are not checked.
#pragma once

#include <est/core/error.hpp>
#include <est/core/mode.hpp>
#include <est/core/record.hpp>
#include <est/core/tensor.hpp>
#include <est/estimator/spec.hpp>
#include <est/nn/sequential.hpp>
#include <est/train/losses.hpp>
#include <est/train/metrics.hpp>
#include <est/train/optimizer.hpp>

#include <type_traits>

namespace est {

template <class Mode, class Features, class Labels, class Model, class Params>
struct model_fn_not_callable {
    static_assert(detail::always_false<Mode>,
                  "est::estimator: the model_fn cannot be called as model_fn(features, labels, mode, model, params); "
                  "model_fn_not_callable<mode, features, labels, model, params> names what it is given");
    static constexpr bool reported = true;
};

template <class Mode, class Returned>
struct model_fn_returned_no_spec {
    static_assert(detail::always_false<Mode>,
                  "est::estimator: the model_fn returned something other than est::spec(mode, ...) in this mode; "
                  "model_fn_returned_no_spec<mode, returned type> names both");
    static constexpr bool reported = true;
};

template <class Mode, class ReturnedSpecMode>
struct model_fn_returned_spec_of_another_mode {
    static_assert(detail::always_false<Mode>,
                  "est::estimator: the model_fn returned the spec of another mode than the one it was called with; "
                  "model_fn_returned_spec_of_another_mode<called mode, returned spec's mode> names both");
    static constexpr bool reported = true;
};

template <class Mode, class Value>
struct spec_loss_is_not_a_loss {
    static_assert(detail::always_false<Mode>,
                  "est::estimator: the spec's loss is not a loss; give est::loss the value of a loss function "
                  "(est::sparse_softmax_cross_entropy(...)); spec_loss_is_not_a_loss<mode, value> names it");
    static constexpr bool reported = true;
};

template <class Mode, class Value>
struct spec_train_op_is_not_a_training_op {
    static_assert(detail::always_false<Mode>,
                  "est::estimator: the TRAIN spec's train_op is not a training op; give est::train_op an optimizer's "
                  "minimize(loss); spec_train_op_is_not_a_training_op<mode, value> names it");
    static constexpr bool reported = true;
};

template <class Mode, class Value>
struct spec_eval_metric_ops_is_not_a_record {
    static_assert(detail::always_false<Mode>,
                  "est::estimator: the EVAL spec's eval_metric_ops is not a record; write "
                  "est::fields(\"accuracy\"_f = est::metrics::accuracy(...), ...); "
                  "spec_eval_metric_ops_is_not_a_record<mode, value> names it");
    static constexpr bool reported = true;
};

template <class Metric, class Value>
struct eval_metric_is_not_a_metric {
    static_assert(detail::always_false<Metric>,
                  "est::estimator: an eval_metric_ops value is not a metric (est::metrics::accuracy(...), or a type "
                  "with += and result()); eval_metric_is_not_a_metric<name, value> names it");
    static constexpr bool reported = true;
};

template <class Metric>
struct eval_metric_name_is_reserved {
    static_assert(detail::always_false<Metric>,
                  "est::estimator: an eval metric is named loss or global_step, which evaluate() reports itself; "
                  "eval_metric_name_is_reserved<name> names it");
    static constexpr bool reported = true;
};

template <class Mode, class Value>
struct spec_predictions_are_not_batches {
    static_assert(detail::always_false<Mode>,
                  "est::estimator: the spec's predictions are not a record of batches; write "
                  "est::fields(\"classes\"_f = est::argmax(logits), ...); "
                  "spec_predictions_are_not_batches<mode, value> names it");
    static constexpr bool reported = true;
};

template <class T>
inline constexpr bool is_estimator_spec_v = false;
template <class M, class Map>
inline constexpr bool is_estimator_spec_v<estimator_spec<M, Map>> = true;

namespace detail {
template <class Spec, fixed_string Field>
using spec_value_t = std::remove_cvref_t<decltype(std::declval<Spec const&>()[field_name<Field>{}])>;

template <class T>
inline constexpr bool is_prediction_value_v = Batch<T> || is_model_output_v<T>;

template <class Predictions>
constexpr bool predictions_are_batches() {
    if constexpr (is_record_v<Predictions>)
        return []<class... Named>(std::type_identity<record<Named...>>) {
            return (is_prediction_value_v<typename Named::value_type> && ...);
        }(std::type_identity<Predictions>{});
    else
        return false;
}

template <class Named>
constexpr bool check_metric() {
    using value = typename Named::value_type;
    if constexpr (Named::name() == "loss" || Named::name() == "global_step")
        return !eval_metric_name_is_reserved<typename Named::key_type>::reported;
    else if constexpr (!Metric<value>)
        return !eval_metric_is_not_a_metric<typename Named::key_type, value>::reported;
    else
        return true;
}

template <class M, class Spec>
constexpr bool check_metrics() {
    using value = spec_value_t<Spec, "eval_metric_ops">;
    if constexpr (!is_record_v<value>)
        return !spec_eval_metric_ops_is_not_a_record<M, value>::reported;
    else
        return []<class... Named>(std::type_identity<record<Named...>>) {
            return (check_metric<Named>() && ...);
        }(std::type_identity<value>{});
}

template <class M, class Spec>
constexpr bool check_predictions() {
    if constexpr (!Spec::has(predictions))
        return true;
    else if constexpr (!predictions_are_batches<spec_value_t<Spec, "predictions">>())
        return !spec_predictions_are_not_batches<M, spec_value_t<Spec, "predictions">>::reported;
    else
        return true;
}

/// The values of a spec of mode M (its fields were checked by est::spec), the first mistake only.
template <class M, class Spec>
constexpr bool check_spec_values() {
    if constexpr (!check_predictions<M, Spec>())
        return false;
    else if constexpr (M::key == mode_key::predict)
        return true;
    else if constexpr (!is_loss_v<spec_value_t<Spec, "loss">>)
        return !spec_loss_is_not_a_loss<M, spec_value_t<Spec, "loss">>::reported;
    else if constexpr (M::key == mode_key::train)
        if constexpr (!is_training_op_v<spec_value_t<Spec, "train_op">>)
            return !spec_train_op_is_not_a_training_op<M, spec_value_t<Spec, "train_op">>::reported;
        else
            return true;
    else if constexpr (Spec::has(eval_metric_ops))
        return check_metrics<M, Spec>();
    else
        return true;
}

/// What model_fn returned in mode M.
template <class M, class Returned>
constexpr bool check_returned_spec() {
    if constexpr (Invalid<Returned>)
        return false;  // reported where it was made
    else if constexpr (!is_estimator_spec_v<Returned>)
        return !model_fn_returned_no_spec<M, Returned>::reported;
    else if constexpr (!std::is_same_v<typename Returned::mode_type, M>)
        return !model_fn_returned_spec_of_another_mode<M, typename Returned::mode_type>::reported;
    else
        return check_spec_values<M, Returned>();
}

template <class M, class ModelFn, class Features, class Labels, class Model, class Params>
constexpr bool check_model_fn_mode() {
    if constexpr (!std::is_invocable_v<ModelFn&, Features const&, Labels const&, M, Model&, Params const&>)
        return !model_fn_not_callable<M, Features, Labels, Model, Params>::reported;
    else
        return check_returned_spec<M, std::invoke_result_t<ModelFn&, Features const&, Labels const&, M, Model&,
                                                            Params const&>>();
}

/// Every mode of a model_fn, up to the first mistake: TRAIN, EVAL, then PREDICT (without labels).
template <class ModelFn, class Features, class Labels, class Model, class Params>
constexpr bool check_model_fn() {
    if constexpr (!check_model_fn_mode<mode<mode_key::train>, ModelFn, Features, Labels, Model, Params>())
        return false;
    else if constexpr (!check_model_fn_mode<mode<mode_key::eval>, ModelFn, Features, Labels, Model, Params>())
        return false;
    else
        return check_model_fn_mode<mode<mode_key::predict>, ModelFn, Features, record<>, Model, Params>();
}
}  // namespace detail

}  // namespace est
