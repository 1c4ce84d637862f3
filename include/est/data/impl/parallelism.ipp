// Definitions of est/data/parallelism.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/data/parallelism.hpp>

#include <string>
#include <system_error>

#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace est::data {

EST_DECL void lower_pipeline_thread_priority() {
#if defined(__linux__)
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
#endif
}

EST_DECL thread_pool::thread_pool(std::size_t threads) {
    std::size_t count = std::max<std::size_t>(threads, 1);
    workers_.reserve(count);  // so that only starting a thread can fail below
    try {
        for (std::size_t i = 0; i < count; ++i)
            workers_.emplace_back([this] {
                lower_pipeline_thread_priority();
                work();
            });
    } catch (std::system_error const& e) {  // the threads started so far end before the error leaves
        stop();
        throw error("a pipeline thread pool: starting thread " + std::to_string(workers_.size() + 1) + " of " +
                    std::to_string(count) + " failed: " + e.what());
    }
}

EST_DECL thread_pool::~thread_pool() { stop(); }

EST_DECL void thread_pool::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
}

EST_DECL void thread_pool::work() {
    while (true) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
            if (tasks_.empty())
                return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        task();
    }
}

}  // namespace est::data
