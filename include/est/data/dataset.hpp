// Datasets, as tf.data: a dataset is a value describing a stream of elements; make_iterator()
// starts one pass over it. Elements are `example<Features, Labels>` of records whose types, names
// and shapes are known at compile time. Stages chain: `.shuffle(n, seed).repeat().batch(64)`.
#pragma once

#include <est/core/record.hpp>

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
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

/// Dataset: a sequence of elements that can be read from the start any number of times.
///
/// Minimal complete definition: a copy-constructible type with
///   using element_type;                       what one element is (default-constructible)
///   using iterator_type;                      one pass over the elements
///   iterator_type make_iterator() const;      a new pass
///   bool iterator_type::next(element_type&);  fills the element and returns true, or returns
///                                             false at the end
/// `next` reuses the element it is given, so a steady stream allocates nothing per element. After
/// `next` throws, the next call goes on with the following element or returns false; it never
/// throws the same error again.
template <class D>
concept Dataset = std::copy_constructible<D> && requires(D const& d, typename D::iterator_type& it,
                                                         typename D::element_type& e) {
    requires std::default_initializable<typename D::element_type>;
    { d.make_iterator() } -> std::same_as<typename D::iterator_type>;
    { it.next(e) } -> std::same_as<bool>;
};

template <class Upstream>
class shuffle_dataset;
template <class Upstream>
class repeat_dataset;
template <class Upstream>
class batch_dataset;
template <class Upstream, class Fn>
class map_dataset;
template <class Upstream, class Predicate>
class filter_dataset;
template <class Upstream, class Fn>
class interleave_dataset;
template <class Upstream>
class prefetch_dataset;
template <class Upstream>
class slice_dataset;
template <class Upstream>
class cache_dataset;
template <class Upstream>
class padded_batch_dataset;
template <class Upstream>
class ignore_errors_dataset;

/// Worker threads of map (autotune: one per core).
struct parallel_calls {
    std::size_t threads;
};
/// How interleave reads: `cycle_length` datasets at once, `block_length` elements from each in
/// turn, and with `parallel` each open dataset prefetched on a thread of its own (same order).
struct interleave_options {
    std::size_t cycle_length = 1;
    std::size_t block_length = 1;
    bool parallel = false;
};
/// Whether shuffle draws a new order on each pass (tf.data's default) or repeats the first.
struct shuffle_options {
    bool reshuffle_each_iteration = true;
};
/// Whether batch drops a last batch smaller than the others.
struct batch_options {
    bool drop_remainder = false;
};
/// padded_batch's padding value, and whether it drops a smaller last batch.
struct padded_batch_options {
    double padding = 0.0;
    bool drop_remainder = false;
};

/// What ignore_errors does with the elements it drops.
struct ignore_errors_options {
    /// Incremented for every dropped element (shared by the passes and threads that use it).
    std::atomic<std::uint64_t>* count = nullptr;
    /// Prints each dropped element's error to stderr (tf.data's log_warning).
    bool log_warning = false;
};

/// The stages every dataset offers, as member functions returning the next dataset.
template <class Derived>
struct stages {
    /// Randomly shuffles elements through a buffer of `buffer_size` (tf.data's algorithm); a new
    /// order on each pass unless `{.reshuffle_each_iteration = false}`.
    auto shuffle(std::size_t buffer_size, std::uint64_t seed, shuffle_options options = {}) const {
        return shuffle_dataset<Derived>(self(), buffer_size, seed, options.reshuffle_each_iteration);
    }
    /// Repeats the dataset `count` times; forever when count is negative.
    auto repeat(std::int64_t count = -1) const { return repeat_dataset<Derived>(self(), count); }
    /// shuffle(buffer_size, seed) then repeat(count): a new order in every epoch.
    auto shuffle_and_repeat(std::size_t buffer_size, std::uint64_t seed, std::int64_t count = -1) const {
        return shuffle(buffer_size, seed).repeat(count);
    }
    /// Stacks `size` consecutive examples into one batched example.
    auto batch(std::size_t size, batch_options options = {}) const {
        return batch_dataset<Derived>(self(), size, options.drop_remainder);
    }
    /// batch() for examples with variable-length (std::vector) features: padded with
    /// `options.padding` to the longest in the batch, lengths kept.
    auto padded_batch(std::size_t size, padded_batch_options options = {}) const {
        return padded_batch_dataset<Derived>(self(), size, options.padding, options.drop_remainder);
    }
    /// Transforms each element with `fn(element)` or `fn(element, index)`; with parallel_calls, on
    /// worker threads, the order kept.
    template <class Fn>
    auto map(Fn fn, parallel_calls calls = {1}) const {
        return map_dataset<Derived, Fn>(self(), std::move(fn), calls.threads);
    }
    /// Keeps the elements for which `predicate(element)` holds.
    template <class Predicate>
    auto filter(Predicate predicate) const {
        return filter_dataset<Derived, Predicate>(self(), std::move(predicate));
    }
    /// Maps each element to a dataset with `fn` and interleaves them (see interleave.hpp).
    template <class Fn>
    auto interleave(Fn fn, interleave_options options) const {
        return interleave_dataset<Derived, Fn>(self(), std::move(fn), options.cycle_length, options.block_length,
                                               options.parallel);
    }
    /// Keeps up to `buffer` elements ready, produced on a background thread (autotune, or -1 as in
    /// tf.data: by cores).
    auto prefetch(std::size_t buffer) const { return prefetch_dataset<Derived>(self(), buffer); }
    /// The first `count` elements.
    auto take(std::uint64_t count) const { return slice_dataset<Derived>(self(), 0, 1, count); }
    /// All but the first `count` elements.
    auto skip(std::uint64_t count) const {
        return slice_dataset<Derived>(self(), count, 1, std::numeric_limits<std::uint64_t>::max());
    }
    /// Every num_shards-th element, starting at `index` (one worker's share).
    auto shard(std::uint64_t num_shards, std::uint64_t index) const;
    /// Keeps the first complete pass in memory and replays it.
    auto cache() const { return cache_dataset<Derived>(self()); }
    /// Drops the elements whose making failed with an est::error, counting them (ignore_errors.hpp).
    auto ignore_errors(ignore_errors_options options = {}) const {
        return ignore_errors_dataset<Derived>(self(), options);
    }

private:
    Derived const& self() const { return static_cast<Derived const&>(*this); }
};

}  // namespace est::data

#include <est/data/batch.hpp>
#include <est/data/cache.hpp>
#include <est/data/filter.hpp>
#include <est/data/ignore_errors.hpp>
#include <est/data/interleave.hpp>
#include <est/data/map.hpp>
#include <est/data/prefetch.hpp>
#include <est/data/repeat.hpp>
#include <est/data/shuffle.hpp>
#include <est/data/slice.hpp>


namespace est {
using data::batch_options;
using data::interleave_options;
using data::padded_batch_options;
using data::shuffle_options;
using data::parallel_calls;
}  // namespace est
