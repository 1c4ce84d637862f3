// ignore_errors(): drops the elements whose making failed with an est::error (a record with a
// corrupt CRC, an Example that does not parse, an image that does not decode), as tf.data's
// ignore_errors, and counts them. Every stage passes an error on at its element's place and then
// goes on with the next element, or ends where it cannot go on (a TFRecord file whose framing is
// lost ends there), so skipping an error never repeats it. Other exceptions (out of memory, a
// logic error in a map function) are not ignored.
#pragma once

#include <est/core/error.hpp>
#include <est/data/dataset.hpp>

#include <cstdint>
#include <cstdio>
#include <utility>

namespace est::data {

template <class Upstream>
class ignore_errors_dataset : public stages<ignore_errors_dataset<Upstream>> {
public:
    using element_type = typename Upstream::element_type;

    ignore_errors_dataset(Upstream upstream, ignore_errors_options options)
        : upstream_(std::move(upstream)), options_(options) {}

    class iterator {
    public:
        iterator(typename Upstream::iterator_type upstream, ignore_errors_options options)
            : upstream_(std::move(upstream)), options_(options) {}

        bool next(element_type& out) {
            while (true) {
                try {
                    return upstream_.next(out);
                } catch (error const& e) {
                    ++ignored_;
                    if (options_.count)
                        ++*options_.count;
                    if (options_.log_warning)
                        std::fprintf(stderr, "est: ignore_errors dropped an element: %s\n", e.what());
                }
            }
        }

        /// The elements this pass dropped so far.
        std::uint64_t ignored() const { return ignored_; }

    private:
        typename Upstream::iterator_type upstream_;
        ignore_errors_options options_;
        std::uint64_t ignored_ = 0;
    };
    using iterator_type = iterator;

    iterator make_iterator() const { return iterator(upstream_.make_iterator(), options_); }

private:
    Upstream upstream_;
    ignore_errors_options options_;
};

}  // namespace est::data
