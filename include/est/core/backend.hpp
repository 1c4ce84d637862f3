// The host back end: element-wise kernels are Thrust algorithms run by Thrust's OpenMP system
// (its sequential system where OpenMP is off); matrix products go through xtensor-blas.
#pragma once

#include <est/core/xtensor_config.hpp>

#include <xtensor-blas/xblas.hpp>
#include <xtensor/xadapt.hpp>

#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/system/cpp/execution_policy.h>
#if defined(_OPENMP)
#include <thrust/system/omp/execution_policy.h>
#endif

#include <array>
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
        auto matrix = [](float const* p, std::size_t rows, std::size_t cols) {
            return xt::adapt(p, rows * cols, xt::no_ownership(), std::array<std::size_t, 2>{rows, cols});
        };
        auto result = xt::adapt(c, m * n, xt::no_ownership(), std::array<std::size_t, 2>{m, n});
        xt::blas::gemm(transpose_a ? matrix(a, k, m) : matrix(a, m, k), transpose_b ? matrix(b, n, k) : matrix(b, k, n),
                       result, transpose_a, transpose_b, alpha, beta);
    }
};

}  // namespace est
