// prefetch(n): a background thread runs the upstream pipeline and keeps up to n elements ready,
// so the consumer (a training step) does not wait for input it could have had. Once the buffer is
// full, the thread sleeps until the consumer has taken half of it, then refills it in one burst:
// where the pipeline shares the cores with the step, every wake-up preempts one of the step's
// threads, so the thread wakes once per n/2 elements rather than once per element (interleave's
// readers also bound the bytes they hold, refilled once half of those are taken). Elements are
// recycled between the two threads, so a steady stream allocates nothing per element. An error
// upstream reaches the consumer at the element where it happened, and the elements after it follow.
#pragma once

#include <est/data/buffered_bytes.hpp>
#include <est/data/dataset.hpp>
#include <est/data/parallelism.hpp>

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace est::data {

template <class Upstream>
class prefetch_dataset : public stages<prefetch_dataset<Upstream>> {
public:
    using element_type = typename Upstream::element_type;

    /// Up to `buffer` elements ahead, and, where `max_bytes` is set, up to that many bytes of them
    /// (detail::buffered_bytes; one element is always let in).
    prefetch_dataset(Upstream upstream, std::size_t buffer, std::size_t max_bytes = 0)
        : upstream_(std::move(upstream)), buffer_(resolve_buffer(buffer)), max_bytes_(max_bytes) {}

    class iterator {
        struct channel {
            std::mutex mutex;
            std::condition_variable changed;
            std::deque<element_type> ready;
            std::deque<std::exception_ptr> failures;  // beside `ready`: the error in place of an element
            std::vector<element_type> spare;          // elements the consumer handed back for reuse
            bool done = false, stopping = false;
            std::size_t capacity = 0, max_bytes = 0;  // max_bytes 0: no limit
            std::size_t bytes = 0;                    // of the elements in `ready`
            bool producer_waits = false;
            bool full() const { return ready.size() >= capacity || (max_bytes != 0 && bytes >= max_bytes); }
            /// A full buffer is refilled once it is down to half of each limit.
            bool refillable() const {
                return ready.size() <= capacity / 2 && (max_bytes == 0 || bytes <= max_bytes / 2);
            }
        };

    public:
        iterator(typename Upstream::iterator_type upstream, std::size_t capacity, std::size_t max_bytes)
            : channel_(std::make_unique<channel>()) {
            channel_->capacity = capacity;
            channel_->max_bytes = max_bytes;
            producer_ = std::thread([c = channel_.get(), upstream = std::move(upstream)]() mutable {
                lower_pipeline_thread_priority();
                element_type element;
                while (true) {
                    std::exception_ptr failure;
                    try {
                        if (!upstream.next(element))
                            break;
                    } catch (...) {  // passed on in the element's place; the upstream goes on or ends
                        failure = std::current_exception();
                    }
                    std::unique_lock lock(c->mutex);
                    if (c->full()) {
                        c->producer_waits = true;
                        c->changed.wait(lock, [&] { return c->stopping || c->refillable(); });
                        c->producer_waits = false;
                    }
                    if (c->stopping)
                        return;
                    c->bytes += detail::buffered_bytes(element);
                    c->ready.push_back(std::move(element));
                    c->failures.push_back(std::move(failure));
                    if (!c->spare.empty()) {
                        element = std::move(c->spare.back());
                        c->spare.pop_back();
                    }
                    c->changed.notify_all();
                }
                std::lock_guard lock(c->mutex);
                c->done = true;
                c->changed.notify_all();
            });
        }
        iterator(iterator&&) noexcept = default;
        iterator& operator=(iterator&&) = delete;
        ~iterator() {
            if (!producer_.joinable())
                return;
            {
                std::lock_guard lock(channel_->mutex);
                channel_->stopping = true;
            }
            channel_->changed.notify_all();
            producer_.join();
        }

        bool next(element_type& out) {
            std::unique_lock lock(channel_->mutex);
            channel_->changed.wait(lock, [&] { return !channel_->ready.empty() || channel_->done; });
            if (channel_->ready.empty())
                return false;
            auto failure = std::move(channel_->failures.front());
            channel_->failures.pop_front();
            channel_->bytes -= detail::buffered_bytes(channel_->ready.front());
            if (!failure)
                std::swap(out, channel_->ready.front());
            channel_->spare.push_back(std::move(channel_->ready.front()));
            channel_->ready.pop_front();
            if (channel_->producer_waits && channel_->refillable())
                channel_->changed.notify_all();
            if (failure)
                std::rethrow_exception(failure);
            return true;
        }

    private:
        std::unique_ptr<channel> channel_;
        std::thread producer_;
    };
    using iterator_type = iterator;

    iterator make_iterator() const { return iterator(upstream_.make_iterator(), buffer_, max_bytes_); }

private:
    Upstream upstream_;
    std::size_t buffer_, max_bytes_;
};

}  // namespace est::data
