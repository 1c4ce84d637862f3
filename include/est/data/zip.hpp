// zip(a, b): pairs the elements of two datasets; ends with the shorter one.
#pragma once

#include <est/data/dataset.hpp>

#include <utility>

namespace est::data {

template <class A, class B>
class zip_dataset : public stages<zip_dataset<A, B>> {
public:
    using element_type = std::pair<typename A::element_type, typename B::element_type>;

    zip_dataset(A a, B b) : a_(std::move(a)), b_(std::move(b)) {}

    class iterator {
    public:
        iterator(typename A::iterator_type a, typename B::iterator_type b) : a_(std::move(a)), b_(std::move(b)) {}
        bool next(element_type& out) { return a_.next(out.first) && b_.next(out.second); }

    private:
        typename A::iterator_type a_;
        typename B::iterator_type b_;
    };
    using iterator_type = iterator;

    iterator make_iterator() const { return iterator(a_.make_iterator(), b_.make_iterator()); }

private:
    A a_;
    B b_;
};

/// The elements of `a` and `b` in pairs.
template <Dataset A, Dataset B>
zip_dataset<A, B> zip(A a, B b) {
    return {std::move(a), std::move(b)};
}

}  // namespace est::data
