// shuffle(buffer_size, seed): tf.data's buffered shuffle. The buffer fills with the first
// elements; each output is a uniformly chosen buffer slot, refilled from upstream.
#pragma once

#include <est/core/random.hpp>
#include <est/data/dataset.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace est::data {

template <class Upstream>
class shuffle_dataset : public stages<shuffle_dataset<Upstream>> {
public:
    using element_type = typename Upstream::element_type;

    shuffle_dataset(Upstream upstream, std::size_t buffer_size, std::uint64_t seed, bool reshuffle_each_iteration)
        : upstream_(std::move(upstream)),
          buffer_size_(buffer_size ? buffer_size : 1),
          seed_(seed),
          reshuffle_(reshuffle_each_iteration),
          passes_(std::make_shared<std::uint64_t>(0)) {}

    class iterator {
    public:
        iterator(typename Upstream::iterator_type upstream, std::size_t buffer_size, std::uint64_t seed)
            : upstream_(std::move(upstream)), buffer_size_(buffer_size), engine_(seed) {}

        bool next(element_type& out) {
            if (!filled_) {
                buffer_.reserve(buffer_size_);
                element_type element;
                while (buffer_.size() < buffer_size_ && upstream_.next(element)) buffer_.push_back(element);
                filled_ = true;
            }
            if (buffer_.empty())
                return false;
            std::size_t pick = engine_.below(buffer_.size());
            std::swap(out, buffer_[pick]);
            if (!upstream_.next(buffer_[pick])) {
                std::swap(buffer_[pick], buffer_.back());
                buffer_.pop_back();
            }
            return true;
        }

    private:
        typename Upstream::iterator_type upstream_;
        std::size_t buffer_size_;
        random_engine engine_;
        std::vector<element_type> buffer_;
        bool filled_ = false;
    };
    using iterator_type = iterator;

    iterator make_iterator() const {
        std::uint64_t pass = reshuffle_ ? (*passes_)++ : 0;
        return iterator(upstream_.make_iterator(), buffer_size_, derive_seed(seed_, pass));
    }

private:
    Upstream upstream_;
    std::size_t buffer_size_;
    std::uint64_t seed_;
    bool reshuffle_;
    std::shared_ptr<std::uint64_t> passes_;  // shared by copies: each pass of any copy reshuffles
};

}  // namespace est::data
