// repeat(count): passes over the upstream dataset `count` times (forever when negative).
#pragma once

#include <est/data/dataset.hpp>

#include <cstdint>
#include <optional>
#include <utility>

namespace est::data {

template <class Upstream>
class repeat_dataset : public stages<repeat_dataset<Upstream>> {
public:
    using element_type = typename Upstream::element_type;

    repeat_dataset(Upstream upstream, std::int64_t count) : upstream_(std::move(upstream)), count_(count) {}

    class iterator {
    public:
        iterator(Upstream const* dataset, std::int64_t count) : dataset_(dataset), remaining_(count) { start(); }

        bool next(element_type& out) {
            while (current_) {
                if (current_->next(out)) {
                    produced_ = true;
                    return true;
                }
                if (!produced_)
                    return false;  // an empty upstream would loop forever
                start();
            }
            return false;
        }

    private:
        void start() {
            current_.reset();
            produced_ = false;
            if (remaining_ == 0)
                return;
            if (remaining_ > 0)
                --remaining_;
            current_.emplace(dataset_->make_iterator());
        }
        Upstream const* dataset_;
        std::int64_t remaining_;
        std::optional<typename Upstream::iterator_type> current_;
        bool produced_ = false;
    };
    using iterator_type = iterator;

    /// The iterator refers to this dataset, which must outlive it.
    iterator make_iterator() const { return iterator(&upstream_, count_); }

private:
    Upstream upstream_;
    std::int64_t count_;
};

}  // namespace est::data
