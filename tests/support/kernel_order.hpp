// est::host with every dense kernel stored in one order, whatever this CPU's dense product prefers
// (host/dense_product.hpp, preferred_order), so that tests run both orders on every CPU and
// benchmarks compare them in one process.
#pragma once

#include <est/host/backend.hpp>

#include <cstddef>

namespace test {

/// est::host with every dense kernel stored in `Order`; with `AlwaysFused`, every inference pass
/// runs the fused matmul (oneDNN's gemm-based one where it has no brgemm kernels), so that the
/// layer's fused path runs on every CPU too.
template <est::kernel_order Order, bool AlwaysFused = false>
struct host_with_kernels : est::host {
    struct dense_product : est::host::dense_product {
        using est::host::dense_product::dense_product;
        static est::kernel_order preferred_order(std::size_t, std::size_t) { return Order; }
        bool faster_at(std::size_t batch) { return AlwaysFused || est::host::dense_product::faster_at(batch); }
    };
};

}  // namespace test
