// Definitions of est/host/backend.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/host/backend.hpp>
#include <est/host/matrix_product.hpp>

#include <oneapi/dnnl/dnnl.h>

#include <string>

namespace est {

EST_DECL void host::gemm_on(gemm_engine engine, bool transpose_a, bool transpose_b, std::size_t m, std::size_t n,
                            std::size_t k, float alpha, float const* a, float const* b, float beta, float* c) {
    if (m == 0 || n == 0)
        return;
    if (k == 0) {  // an empty sum: C is only scaled, on either engine (the sgemm rejects lda 0 or leaves C)
        for (std::size_t i = 0; i < m * n; ++i) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
        return;
    }
    std::size_t lda = transpose_a ? m : k, ldb = transpose_b ? k : n;
    // est's product where it is asked for, but for A and B both transposed (which est never asks
    // for), which the sgemm runs.
    bool own = engine == gemm_engine::est_product && detail::matrix_product_runs_on_this_cpu() &&
               !(transpose_a && transpose_b);
    // The sgemm's parts along the longer side; est's product's where it packs less twice.
    std::size_t threads_to_use = std::min(std::size_t(threads()), max_ranges);
    bool split_rows =
        own ? detail::matrix_product_splits_rows(transpose_a, transpose_b, m, n, k, threads_to_use) : m >= n;
    std::size_t extent = split_rows ? m : n;
    std::size_t parts = std::min(threads_to_use, extent);
    std::array<dnnl_status_t, max_ranges> status;
    status.fill(dnnl_success);
    dnnl_status_t* result = status.data();
    auto part = [=](std::size_t p) {
        std::size_t begin = extent * p / parts, end = extent * (p + 1) / parts;
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
        if (own) {
            detail::matrix_product(transpose_a, transpose_b, rows, cols, k, alpha, a_part, lda, b_part, ldb, beta,
                                   c_part, n);
            return;
        }
        result[p] = dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', dnnl_dim_t(rows), dnnl_dim_t(cols),
                               dnnl_dim_t(k), alpha, a_part, dnnl_dim_t(lda), b_part, dnnl_dim_t(ldb), beta, c_part,
                               dnnl_dim_t(n));
    };
    if (parts <= 1)
        part(0);
    else
        thrust::for_each(policy(), thrust::counting_iterator<std::size_t>(0),
                         thrust::counting_iterator<std::size_t>(parts), part);
    for (std::size_t p = 0; p < parts; ++p)
        if (status[p] != dnnl_success)
            throw error("oneDNN sgemm failed (status " + std::to_string(int(status[p])) + ") for " + std::to_string(m) +
                        "x" + std::to_string(n) + "x" + std::to_string(k));
}

}  // namespace est
