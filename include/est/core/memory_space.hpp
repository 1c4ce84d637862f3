// Where a tensor's values live. The memory space is part of every view's type, as CuTe's gmem_ptr
// and smem_ptr are, so that handing host memory to a device kernel (or the reverse) does not compile.
#pragma once

#include <est/core/error.hpp>

#include <string_view>
#include <type_traits>

namespace est {

/// Memory the CPU reads and writes: what the input pipeline, hooks and checkpoints use.
struct host_memory {
    static constexpr std::string_view name = "host memory";
};

/// Memory of an accelerator (a CUDA device), reachable only through its back end's kernels and copies.
struct device_memory {
    static constexpr std::string_view name = "device memory";
};

/// One of est's memory spaces.
template <class T>
concept MemorySpace = std::is_same_v<T, host_memory> || std::is_same_v<T, device_memory>;

/// The mistake of handing a batch in one memory space to code that runs in another: `Expected` is
/// where the back end's kernels read, `Given` where the batch lives.
template <class Expected, class Given>
struct memory_space_mismatch {
    static_assert(detail::always_false<Expected>,
                  "est: a batch is in another memory space than the back end that reads it; "
                  "memory_space_mismatch<back end's memory, batch's memory> names both");
    static constexpr bool reported = true;
};

}  // namespace est
