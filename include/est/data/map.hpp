// map(fn) and map(fn, parallel_calls(n)): transforms each element; the element type of the result
// is what fn returns. fn takes the element, or the element and its index in the pass (a seed for
// random augmentation that does not depend on which thread runs it). With parallel calls, n
// workers transform elements ahead of the consumer and the results come out in input order, so the
// sequence is the same for any n (tf.data's deterministic=True). Workers take elements in chunks of
// 32, ahead of the consumer by up to two chunks per worker, and hand the inputs back with the
// results, so that records keep their buffers upstream. An error of fn, or of the upstream,
// arrives at its element's place, and the elements after it follow (ignore_errors skips it).
#pragma once

#include <est/core/error.hpp>
#include <est/data/buffered_bytes.hpp>
#include <est/data/dataset.hpp>
#include <est/data/parallelism.hpp>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <deque>
#include <exception>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace est::data {

namespace detail {
template <class Fn, class In>
decltype(auto) call_map_fn(Fn const& fn, In const& element, std::uint64_t index) {
    if constexpr (std::is_invocable_v<Fn const&, In const&, std::uint64_t>)
        return fn(element, index);
    else
        return fn(element);
}

/// call_map_fn, and an est::error it throws names the element's origin when the element knows it
/// (a serialized_record: file, record and offset).
template <class Fn, class In>
decltype(auto) call_map_fn_naming_origin(Fn const& fn, In const& element, std::uint64_t index) {
    if constexpr (requires { { element.origin() } -> std::convertible_to<std::string>; }) {
        try {
            return call_map_fn(fn, element, index);
        } catch (error const& e) {
            throw error(element.origin() + ": " + e.what());
        }
    } else {
        return call_map_fn(fn, element, index);
    }
}
/// Starts fetching a record's bytes into the cache while the one before it is transformed:
/// records reach a map from a shuffle buffer far larger than the caches, and their first reads
/// would otherwise wait on memory. Other elements are left alone.
template <class In>
void fetch_ahead(In const& element) {
    if constexpr (holds_bytes<In>) {
        std::string_view bytes = element;
        for (std::size_t at = 0; at < std::min<std::size_t>(bytes.size(), 4096); at += 64)
            __builtin_prefetch(bytes.data() + at);
    }
}

template <class Fn, class In>
using map_result_t =
    std::remove_cvref_t<decltype(call_map_fn(std::declval<Fn const&>(), std::declval<In const&>(), 0))>;
}  // namespace detail

template <class Upstream, class Fn>
class map_dataset : public stages<map_dataset<Upstream, Fn>> {
    using input_type = typename Upstream::element_type;

public:
    using element_type = detail::map_result_t<Fn, input_type>;

    map_dataset(Upstream upstream, Fn fn, std::size_t parallel_calls = 1)
        : upstream_(std::move(upstream)), fn_(std::move(fn)), threads_(resolve_threads(parallel_calls)) {}

    class iterator {
        // Workers take elements in chunks, so that handing work between threads costs little
        // beside even a cheap fn (parsing a record takes microseconds).
        static constexpr std::size_t chunk_size = 32;
        struct chunk {
            // The inputs come back with their results and are read into again, so that elements
            // that own memory (a record's bytes) keep it: the upstream then reads into that memory
            // rather than allocating for every element.
            std::vector<input_type> inputs;
            std::vector<element_type> outputs;
            std::vector<std::pair<std::size_t, std::exception_ptr>> failures;  // by position, ascending
        };

    public:
        iterator(typename Upstream::iterator_type upstream, Fn const* fn, std::size_t threads)
            : upstream_(std::move(upstream)),
              fn_(fn),
              window_(threads > 1 ? 2 * threads : 0),
              pool_(threads > 1 ? std::make_unique<thread_pool>(threads) : nullptr) {}

        bool next(element_type& out) {
            if (!pool_) {
                if (!upstream_.next(input_))
                    return false;
                out = detail::call_map_fn_naming_origin(*fn_, input_, index_++);
                return true;
            }
            if (position_ < current_.outputs.size()) {
                std::size_t at = position_++;
                if (failure_ < current_.failures.size() && current_.failures[failure_].first == at)
                    std::rethrow_exception(current_.failures[failure_++].second);
                std::swap(out, current_.outputs[at]);
                return true;
            }
            while (!exhausted_ && in_flight_.size() < window_) submit_chunk();
            if (in_flight_.empty())
                return false;
            auto result = std::move(in_flight_.front());
            in_flight_.pop_front();
            spare_inputs_ = std::move(current_.inputs);
            current_ = result.get();  // rethrows an upstream error, which comes after its chunk
            position_ = 0;
            failure_ = 0;
            if (!exhausted_)
                submit_chunk();
            return next(out);
        }

    private:
        /// Reads up to chunk_size inputs and hands them to a worker; an upstream error ends the
        /// chunk and is reported after the elements read before it (reading goes on after it).
        void submit_chunk() {
            std::vector<input_type> inputs = std::move(spare_inputs_);
            std::size_t count = 0;
            std::exception_ptr failure;
            try {
                for (; count < chunk_size; ++count) {
                    if (count == inputs.size())
                        inputs.emplace_back();
                    if (!upstream_.next(inputs[count])) {
                        exhausted_ = true;
                        break;
                    }
                }
            } catch (...) {
                failure = std::current_exception();
            }
            inputs.resize(count);
            if (count == 0 && !failure)
                return;
            in_flight_.push_back(
                pool_->submit([fn = fn_, inputs = std::move(inputs), first = index_, failure]() mutable -> chunk {
                    if (failure && inputs.empty())
                        std::rethrow_exception(failure);
                    chunk result;
                    result.outputs.reserve(inputs.size());
                    for (std::size_t i = 0; i < inputs.size(); ++i) {
                        if (i + 1 < inputs.size())
                            detail::fetch_ahead(inputs[i + 1]);
                        try {
                            result.outputs.push_back(detail::call_map_fn_naming_origin(*fn, inputs[i], first + i));
                        } catch (...) {
                            result.outputs.emplace_back();
                            result.failures.emplace_back(i, std::current_exception());
                        }
                    }
                    result.inputs = std::move(inputs);
                    return result;
                }));
            index_ += count;
            if (failure && count > 0) {  // the error comes after this chunk's elements
                std::promise<chunk> failed;
                failed.set_exception(failure);
                in_flight_.push_back(failed.get_future());
            }
        }

        typename Upstream::iterator_type upstream_;
        Fn const* fn_;
        std::uint64_t index_ = 0;
        input_type input_{};
        std::size_t window_;
        bool exhausted_ = false;
        std::deque<std::future<chunk>> in_flight_;
        chunk current_;
        std::vector<input_type> spare_inputs_;  // the last consumed chunk's, read into next
        std::size_t position_ = 0, failure_ = 0;
        std::unique_ptr<thread_pool> pool_;  // last: joined first, while the futures' states live
    };
    using iterator_type = iterator;

    /// The iterator refers to this dataset's function, so the dataset must outlive it.
    iterator make_iterator() const { return iterator(upstream_.make_iterator(), &fn_, threads_); }

private:
    Upstream upstream_;
    Fn fn_;
    std::size_t threads_;
};

}  // namespace est::data
