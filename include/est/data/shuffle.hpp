// shuffle(buffer_size, seed): tf.data's buffered shuffle. The buffer fills with the first
// elements; each output is a uniformly chosen buffer slot, refilled from upstream. A finished
// pass hands its buffer to the next one (repeat starts a new pass per epoch), so a steady
// stream allocates no new buffer.
#pragma once

#include <est/core/error.hpp>
#include <est/core/random.hpp>
#include <est/data/dataset.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace est::data {

template <class Upstream>
class shuffle_dataset : public stages<shuffle_dataset<Upstream>> {
public:
    using element_type = typename Upstream::element_type;

private:
    /// The buffer of the last finished pass, for the next one.
    struct spare_buffer {
        std::mutex mutex;
        std::vector<element_type> buffer;
    };

public:
    shuffle_dataset(Upstream upstream, std::size_t buffer_size, std::uint64_t seed, bool reshuffle_each_iteration)
        : upstream_(std::move(upstream)),
          buffer_size_(buffer_size),
          seed_(seed),
          reshuffle_(reshuffle_each_iteration),
          passes_(std::make_shared<std::uint64_t>(0)),
          spare_(std::make_shared<spare_buffer>()) {
        if (buffer_size == 0)
            throw error("shuffle: the buffer size must be at least 1, not 0");
    }

    class iterator {
    public:
        iterator(typename Upstream::iterator_type upstream, std::size_t buffer_size, std::uint64_t seed,
                 std::shared_ptr<spare_buffer> spare)
            : upstream_(std::move(upstream)), buffer_size_(buffer_size), engine_(seed), spare_(std::move(spare)) {
            std::lock_guard lock(spare_->mutex);
            buffer_ = std::move(spare_->buffer);
            buffer_.clear();
        }
        iterator(iterator&&) = default;
        iterator& operator=(iterator&&) = default;
        ~iterator() {
            if (!spare_)
                return;
            std::lock_guard lock(spare_->mutex);
            if (buffer_.capacity() > spare_->buffer.capacity())
                spare_->buffer = std::move(buffer_);
        }

        bool next(element_type& out) {
            if (!filled_) {
                // Reserved up to 64 MiB, grown past it as elements arrive: a buffer larger than
                // the data (shuffle(n) with n past the dataset's size) costs only the data.
                buffer_.reserve(std::min(buffer_size_, std::max<std::size_t>(1, (64 << 20) / sizeof(element_type))));
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
        std::shared_ptr<spare_buffer> spare_;
        std::vector<element_type> buffer_;
        bool filled_ = false;
    };
    using iterator_type = iterator;

    iterator make_iterator() const {
        std::uint64_t pass = reshuffle_ ? (*passes_)++ : 0;
        return iterator(upstream_.make_iterator(), buffer_size_, derive_seed(seed_, pass), spare_);
    }

private:
    Upstream upstream_;
    std::size_t buffer_size_;
    std::uint64_t seed_;
    bool reshuffle_;
    std::shared_ptr<std::uint64_t> passes_;  // shared by copies: each pass of any copy reshuffles
    std::shared_ptr<spare_buffer> spare_;
};

}  // namespace est::data
