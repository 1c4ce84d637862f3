// How many threads and buffered elements a pipeline stage uses: a number, or `autotune`, which
// picks from the machine's cores as tf.data.AUTOTUNE does.
#pragma once

#include <est/core/config.hpp>
#include <est/core/error.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace est::data {

/// Called first on every thread a pipeline starts: on Linux it lowers the thread's priority (nice
/// +10), so that where the pipeline and the training step share the cores, the scheduler runs the
/// step's OpenMP threads first and the pipeline in the time they leave (a preempted OpenMP thread
/// stalls every thread of its parallel region). A pipeline that falls behind still runs: the step
/// then blocks on it and frees the cores.
EST_DECL void lower_pipeline_thread_priority();

/// `parallel_calls(autotune)` or `prefetch(autotune)`: chosen from std::thread::hardware_concurrency().
inline constexpr std::size_t autotune = 0;

/// Whether a requested count means autotune: 0, or -1 (tf.data.AUTOTUNE's value), so that
/// `prefetch(-1)` ported from Python does not ask for an unbounded buffer.
inline constexpr bool is_autotune(std::size_t requested) {
    return requested == autotune || requested == std::size_t(-1);
}

/// The most threads one stage starts: more is a mistake (a count read from the wrong place), and
/// would exhaust the process's threads rather than speed anything.
inline constexpr std::size_t max_stage_threads = 1024;

/// The worker threads of parallel_calls(n) (autotune: one per core).
inline std::size_t resolve_threads(std::size_t requested) {
    if (is_autotune(requested))
        return std::max<std::size_t>(1, std::thread::hardware_concurrency());
    if (requested > max_stage_threads)
        throw error("parallel_calls(" + std::to_string(requested) + "): at most " + std::to_string(max_stage_threads) +
                    " threads, or autotune");
    return requested;
}

/// The buffer of prefetch(n) (autotune: two elements per core, at least 2).
inline std::size_t resolve_buffer(std::size_t requested) {
    return !is_autotune(requested) ? requested : std::max<std::size_t>(2, 2 * std::thread::hardware_concurrency());
}

/// A fixed set of worker threads running submitted tasks in submission order of start.
class thread_pool {
public:
    EST_DECL explicit thread_pool(std::size_t threads);
    thread_pool(thread_pool const&) = delete;
    thread_pool& operator=(thread_pool const&) = delete;
    EST_DECL ~thread_pool();

    /// Runs `task` on a worker; its result (or exception) arrives through the future.
    template <class F>
    auto submit(F task) -> std::future<decltype(task())> {
        auto packaged = std::make_shared<std::packaged_task<decltype(task())()>>(std::move(task));
        auto result = packaged->get_future();
        {
            std::lock_guard lock(mutex_);
            tasks_.emplace_back([packaged] { (*packaged)(); });
        }
        ready_.notify_one();
        return result;
    }

private:
    EST_DECL void work();
    /// Ends the workers once the queued tasks have run, and joins them.
    EST_DECL void stop();

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace est::data

#if defined(EST_DEFINITIONS)
#include <est/data/impl/parallelism.ipp>
#endif
