// batch(n): stacks n consecutive examples into one example of batches; each field of static shape
// S and value type T becomes a batch_tensor<T, S>. Buffers are reused from batch to batch.
#pragma once

#include <est/core/error.hpp>
#include <est/core/record.hpp>
#include <est/core/tensor.hpp>
#include <est/data/dataset.hpp>

#include <algorithm>
#include <cstddef>
#include <tuple>
#include <utility>

namespace est::data {

namespace detail {
template <class Named>
struct batched_named;
template <fixed_string Name, class V>
struct batched_named<named<Name, V>> {
    using type = named<Name, batch_tensor<example_value_type_t<V>, example_shape_t<V>>>;
};
template <class R>
struct batched_record;
template <class... Named>
struct batched_record<record<Named...>> {
    using type = record<typename batched_named<Named>::type...>;
};

/// Copies one example's value into row `row` of a batch.
template <class V, class T, class S>
void store_example(V const& value, batch_tensor<T, S>& batch, std::size_t row) {
    if constexpr (S::rank == 0)
        batch.data()[row] = value;
    else
        std::copy_n(value.data(), S::size, batch.data() + row * S::size);
}

template <class... Named, class... Batched>
void store_record(record<Named...> const& values, record<Batched...>& batches, std::size_t row) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (store_example(std::get<I>(values.entries).value, std::get<I>(batches.entries).value, row), ...);
    }
    (std::index_sequence_for<Named...>{});
}

template <class... Batched>
void resize_record(record<Batched...>& batches, std::size_t size) {
    batches.for_each([&](auto, auto& batch) { batch.resize(size); });
}

/// The rows a batch's buffers grow to once `rows` are full: double, up to the batch size, so that
/// a batch size larger than the data (as tf.data allows) costs only the data.
inline std::size_t grown_rows(std::size_t rows, std::size_t batch_size) {
    return std::min(batch_size, std::max<std::size_t>(2 * rows, 1));
}
}  // namespace detail

template <class Upstream>
class batch_dataset : public stages<batch_dataset<Upstream>> {
    using upstream_element = typename Upstream::element_type;

public:
    using element_type = example<typename detail::batched_record<typename upstream_element::features_type>::type,
                                 typename detail::batched_record<typename upstream_element::labels_type>::type>;

    batch_dataset(Upstream upstream, std::size_t size, bool drop_remainder)
        : upstream_(std::move(upstream)), size_(size), drop_remainder_(drop_remainder) {
        if (size == 0)
            throw error("batch: the batch size must be at least 1, not 0");
    }

    class iterator {
    public:
        iterator(typename Upstream::iterator_type upstream, std::size_t size, bool drop_remainder)
            : upstream_(std::move(upstream)), size_(size), drop_remainder_(drop_remainder) {}

        /// The batch's buffers grow with the examples that arrive (detail::grown_rows).
        bool next(element_type& out) {
            std::size_t rows = rows_;
            resize(out, rows);
            std::size_t count = 0;
            while (count < size_) {
                if (count == rows) {
                    rows = detail::grown_rows(rows, size_);
                    resize(out, rows);
                }
                if (!upstream_.next(example_))
                    break;
                detail::store_record(example_.features, out.features, count);
                detail::store_record(example_.labels, out.labels, count);
                ++count;
            }
            rows_ = std::max(rows_, rows);  // from the next batch on, the rows of the largest so far at once
            if (count == 0 || (count < size_ && drop_remainder_))
                return false;
            resize(out, count);
            return true;
        }

    private:
        typename Upstream::iterator_type upstream_;
        std::size_t size_;
        bool drop_remainder_;
        std::size_t rows_ = 0;
        upstream_element example_;

        static void resize(element_type& out, std::size_t rows) {
            detail::resize_record(out.features, rows);
            detail::resize_record(out.labels, rows);
        }
    };
    using iterator_type = iterator;

    iterator make_iterator() const { return iterator(upstream_.make_iterator(), size_, drop_remainder_); }

private:
    Upstream upstream_;
    std::size_t size_;
    bool drop_remainder_;
};

}  // namespace est::data

#include <est/data/padded_batch.hpp>  // needs the traits above
