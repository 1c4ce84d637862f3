// EstimatorSpec as a type: `est::spec(mode, est::loss = l, est::train_op = op)` builds a Hana map
// from field names to values and checks, at compile time, that every field is known, allowed in
// the mode, and that the mode's required fields are there.
#pragma once

#include <est/core/error.hpp>
#include <est/core/record.hpp>
#include <est/core/mode.hpp>

#include <boost/hana/at_key.hpp>
#include <boost/hana/contains.hpp>
#include <boost/hana/map.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/type.hpp>

#include <string_view>
#include <type_traits>
#include <utility>

namespace est {

/// Spec fields, with TensorFlow's names.
inline constexpr field_name<"loss"> loss{};
inline constexpr field_name<"train_op"> train_op{};
inline constexpr field_name<"predictions"> predictions{};
inline constexpr field_name<"eval_metric_ops"> eval_metric_ops{};
inline constexpr field_name<"training_hooks"> training_hooks{};
inline constexpr field_name<"evaluation_hooks"> evaluation_hooks{};
inline constexpr field_name<"prediction_hooks"> prediction_hooks{};

/// The mistakes of a spec: a field est does not know, a field the mode does not take, a field the
/// mode requires that is missing (with the fields given).
template <class Mode, class Field>
struct unknown_spec_field {
    static_assert(detail::always_false<Field>,
                  "est::spec: unknown field; a spec takes loss, train_op, predictions, eval_metric_ops, "
                  "training_hooks, evaluation_hooks, prediction_hooks (unknown_spec_field<mode, field> names it)");
    static constexpr bool reported = true;
};
template <class Mode, class Field>
struct spec_field_not_allowed_in_mode {
    static_assert(detail::always_false<Field>,
                  "est::spec: this field is not accepted in this mode (TRAIN: loss, train_op, predictions, "
                  "training_hooks; EVAL: loss, predictions, eval_metric_ops, evaluation_hooks; PREDICT: "
                  "predictions, prediction_hooks); spec_field_not_allowed_in_mode<mode, field> names it");
    static constexpr bool reported = true;
};
template <class Mode, class MissingField, class... GivenFields>
struct missing_spec_field {
    static_assert(detail::always_false<Mode>,
                  "est::spec: a field the mode requires is missing (TRAIN: loss and train_op; EVAL: loss; "
                  "PREDICT: predictions); missing_spec_field<mode, missing field, given fields...> names them");
    static constexpr bool reported = true;
};

namespace detail {
constexpr bool is_spec_field(std::string_view f) {
    for (std::string_view known : {"loss", "train_op", "predictions", "eval_metric_ops", "training_hooks",
                                   "evaluation_hooks", "prediction_hooks"})
        if (f == known)
            return true;
    return false;
}

/// Which fields each mode accepts: TRAIN loss, train_op, predictions, training_hooks; EVAL loss,
/// predictions, eval_metric_ops, evaluation_hooks; PREDICT predictions, prediction_hooks.
constexpr bool spec_field_allowed(mode_key m, std::string_view f) {
    if (f == "predictions")
        return true;
    switch (m) {
        case mode_key::train:
            return f == "loss" || f == "train_op" || f == "training_hooks";
        case mode_key::eval:
            return f == "loss" || f == "eval_metric_ops" || f == "evaluation_hooks";
        case mode_key::predict:
            return f == "prediction_hooks";
    }
    return false;
}

template <class M, class Named>
constexpr bool check_spec_field() {
    using key = typename Named::key_type;
    if constexpr (!is_spec_field(Named::name()))
        return !unknown_spec_field<M, key>::reported;
    else if constexpr (!spec_field_allowed(M::key, Named::name()))
        return !spec_field_not_allowed_in_mode<M, key>::reported;
    else
        return true;
}

template <class M, fixed_string Required, class... Named>
constexpr bool check_required_field() {
    if constexpr (!(std::is_same_v<typename Named::key_type, field_name<Required>> || ...))
        return !missing_spec_field<M, field_name<Required>, typename Named::key_type...>::reported;
    else
        return true;
}

template <class M, class... Named>
constexpr bool check_spec() {
    if constexpr (!(check_spec_field<M, Named>() && ...))
        return false;
    else if constexpr (M::key == mode_key::train)
        return check_required_field<M, "loss", Named...>() && check_required_field<M, "train_op", Named...>();
    else if constexpr (M::key == mode_key::eval)
        return check_required_field<M, "loss", Named...>();
    else
        return check_required_field<M, "predictions", Named...>();
}
}  // namespace detail

/// What a model_fn returns for one mode: a Hana map from field names to values.
template <class Mode, class Map>
struct estimator_spec {
    using mode_type = Mode;
    Map fields;

    template <fixed_string Name>
    static constexpr bool has(field_name<Name> = {}) {
        return decltype(boost::hana::contains(std::declval<Map>(), boost::hana::type_c<field_name<Name>>))::value;
    }
    template <fixed_string Name>
    decltype(auto) operator[](field_name<Name>) const {
        return boost::hana::at_key(fields, boost::hana::type_c<field_name<Name>>);
    }
    template <fixed_string Name>
    decltype(auto) operator[](field_name<Name>) {
        return boost::hana::at_key(fields, boost::hana::type_c<field_name<Name>>);
    }
};

/// The mistake of giving est::spec something other than `field = value`.
template <class Given>
struct spec_argument_not_a_field {
    static_assert(detail::always_false<Given>,
                  "est::spec(mode, ...): pass fields as est::loss = ..., est::train_op = ..., est::predictions = ...; "
                  "spec_argument_not_a_field<given> names the argument");
    static constexpr bool reported = true;
};

/// Builds the spec of `mode` from `field = value` arguments; a mistake fails to compile with one
/// error and makes the spec an est::invalid_value, as does a value whose own mistake was reported.
template <Mode M, class... Named>
auto spec(M, Named&&... fields) {
    if constexpr (!(is_named_v<std::decay_t<Named>> && ...)) {
        static_assert(
            (detail::report_if<!is_named_v<std::decay_t<Named>>, spec_argument_not_a_field<std::decay_t<Named>>> &&
             ...));
        return invalid_value{};
    } else if constexpr ((holds_invalid_v<std::decay_t<Named>> || ...)) {
        return invalid_value{};  // reported where it was made
    } else if constexpr (!detail::check_spec<M, std::decay_t<Named>...>()) {
        return invalid_value{};
    } else {
        auto map = boost::hana::make_map(boost::hana::make_pair(
            boost::hana::type_c<typename std::decay_t<Named>::key_type>, std::forward<Named>(fields).value)...);
        return estimator_spec<M, decltype(map)>{std::move(map)};
    }
}

}  // namespace est
