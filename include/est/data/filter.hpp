// filter(predicate): keeps the elements for which predicate(element) is true.
#pragma once

#include <est/data/dataset.hpp>

#include <utility>

namespace est::data {

template <class Upstream, class Predicate>
class filter_dataset : public stages<filter_dataset<Upstream, Predicate>> {
public:
    using element_type = typename Upstream::element_type;

    filter_dataset(Upstream upstream, Predicate predicate)
        : upstream_(std::move(upstream)), predicate_(std::move(predicate)) {}

    class iterator {
    public:
        iterator(typename Upstream::iterator_type upstream, Predicate const* predicate)
            : upstream_(std::move(upstream)), predicate_(predicate) {}
        bool next(element_type& out) {
            while (upstream_.next(out))
                if ((*predicate_)(std::as_const(out)))
                    return true;
            return false;
        }

    private:
        typename Upstream::iterator_type upstream_;
        Predicate const* predicate_;
    };
    using iterator_type = iterator;

    /// The iterator refers to this dataset's predicate, so the dataset must outlive it.
    iterator make_iterator() const { return iterator(upstream_.make_iterator(), &predicate_); }

private:
    Upstream upstream_;
    Predicate predicate_;
};

}  // namespace est::data
