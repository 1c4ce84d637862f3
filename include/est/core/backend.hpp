// The host back end: element-wise kernels are Thrust algorithms run by Thrust's OpenMP system
// (its sequential system where OpenMP is off); matrix products go through oneDNN's sgemm, or
// through xtensor-blas's BLAS layer (over OpenBLAS or BLIS), as chosen when est is configured (EST_GEMM;
// benchmarks/README.md has the measurements behind the default).
#pragma once

#include <est/core/error.hpp>
#include <est/core/xtensor_config.hpp>

#include <xtensor-blas/xblas.hpp>
#if defined(EST_GEMM_ONEDNN)
#include <oneapi/dnnl/dnnl.h>
#endif

#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/system/cpp/execution_policy.h>
#if defined(_OPENMP)
#include <omp.h>
#include <thrust/system/omp/execution_policy.h>
#endif

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace est {

/// The shape of one matrix product C(m, n) = op(A)(m, k) op(B)(k, n).
struct gemm_shape {
    bool transpose_a = false, transpose_b = false;
    std::size_t m = 0, n = 0, k = 0;
};

namespace detail {
inline thread_local std::vector<gemm_shape>* gemm_trace_target = nullptr;
}  // namespace detail

/// While it lives, records the shape of every `host::gemm` its thread runs, in order (a benchmark
/// times a model's own GEMMs alone with it).
class gemm_trace {
public:
    gemm_trace() : previous_(std::exchange(detail::gemm_trace_target, &shapes_)) {}
    ~gemm_trace() { detail::gemm_trace_target = previous_; }
    gemm_trace(gemm_trace const&) = delete;
    gemm_trace& operator=(gemm_trace const&) = delete;

    std::vector<gemm_shape> const& shapes() const { return shapes_; }

private:
    std::vector<gemm_shape> shapes_;
    std::vector<gemm_shape>* previous_;
};

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

    /// The threads host kernels run on (OpenMP's, shared with the GEMM library).
    static int threads() {
#if defined(_OPENMP)
        return omp_get_max_threads();
#else
        return 1;
#endif
    }

    /// Calls `f(i)` for every i in [0, n), in parallel; `f` must not depend on the order.
    template <class F>
    static void for_each_index(std::size_t n, F f) {
        thrust::for_each(policy(), thrust::counting_iterator<std::size_t>(0), thrust::counting_iterator<std::size_t>(n),
                         f);
    }

    /// Calls `f(begin, end)` on consecutive ranges that cover [0, n), in parallel. Each range has at
    /// least `grain` indices, so the loop inside `f` vectorizes and a parallel region pays for
    /// itself; below 2 * grain the whole range runs on the calling thread.
    template <class F>
    static void for_each_range(std::size_t n, F f, std::size_t grain = 16384) {
        std::size_t ranges = std::min<std::size_t>(n / std::max<std::size_t>(grain, 1), 64);
        if (ranges <= 1) {
            f(std::size_t(0), n);
            return;
        }
        std::size_t length = (n + ranges - 1) / ranges;
        for_each_index(ranges, [=](std::size_t r) { f(r * length, std::min(n, (r + 1) * length)); });
    }

    /// The most parts `gemm` splits a product into.
    static constexpr std::size_t max_gemm_parts = 64;

    /// The library behind `gemm`.
    static constexpr char const* gemm_library =
#if defined(EST_GEMM_ONEDNN)
        "onednn";
#elif defined(EST_GEMM_BLIS)
        "blis";
#else
        "openblas";
#endif

    /// C(m, n) = alpha * op(A) * op(B) + beta * C for contiguous row-major matrices, where op(A)
    /// is (m, k) and A is stored (k, m) when `transpose_a`.
    static void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     float const* a, float const* b, float beta, float* c) {
        if (m == 0 || n == 0)
            return;
        if (detail::gemm_trace_target)
            detail::gemm_trace_target->push_back({transpose_a, transpose_b, m, n, k});
        std::size_t lda = transpose_a ? m : k, ldb = transpose_b ? k : n;
#if defined(EST_GEMM_ONEDNN)
        // est splits C between its threads, along the longer of m and n, and each part runs
        // oneDNN's sgemm on one thread: called from inside a parallel region, sgemm allocates
        // nothing, where its own parallel regions allocate a small closure per call.
        bool split_rows = m >= n;
        std::size_t extent = split_rows ? m : n;
        std::size_t parts = std::min<std::size_t>(std::size_t(threads()), extent);
        std::array<dnnl_status_t, max_gemm_parts> status;
        status.fill(dnnl_success);
        parts = std::min(parts, max_gemm_parts);
        for_each_index(parts, [=, &status](std::size_t part) {
            std::size_t begin = extent * part / parts, end = extent * (part + 1) / parts;
            // Row-major, like est's buffers; oneDNN picks its kernel from the processor.
            float const* a_part = a;
            float const* b_part = b;
            float* c_part = c;
            if (split_rows) {
                a_part += transpose_a ? begin : begin * lda;
                c_part += begin * n;
            } else {
                b_part += transpose_b ? begin * ldb : begin;
                c_part += begin;
            }
            std::size_t rows = split_rows ? end - begin : m, cols = split_rows ? n : end - begin;
            status[part] = dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', dnnl_dim_t(rows),
                                      dnnl_dim_t(cols), dnnl_dim_t(k), alpha, a_part, dnnl_dim_t(lda), b_part,
                                      dnnl_dim_t(ldb), beta, c_part, dnnl_dim_t(n));
        });
        for (dnnl_status_t s : status)
            if (s != dnnl_success)
                throw error("oneDNN sgemm failed (status " + std::to_string(int(s)) + ") for " + std::to_string(m) +
                            "x" + std::to_string(n) + "x" + std::to_string(k));
#else
        // xtensor-blas's BLAS layer (cxxblas) on raw row-major pointers: layers own their buffers,
        // so no adaptor expression is built per call. Its cblas_sgemm is OpenBLAS's, or BLIS's
        // where est was configured with EST_GEMM=blis (BLIS comes first on the link line).
        using index = xt::blas_index_t;
        cxxblas::gemm<index>(cxxblas::RowMajor, transpose_a ? cxxblas::Trans : cxxblas::NoTrans,
                             transpose_b ? cxxblas::Trans : cxxblas::NoTrans, index(m), index(n), index(k), alpha, a,
                             index(lda), b, index(ldb), beta, c, index(n));
#endif
    }
};

}  // namespace est
