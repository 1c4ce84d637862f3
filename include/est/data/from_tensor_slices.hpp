// from_tensor_slices: a dataset over tensors in memory, one example per slice along the first
// dimension (tf.data.Dataset.from_tensor_slices, the numpy_input_fn of TF 1). Each field declares
// its example shape: `"image"_f = slices<shape<28, 28, 1>>(images)`.
#pragma once

#include <est/core/error.hpp>
#include <est/core/record.hpp>
#include <est/core/tensor.hpp>
#include <est/data/dataset.hpp>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

namespace est::data {

/// A tensor cut into examples of static shape `S` along its first dimension. Shared, not copied,
/// between the datasets made from it.
template <class T, Shape S>
struct tensor_slices {
    using value_type = T;
    using shape_type = S;
    std::shared_ptr<xt::xtensor<T, 2> const> rows;  // (examples, S::size)

    std::size_t count() const { return rows ? rows->shape()[0] : 0; }
};

/// Slices `tensor` (any xtensor expression with examples along dimension 0) into examples of
/// shape `S`. The values of one example must number S::size: (n, 28, 28) fits shape<28, 28, 1>.
template <Shape S, class E>
auto slices(E const& tensor) {
    auto const& t = tensor;
    using T = typename std::decay_t<decltype(t)>::value_type;
    std::size_t n = t.dimension() == 0 ? 0 : t.shape()[0];
    std::size_t per_example = n ? t.size() / n : 0;
    if (t.dimension() == 0 || per_example != S::size)
        throw error("from_tensor_slices: a tensor of " + std::to_string(t.size()) + " values in " + std::to_string(n) +
                    " examples does not slice into examples of shape " + S::to_string());
    auto rows = std::make_shared<xt::xtensor<T, 2>>(xt::xtensor<T, 2>::from_shape({n, S::size}));
    std::copy(t.begin(), t.end(), rows->begin());
    return tensor_slices<T, S>{std::move(rows)};
}

namespace detail {
template <class Named>
struct example_named;
template <fixed_string Name, class T, class S>
struct example_named<named<Name, tensor_slices<T, S>>> {
    using type = named<Name, example_value_t<T, S>>;
};
template <class R>
struct example_record;
template <class... Named>
struct example_record<record<Named...>> {
    using type = record<typename example_named<Named>::type...>;
};

template <class T, class S, class V>
void load_example(tensor_slices<T, S> const& source, std::size_t index, V& value) {
    T const* row = source.rows->data() + index * S::size;
    if constexpr (S::rank == 0)
        value = *row;
    else
        std::copy_n(row, S::size, value.data());
}

template <class... Sources, class... Values>
void load_record(record<Sources...> const& sources, std::size_t index, record<Values...>& values) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (load_example(std::get<I>(sources.entries).value, index, std::get<I>(values.entries).value), ...);
    }
    (std::index_sequence_for<Sources...>{});
}
}  // namespace detail

template <class Features, class Labels>
class tensor_slices_dataset : public stages<tensor_slices_dataset<Features, Labels>> {
public:
    using element_type =
        example<typename detail::example_record<Features>::type, typename detail::example_record<Labels>::type>;

    tensor_slices_dataset(Features features, Labels labels)
        : features_(std::move(features)), labels_(std::move(labels)) {
        std::string first;
        auto check = [&](std::string_view name, auto const& source) {
            if (first.empty()) {
                first = std::string(name);
                count_ = source.count();
            } else if (source.count() != count_) {
                throw error("from_tensor_slices: field '" + std::string(name) + "' has " +
                            std::to_string(source.count()) + " examples but '" + first + "' has " +
                            std::to_string(count_));
            }
        };
        features_.for_each(check);
        labels_.for_each(check);
    }

    std::size_t size() const { return count_; }

    class iterator {
    public:
        explicit iterator(tensor_slices_dataset const* dataset) : dataset_(dataset) {}
        bool next(element_type& out) {
            if (index_ >= dataset_->count_)
                return false;
            detail::load_record(dataset_->features_, index_, out.features);
            detail::load_record(dataset_->labels_, index_, out.labels);
            ++index_;
            return true;
        }

    private:
        tensor_slices_dataset const* dataset_;
        std::size_t index_ = 0;
    };
    using iterator_type = iterator;

    /// The iterator refers to this dataset, which must outlive it.
    iterator make_iterator() const { return iterator(this); }

private:
    Features features_;
    Labels labels_;
    std::size_t count_ = 0;
};

/// A dataset of the slices of `features` and `labels`, records of `name = slices<S>(tensor)`.
template <class... F, class... L>
auto from_tensor_slices(record<F...> features, record<L...> labels = {}) {
    return tensor_slices_dataset<record<F...>, record<L...>>(std::move(features), std::move(labels));
}

}  // namespace est::data
