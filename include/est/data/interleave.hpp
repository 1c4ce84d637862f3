// interleave(fn, {.cycle_length, .block_length, .parallel}): maps each upstream element (e.g. a file
// name) to a dataset and interleaves `cycle_length` of them, `block_length` elements from each in
// turn, in TensorFlow's deterministic order (an exhausted dataset's slot moves the cycle on and is
// refilled from upstream when the cycle returns to it). With `parallel`, every open dataset runs
// ahead on its own thread (tf.data's num_parallel_calls) by up to `buffered_per_dataset` elements
// (records: up to 1 MiB), refilled in bursts (prefetch.hpp); the order stays the same.
#pragma once

#include <est/core/error.hpp>
#include <est/data/buffered_bytes.hpp>
#include <est/data/dataset.hpp>
#include <est/data/parallelism.hpp>
#include <est/data/prefetch.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace est::data {

template <class Upstream, class Fn>
class interleave_dataset : public stages<interleave_dataset<Upstream, Fn>> {
    using inner_dataset = std::remove_cvref_t<std::invoke_result_t<Fn const&, typename Upstream::element_type const&>>;
    static_assert(Dataset<inner_dataset>, "interleave(fn, ...): fn must return a dataset");

public:
    using element_type = typename inner_dataset::element_type;
    /// How far each open dataset runs ahead with `parallel`: two blocks, and at least 256 records
    /// (elements that hold bytes, detail::holds_bytes), up to 1 MiB of them, or 16
    /// elements of other types, so that its thread wakes once per 128 small records taken, not
    /// once per record: records are small, and each wake-up preempts a training step's thread
    /// where the two share the cores (benchmarks/README.md, "Input pipeline"). A block past 512
    /// elements (a whole file a turn) still runs at most 1,024 ahead.
    std::size_t buffered_per_dataset() const {
        constexpr std::size_t at_least = detail::holds_bytes<element_type> ? 256 : 16;
        return std::max<std::size_t>(2 * std::min<std::size_t>(block_length_, 512), at_least);
    }
    static constexpr std::size_t buffered_bytes_per_dataset = std::size_t(1) << 20;

    interleave_dataset(Upstream upstream, Fn fn, std::size_t cycle_length, std::size_t block_length, bool parallel)
        : upstream_(std::move(upstream)),
          fn_(std::move(fn)),
          cycle_length_(cycle_length),
          block_length_(block_length),
          parallel_(parallel) {
        if (cycle_length == 0 || block_length == 0)
            throw error("interleave: cycle_length and block_length must be at least 1, not " +
                        std::to_string(cycle_length) + " and " + std::to_string(block_length));
        if (parallel && cycle_length > max_stage_threads)
            throw error("interleave: a parallel cycle_length of " + std::to_string(cycle_length) +
                        " asks for a thread per open dataset; at most " + std::to_string(max_stage_threads));
    }

    class iterator {
        struct slot {
            // Declared so that iterators are destroyed before the datasets they refer to.
            std::unique_ptr<inner_dataset> dataset;
            std::unique_ptr<prefetch_dataset<inner_dataset>> prefetcher;
            std::optional<typename inner_dataset::iterator_type> plain;
            std::optional<typename prefetch_dataset<inner_dataset>::iterator_type> prefetched;
            bool open() const { return plain || prefetched; }
            bool next(element_type& out) { return plain ? plain->next(out) : prefetched->next(out); }
            void close() {
                prefetched.reset();
                plain.reset();
                prefetcher.reset();
                dataset.reset();
            }
        };

    public:
        iterator(typename Upstream::iterator_type upstream, interleave_dataset const* owner)
            : upstream_(std::move(upstream)), owner_(owner), slots_(owner->cycle_length_) {}

        bool next(element_type& out) {
            while (!end_of_input_ || open_ > 0) {
                auto& s = slots_[cycle_index_];
                if (s.open()) {
                    if (s.next(out)) {
                        if (++block_index_ == owner_->block_length_)
                            advance();
                        return true;
                    }
                    s.close();
                    --open_;
                    advance();
                } else if (!end_of_input_) {
                    if (upstream_.next(input_))
                        open(s);
                    else
                        end_of_input_ = true;
                } else {
                    advance();
                }
            }
            return false;
        }

    private:
        void advance() {
            block_index_ = 0;
            cycle_index_ = (cycle_index_ + 1) % slots_.size();
        }
        void open(slot& s) {
            s.dataset = std::make_unique<inner_dataset>(owner_->fn_(input_));
            if (owner_->parallel_) {
                s.prefetcher = std::make_unique<prefetch_dataset<inner_dataset>>(
                    *s.dataset, owner_->buffered_per_dataset(), buffered_bytes_per_dataset);
                s.prefetched.emplace(s.prefetcher->make_iterator());
            } else {
                s.plain.emplace(s.dataset->make_iterator());
            }
            ++open_;
        }

        typename Upstream::iterator_type upstream_;
        interleave_dataset const* owner_;
        std::vector<slot> slots_;
        typename Upstream::element_type input_{};
        std::size_t cycle_index_ = 0, block_index_ = 0, open_ = 0;
        bool end_of_input_ = false;
    };
    using iterator_type = iterator;

    /// The iterator refers to this dataset, so the dataset must outlive it.
    iterator make_iterator() const { return iterator(upstream_.make_iterator(), this); }

private:
    Upstream upstream_;
    Fn fn_;
    std::size_t cycle_length_, block_length_;
    bool parallel_;
};

}  // namespace est::data
