// take(n), skip(n) and shard(num_shards, index): which elements of a pass are kept, by position.
#pragma once

#include <est/core/error.hpp>
#include <est/data/dataset.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

namespace est::data {

/// Elements at positions skip, skip + stride, ... of the pass, at most `count` of them.
template <class Upstream>
class slice_dataset : public stages<slice_dataset<Upstream>> {
public:
    using element_type = typename Upstream::element_type;

    slice_dataset(Upstream upstream, std::uint64_t skip, std::uint64_t stride, std::uint64_t count)
        : upstream_(std::move(upstream)), skip_(skip), stride_(stride ? stride : 1), count_(count) {}

    class iterator {
    public:
        iterator(typename Upstream::iterator_type upstream, slice_dataset const& s)
            : upstream_(std::move(upstream)), skip_(s.skip_), stride_(s.stride_), left_(s.count_) {}
        bool next(element_type& out) {
            if (left_ == 0)
                return false;
            for (; skip_ > 0; --skip_)
                if (!upstream_.next(out))
                    return left_ = 0, false;
            if (!upstream_.next(out))
                return left_ = 0, false;
            skip_ = stride_ - 1;
            --left_;
            return true;
        }

    private:
        typename Upstream::iterator_type upstream_;
        std::uint64_t skip_, stride_, left_;
    };
    using iterator_type = iterator;

    iterator make_iterator() const { return iterator(upstream_.make_iterator(), *this); }

private:
    Upstream upstream_;
    std::uint64_t skip_, stride_, count_;
};

namespace detail {
inline void check_shard(std::uint64_t num_shards, std::uint64_t index) {
    if (num_shards == 0 || index >= num_shards)
        throw error("shard(" + std::to_string(num_shards) + ", " + std::to_string(index) +
                    "): the index must be below the number of shards");
}
inline constexpr std::uint64_t unlimited = std::numeric_limits<std::uint64_t>::max();
}  // namespace detail

template <class Derived>
auto stages<Derived>::shard(std::uint64_t num_shards, std::uint64_t index) const {
    detail::check_shard(num_shards, index);
    return slice_dataset<Derived>(self(), index, num_shards, detail::unlimited);
}

}  // namespace est::data
