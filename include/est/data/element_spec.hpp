// What the batches of an input look like, named by the user instead of spelled by a pipeline, as
// tf.data's element_spec: features and labels, each a list of tensor specs with a name, a value
// type and the static shape of one example.
//
//   using input = est::element_spec<est::features<est::tensor_spec<"image", float, est::shape<28, 28, 1>>>,
//                                   est::labels<est::tensor_spec<"label", std::int32_t>>>;
//
// An estimator takes it as its Input; every input_fn's dataset must yield batches of exactly these
// fields (a batched dataset of examples with these names, types and shapes).
#pragma once

#include <est/core/fixed_string.hpp>
#include <est/core/record.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/data/dataset.hpp>

#include <type_traits>

namespace est {

/// The mistake of a tensor spec whose values are not numbers.
template <class Field, class T>
struct tensor_spec_value_type_is_not_arithmetic {
    static_assert(detail::always_false<T>,
                  "est::tensor_spec<name, T, shape>: T is an arithmetic value type (float, std::int32_t, ...); "
                  "tensor_spec_value_type_is_not_arithmetic<name, T> names it");
    static constexpr bool reported = true;
};

/// One field of an element: its name, value type and the shape of one example.
template <fixed_string Name, class T, Shape S = shape<>>
struct tensor_spec {
    static_assert(
        detail::report_if<!std::is_arithmetic_v<T>, tensor_spec_value_type_is_not_arithmetic<field_name<Name>, T>>);
    /// The field as a batch of examples (a placeholder float one where T is not a number).
    using batched = named<Name, batch_tensor<std::conditional_t<std::is_arithmetic_v<T>, T, float>, S>>;
};

template <class T>
inline constexpr bool is_tensor_spec_v = false;
template <fixed_string Name, class T, class S>
inline constexpr bool is_tensor_spec_v<tensor_spec<Name, T, S>> = true;

/// The features of an element spec.
template <class... Specs>
struct features {
    static_assert((is_tensor_spec_v<Specs> && ...), "est::features<...> lists est::tensor_spec<name, T, shape>");
    using type = record<typename Specs::batched...>;
};
/// The labels of an element spec (none for an input that only predicts).
template <class... Specs>
struct labels {
    static_assert((is_tensor_spec_v<Specs> && ...), "est::labels<...> lists est::tensor_spec<name, T, shape>");
    using type = record<typename Specs::batched...>;
};

/// The batches an input yields: `element_type` is what a batched dataset of these fields yields.
template <class Features, class Labels = labels<>>
struct element_spec {
    using element_type = data::example<typename Features::type, typename Labels::type>;
};

namespace data {
/// Input: what an estimator accepts as the shape of its batches, an est::element_spec or a dataset
/// type: anything whose `element_type` is a data::example.
template <class I>
concept Input = requires {
    typename I::element_type;
    typename I::element_type::features_type;
    typename I::element_type::labels_type;
};

/// The element spec of what `input_fn()` returns (an input named by its first input_fn).
template <class InputFn>
requires Dataset<std::invoke_result_t<InputFn&>>
struct element_spec_of {
    using element_type = typename std::invoke_result_t<InputFn&>::element_type;
};
}  // namespace data

}  // namespace est
