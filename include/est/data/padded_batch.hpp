// padded_batch(n, padding): batch() for examples with variable-length features (var_len, parsed to
// std::vector<T>): each becomes a padded_tensor, (batch, longest in the batch) filled with
// `padding` past each example's length, with the lengths kept; fixed-shape fields batch as in
// batch().
#pragma once

#include <est/core/error.hpp>
#include <est/core/record.hpp>
#include <est/data/batch.hpp>
#include <est/data/dataset.hpp>

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace est::data {

/// A batch of variable-length lists: values (batch, max length), padded; lengths per example.
template <class T>
struct padded_tensor {
    xt::xtensor<T, 2> values;
    std::vector<std::size_t> lengths;

    std::size_t batch_size() const { return lengths.size(); }
};

namespace detail {
template <class Named>
struct padded_named : batched_named<Named> {};
template <fixed_string Name, class T>
struct padded_named<named<Name, std::vector<T>>> {
    using type = named<Name, padded_tensor<T>>;
};
template <class R>
struct padded_record;
template <class... Named>
struct padded_record<record<Named...>> {
    using type = record<typename padded_named<Named>::type...>;
};

template <class T>
void store_rows(std::vector<std::vector<T>> const& rows, padded_tensor<T>& out, double padding) {
    std::size_t longest = 0;
    for (auto const& r : rows) longest = std::max(longest, r.size());
    if constexpr (std::is_integral_v<T>)  // converting a double out of T's range is undefined
        if (!(padding >= double(std::numeric_limits<T>::lowest()) &&
              padding < double(std::numeric_limits<T>::max()) + 1.0 && padding == std::trunc(padding)))
            throw error("padded_batch: the padding " + std::to_string(padding) + " is not a value of the field's " +
                        std::to_string(sizeof(T) * 8) + "-bit integer type");
    out.values = xt::xtensor<T, 2>::from_shape({rows.size(), longest});
    out.values.fill(T(padding));
    out.lengths.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        std::copy(rows[i].begin(), rows[i].end(), out.values.data() + i * longest);
        out.lengths[i] = rows[i].size();
    }
}

/// Collects one field of `count` examples into its padded or fixed-shape batch.
template <std::size_t I, class Examples, class Out, class Get>
void pad_field(Examples const& examples, std::size_t count, Out& out, Get get, double padding) {
    auto& target = std::get<I>(get(out).entries).value;
    using value_type = std::remove_cvref_t<decltype(std::get<I>(get(examples[0]).entries).value)>;
    if constexpr (requires { target.lengths; }) {
        std::vector<value_type> rows;
        for (std::size_t i = 0; i < count; ++i) rows.push_back(std::get<I>(get(examples[i]).entries).value);
        store_rows(rows, target, padding);
    } else {
        target.resize(count);
        for (std::size_t i = 0; i < count; ++i) store_example(std::get<I>(get(examples[i]).entries).value, target, i);
    }
}

template <class Examples, class Out, class Get, std::size_t... I>
void pad_record(Examples const& examples, std::size_t count, Out& out, Get get, double padding,
                std::index_sequence<I...>) {
    (pad_field<I>(examples, count, out, get, padding), ...);
}
}  // namespace detail

template <class Upstream>
class padded_batch_dataset : public stages<padded_batch_dataset<Upstream>> {
    using upstream_element = typename Upstream::element_type;
    using features_in = typename upstream_element::features_type;
    using labels_in = typename upstream_element::labels_type;

public:
    using element_type = example<typename detail::padded_record<features_in>::type,
                                 typename detail::padded_record<labels_in>::type>;

    padded_batch_dataset(Upstream upstream, std::size_t size, double padding, bool drop_remainder)
        : upstream_(std::move(upstream)), size_(size), padding_(padding), drop_remainder_(drop_remainder) {
        if (size == 0)
            throw error("padded_batch: the batch size must be at least 1, not 0");
    }

    class iterator {
    public:
        iterator(typename Upstream::iterator_type upstream, padded_batch_dataset const& d)
            : upstream_(std::move(upstream)),
              size_(d.size_),
              padding_(d.padding_),
              drop_remainder_(d.drop_remainder_) {}

        bool next(element_type& out) {
            std::size_t count = 0;
            while (count < size_) {
                if (count == examples_.size())  // grows with the examples that arrive, as batch()'s buffers
                    examples_.resize(detail::grown_rows(count, size_));
                if (!upstream_.next(examples_[count]))
                    break;
                ++count;
            }
            if (count == 0 || (count < size_ && drop_remainder_))
                return false;
            detail::pad_record(examples_, count, out, [](auto& e) -> auto& { return e.features; }, padding_,
                               std::make_index_sequence<features_in::size>{});
            detail::pad_record(examples_, count, out, [](auto& e) -> auto& { return e.labels; }, padding_,
                               std::make_index_sequence<labels_in::size>{});
            return true;
        }

    private:
        typename Upstream::iterator_type upstream_;
        std::size_t size_;
        double padding_;
        bool drop_remainder_;
        std::vector<upstream_element> examples_;
    };
    using iterator_type = iterator;

    iterator make_iterator() const { return iterator(upstream_.make_iterator(), *this); }

private:
    Upstream upstream_;
    std::size_t size_;
    double padding_;
    bool drop_remainder_;
};

}  // namespace est::data
