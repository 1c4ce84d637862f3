// est's own single-thread matrix product, C = alpha op(A) op(B) + beta C, for the host back end's
// gemm on CPUs with AVX2 and FMA or AVX-512, where EST_OWN_GEMM=1 asks for it. oneDNN's sgemm
// allocates its packing buffers on every call for most of a dense layer's shapes (two heap
// allocations a call, one per thread's part: the MLP's 12 a training step); this product packs into
// buffers each thread allocates once, so a training step of the MLP allocates nothing. It is not
// the default: on AVX2 the MLP's training step ran at 0.91-0.94 of the sgemm's speed at the median
// (benchmarks/README.md, "est's matrix product"; `host_primitives` compares the two product by
// product).
//
// The product is the classic register-blocked one: a tile of 6 rows of C by 2 (AVX2) or 4
// (AVX-512) vectors of columns is held in registers over a block of up to 256 steps of k, each step
// a row of B's panel and 6 broadcast values of A. B is read in place where its rows are at most a
// page apart, and otherwise packed a block at a time (256 KiB, which stays in L2 while every tile of
// A's rows runs over it), transposed 8 by 8 where it is stored transposed; A is read in place, or
// packed a tile at a time where it is stored transposed.
#pragma once

#include <est/core/config.hpp>

#include <cstddef>

namespace est::detail {

/// Whether this CPU runs est's product: AVX2 with FMA (the kernels are compiled for it whatever the
/// build's baseline) or AVX-512.
EST_DECL bool matrix_product_runs_on_this_cpu();

/// Whether the host back end's gemm runs est's product: where EST_OWN_GEMM=1 and the CPU runs it.
EST_DECL bool own_matrix_product_runs();

/// C (m, n) = alpha * op(A) * op(B) + beta * C on the calling thread, for row-major matrices with
/// row strides lda, ldb and ldc; op(A) is (m, k) and A is stored (k, m) when `transpose_a`, op(B)
/// is (k, n) and B is stored (n, k) when `transpose_b` (not both: the host's gemm runs that case on
/// oneDNN's sgemm). With beta 0, C is not read. Each element of C sums its k products in the same
/// order whatever the shape of the call around it, so splitting C among threads does not change the
/// result. Only where matrix_product_runs_on_this_cpu().
EST_DECL void matrix_product(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
                             float alpha, float const* a, std::size_t lda, float const* b, std::size_t ldb, float beta,
                             float* c, std::size_t ldc);

}  // namespace est::detail

#if defined(EST_DEFINITIONS)
#include <est/host/impl/matrix_product.ipp>
#endif
