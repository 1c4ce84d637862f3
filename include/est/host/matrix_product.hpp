// est's own single-thread matrix product, C = alpha op(A) op(B) + beta C, for the host back end's
// gemm on CPUs with AVX2 and FMA or AVX-512 (own_matrix_product_runs says where it is the
// default). oneDNN's sgemm allocates its packing buffers on every call for most of a dense layer's
// shapes (two heap allocations a call, one per thread's part: the MLP's 16 and the CNN's 10 a
// training step); this product packs into buffers each thread allocates once, so a training step
// allocates nothing.
//
// The product is the classic register-blocked one, in the loop order of Goto's: a tile of 6 rows
// of C by 2 (AVX2) or 4 (AVX-512) vectors of columns is held in registers over a block of up to
// 256 steps of k, each step a row of B's panel and 6 broadcast values of A. For each panel of B,
// which stays in L1 on AVX2 and L2 on AVX-512 (packed, or read in place where few rows of A run
// over it or where its rows in place stay in L1), every tile of A's block of up to 120 rows runs
// over it, A's values coming from L2; B's panels are packed as they are first reached (transposed
// 8 by 8 where B is stored transposed), the ones two panels ahead fetched from memory meanwhile, a
// line every other step of the tiles. A is read in place, or packed a block at a time where it is
// stored transposed.
// benchmarks/README.md ("est's matrix product") has the measurements.
#pragma once

#include <est/core/config.hpp>

#include <cstddef>

namespace est::detail {

/// Whether this CPU runs est's product: AVX2 with FMA (the kernels are compiled for it whatever the
/// build's baseline) or AVX-512.
EST_DECL bool matrix_product_runs_on_this_cpu();

/// Whether the host back end's gemm runs est's product, outside or inside one of
/// host::for_each_slice's slices (an inference batch's): by default wherever the CPU runs it
/// (AVX2 or AVX-512) outside slices, where whole training steps ran about as fast as on oneDNN's
/// sgemm (the CNN's a little faster on AVX-512, the MLP's a little slower) and allocate nothing;
/// inside slices each product runs on one thread, where the sgemm ran the MLP's inference faster
/// (benchmarks/README.md, "est's kernels on real AVX-512"). EST_OWN_GEMM=1 asks for est's product
/// everywhere the CPU runs it, EST_OWN_GEMM=0 for the sgemm everywhere (other values: the
/// default).
EST_DECL bool own_matrix_product_runs(bool in_slice = false);

/// Whether a product that threads share, each computing a part of C, is better split by C's rows
/// (each part then reads all of B, and packs it where B is packed) than by its columns (each part
/// reads all of A, and packs it where A is transposed): the split that reads less twice, a packed
/// float counting three, and where they tie, the longer side; but not into parts of less than a
/// tile of rows or a panel of columns where the other split has more.
EST_DECL bool matrix_product_splits_rows(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n,
                                         std::size_t k, std::size_t parts);

/// C (m, n) = alpha * op(A) * op(B) + beta * C on the calling thread, for row-major matrices with
/// row strides lda, ldb and ldc; op(A) is (m, k) and A is stored (k, m) when `transpose_a`, op(B)
/// is (k, n) and B is stored (n, k) when `transpose_b` (not both: the host's gemm runs that case on
/// oneDNN's sgemm). With beta 0, C is not read. Each element of C sums its k products in the same
/// order whatever the shape of the call around it, so splitting C among threads does not change the
/// result. With k 0, C = beta * C (0 where beta is 0). Only where matrix_product_runs_on_this_cpu();
/// a translation unit that cannot compile the kernels (not x86-64, or not g++ or clang) throws.
EST_DECL void matrix_product(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
                             float alpha, float const* a, std::size_t lda, float const* b, std::size_t ldb, float beta,
                             float* c, std::size_t ldc);

}  // namespace est::detail

#if defined(EST_DEFINITIONS)
#include <est/host/impl/matrix_product.ipp>
#endif
