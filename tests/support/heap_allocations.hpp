// Counts of the process's heap allocations, where tests/support/heap_allocations.cpp interposes the
// whole malloc family (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign, valloc,
// pvalloc) and so every operator new (est_tests and the benchmarks; not the sanitized tests, whose
// allocator must stay ASan's). Allocations made while oneDNN's library code is on the call stack are
// counted apart: oneDNN builds a hash map of a primitive's arguments, and a closure for its parallel
// loops, on every execution.
#pragma once

#include <cstddef>

namespace test {

struct allocation_counts {
    std::size_t total = 0;   ///< every allocation
    std::size_t onednn = 0;  ///< those made inside oneDNN's library code
    std::size_t outside_onednn() const { return total - onednn; }
};

/// Allocations so far in this process (from the first call on for `onednn`: attribution starts
/// then).
allocation_counts heap_allocations();

inline allocation_counts operator-(allocation_counts a, allocation_counts b) {
    return {a.total - b.total, a.onednn - b.onednn};
}

}  // namespace test
