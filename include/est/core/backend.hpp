// The host back end: element-wise kernels are Thrust algorithms run by Thrust's OpenMP system
// (its sequential system where OpenMP is off); matrix products go through xtensor-blas.
#pragma once

#include <est/core/xtensor_config.hpp>

#include <xtensor-blas/xblas.hpp>

#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/system/cpp/execution_policy.h>
#if defined(_OPENMP)
#include <thrust/system/omp/execution_policy.h>
#endif

#include <cstddef>

namespace est {

/// Back end policy for host memory; kernels are written once against this interface.
struct host {
    static constexpr char const* name = "host";

    /// The Thrust execution policy of host kernels.
    static auto policy() {
#if defined(_OPENMP)
        return thrust::omp::par;
#else
        return thrust::cpp::par;
#endif
    }

    /// Calls `f(i)` for every i in [0, n), in parallel; `f` must not depend on the order.
    template <class F>
    static void for_each_index(std::size_t n, F f) {
        thrust::for_each(policy(), thrust::counting_iterator<std::size_t>(0), thrust::counting_iterator<std::size_t>(n),
                         f);
    }

    /// C(m, n) = alpha * op(A) * op(B) + beta * C for contiguous row-major matrices, where op(A)
    /// is (m, k) and A is stored (k, m) when `transpose_a`.
    static void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     float const* a, float const* b, float beta, float* c) {
        // xtensor-blas's BLAS layer (cxxblas) on raw row-major pointers: layers own their buffers,
        // so no adaptor expression is built per call.
        using index = xt::blas_index_t;
        cxxblas::gemm<index>(cxxblas::RowMajor, transpose_a ? cxxblas::Trans : cxxblas::NoTrans,
                             transpose_b ? cxxblas::Trans : cxxblas::NoTrans, index(m), index(n), index(k), alpha, a,
                             index(transpose_a ? m : k), b, index(transpose_b ? k : n), beta, c, index(n));
    }
};

}  // namespace est
