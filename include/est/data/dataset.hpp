// Datasets, as tf.data: a dataset is a value describing a stream of elements; make_iterator()
// starts one pass over it. Elements are `example<Features, Labels>` of records whose types, names
// and shapes are known at compile time. Stages chain: `.shuffle(n, seed).repeat().batch(64)`.
#pragma once

#include <est/core/record.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace est::data {

/// One element of a dataset: features and labels, each a record (labels may be empty).
template <class Features, class Labels = record<>>
struct example {
    using features_type = Features;
    using labels_type = Labels;
    Features features;
    Labels labels;
};

template <class F, class L>
example(F, L) -> example<F, L>;

/// Dataset: a copyable value with
///   using element_type;
///   iterator make_iterator() const;   a new pass; iterator.next(element_type&) fills the element
///                                     and returns true, or returns false at the end.
/// `next` reuses the element it is given, so a steady stream allocates nothing per element.
template <class D>
concept Dataset = std::copy_constructible<D> && requires(D const& d, typename D::element_type& e) {
    typename D::element_type;
    { d.make_iterator().next(e) } -> std::same_as<bool>;
};

template <class Upstream>
class shuffle_dataset;
template <class Upstream>
class repeat_dataset;
template <class Upstream>
class batch_dataset;
template <class Upstream, class Fn>
class map_dataset;

/// The stages every dataset offers, as member functions returning the next dataset.
template <class Derived>
struct stages {
    /// Randomly shuffles elements through a buffer of `buffer_size` (tf.data's algorithm); a new
    /// order on each pass when `reshuffle_each_iteration`.
    auto shuffle(std::size_t buffer_size, std::uint64_t seed, bool reshuffle_each_iteration = true) const {
        return shuffle_dataset<Derived>(self(), buffer_size, seed, reshuffle_each_iteration);
    }
    /// Repeats the dataset `count` times; forever when count is negative.
    auto repeat(std::int64_t count = -1) const { return repeat_dataset<Derived>(self(), count); }
    /// Stacks `size` consecutive examples into one batched example.
    auto batch(std::size_t size, bool drop_remainder = false) const {
        return batch_dataset<Derived>(self(), size, drop_remainder);
    }
    /// Transforms each element with `fn(element) -> element`.
    template <class Fn>
    auto map(Fn fn) const {
        return map_dataset<Derived, Fn>(self(), std::move(fn));
    }

private:
    Derived const& self() const { return static_cast<Derived const&>(*this); }
};

}  // namespace est::data

#include <est/data/batch.hpp>
#include <est/data/map.hpp>
#include <est/data/repeat.hpp>
#include <est/data/shuffle.hpp>
