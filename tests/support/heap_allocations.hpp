// A count of the process's operator new calls, where tests/support/heap_allocations.cpp replaces
// the global operator new (est_tests and benchmarks/training_throughput; not the sanitized tests,
// whose allocator must stay ASan's).
#pragma once

#include <cstddef>

namespace test {

/// operator new calls so far in this process.
std::size_t heap_allocations();

}  // namespace test
