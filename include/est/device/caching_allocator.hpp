// A caching allocator for a device's memory, as PyTorch's CUDA allocator is: a freed block stays
// with est and the next request of its size class takes it back, so a steady training step
// (workspaces, the partial sums of a reduction, a prediction's staging buffer) calls the device's
// allocator only on its first pass. When the device is out of memory, the cached blocks are released
// and the request tried once more before it fails.
#pragma once

#include <est/core/error.hpp>

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace est::detail {

/// Caches the blocks of `Raw`, which has
///   static void* try_allocate(std::size_t bytes)    nullptr when the device is out of memory
///   static void release(void* block)               gives a block back to the device
///   static std::string describe()                  the device, for messages ("CUDA device 0 (...)")
template <class Raw>
class caching_allocator {
public:
    caching_allocator() = default;
    caching_allocator(caching_allocator const&) = delete;
    caching_allocator& operator=(caching_allocator const&) = delete;
    ~caching_allocator() { release_cached(); }

    /// The allocator every buffer of Raw's device shares.
    static caching_allocator& instance() {
        static caching_allocator allocator;
        return allocator;
    }

    /// A block of at least `bytes` bytes (a cached one of its size class where there is one).
    void* allocate(std::size_t bytes) {
        std::size_t size = size_class(bytes);
        std::lock_guard lock(mutex_);
        if (auto cached = free_.find(size); cached != free_.end()) {
            void* block = cached->second;
            free_.erase(cached);
            cached_bytes_ -= size;
            live_.emplace(block, size);
            return block;
        }
        void* block = Raw::try_allocate(size);
        if (!block) {
            release_cached_locked();
            block = Raw::try_allocate(size);
        }
        if (!block)
            throw error("est: out of memory on " + Raw::describe() + ": allocating " + std::to_string(bytes) +
                        " bytes; est holds " + std::to_string(reserved_bytes_ - cached_bytes_) +
                        " bytes in its buffers");
        ++device_allocations_;
        live_.emplace(block, size);
        reserved_bytes_ += size;
        return block;
    }

    /// Returns a block to the cache.
    void deallocate(void* block, std::size_t) {
        if (!block)
            return;
        std::lock_guard lock(mutex_);
        auto live = live_.find(block);
        if (live == live_.end())
            throw error("est: a block not allocated by est's allocator of " + Raw::describe() + " was freed");
        free_.emplace(live->second, block);
        cached_bytes_ += live->second;
        live_.erase(live);
    }

    /// Gives every cached block back to the device.
    void release_cached() {
        std::lock_guard lock(mutex_);
        release_cached_locked();
    }

    /// Calls to the device's allocator so far: constant over steady training steps.
    std::size_t device_allocations() const {
        std::lock_guard lock(mutex_);
        return device_allocations_;
    }
    /// Bytes in blocks est holds (in use or cached).
    std::size_t reserved_bytes() const {
        std::lock_guard lock(mutex_);
        return reserved_bytes_;
    }

    /// Requests are rounded up to 512 bytes, and above 1 MiB to a multiple of 1 MiB, so that buffers
    /// of nearly the same size share blocks.
    static constexpr std::size_t size_class(std::size_t bytes) {
        constexpr std::size_t small = 512, large = std::size_t(1) << 20;
        std::size_t unit = bytes > large ? large : small;
        return bytes == 0 ? small : (bytes + unit - 1) / unit * unit;
    }

private:
    void release_cached_locked() {
        for (auto& [size, block] : free_) {
            Raw::release(block);
            reserved_bytes_ -= size;
        }
        free_.clear();
        cached_bytes_ = 0;
    }

    mutable std::mutex mutex_;
    std::multimap<std::size_t, void*> free_;       // size class -> cached block
    std::unordered_map<void*, std::size_t> live_;  // block -> size class
    std::size_t reserved_bytes_ = 0, cached_bytes_ = 0, device_allocations_ = 0;
};

}  // namespace est::detail
