// Definitions of est/data/parallelism.hpp (see est/core/config.hpp).
#pragma once

#include <est/data/parallelism.hpp>

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
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i)
        workers_.emplace_back([this] {
            lower_pipeline_thread_priority();
            work();
        });
}

EST_DECL thread_pool::~thread_pool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& w : workers_) w.join();
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
