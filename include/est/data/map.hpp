// map(fn): transforms each element; the element type of the result is what fn returns.
#pragma once

#include <est/data/dataset.hpp>

#include <type_traits>
#include <utility>

namespace est::data {

template <class Upstream, class Fn>
class map_dataset : public stages<map_dataset<Upstream, Fn>> {
public:
    using element_type = std::remove_cvref_t<std::invoke_result_t<Fn const&, typename Upstream::element_type const&>>;

    map_dataset(Upstream upstream, Fn fn) : upstream_(std::move(upstream)), fn_(std::move(fn)) {}

    class iterator {
    public:
        iterator(typename Upstream::iterator_type upstream, Fn const* fn) : upstream_(std::move(upstream)), fn_(fn) {}
        bool next(element_type& out) {
            if (!upstream_.next(input_))
                return false;
            out = (*fn_)(input_);
            return true;
        }

    private:
        typename Upstream::iterator_type upstream_;
        Fn const* fn_;
        typename Upstream::element_type input_;
    };
    using iterator_type = iterator;

    /// The iterator refers to this dataset's function, so the dataset must outlive it.
    iterator make_iterator() const { return iterator(upstream_.make_iterator(), &fn_); }

private:
    Upstream upstream_;
    Fn fn_;
};

}  // namespace est::data
