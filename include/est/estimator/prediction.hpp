// One example's predictions, as estimator.predict() yields them: a record with the PREDICT spec's
// fields, each holding that example's value with the type the model_fn produced (an int64 class
// index stays an std::int64_t; a vector of probabilities is a fixed-size xtensor of floats).
#pragma once

#include <est/core/record.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/sequential.hpp>

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

namespace est {

namespace detail {
/// The per-example value of a batch or model output `V`.
template <class V>
struct prediction_value {
    using view = decltype(values_of(std::declval<V const&>()));
    using type = example_value_t<std::remove_const_t<typename view::value_type>, typename view::shape_type>;
};

template <class Predictions>
struct prediction_fields;
template <fixed_string... Names, class... Values>
struct prediction_fields<record<named<Names, Values>...>> {
    using type = record<named<Names, typename prediction_value<Values>::type>...>;
};

/// Copies one field of a batch of predictions (back end B's memory) into each example's record.
template <class B, std::size_t I, class Values, class Record>
void scatter_prediction(Values const& batch_values, std::vector<Record>& out) {
    auto v = values_of(batch_values);
    using S = typename decltype(v)::shape_type;
    using T = std::remove_const_t<typename decltype(v)::value_type>;
    T const* host_values = v.data;
    std::vector<T> host_copy;
    if constexpr (!std::is_same_v<typename decltype(v)::memory_space, host_memory>) {
        host_copy.resize(v.size());
        B::copy_to_host(host_copy.data(), v.data, v.size() * sizeof(T));
        host_values = host_copy.data();
    }
    for (std::size_t b = 0; b < v.batch; ++b) {
        auto& value = std::get<I>(out[b].entries).value;
        if constexpr (S::rank == 0)
            value = host_values[b];
        else
            std::copy_n(host_values + b * S::size, S::size, value.data());
    }
}
}  // namespace detail

/// The predictions of one example for a PREDICT spec whose predictions are the record `Predictions`:
/// `p["classes"_f]`, `p["probabilities"_f](3)`.
template <class Predictions>
using prediction = typename detail::prediction_fields<Predictions>::type;

}  // namespace est
