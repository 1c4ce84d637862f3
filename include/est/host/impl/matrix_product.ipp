// Definitions of est/host/matrix_product.hpp (see est/core/config.hpp).
#pragma once

#include <est/host/matrix_product.hpp>
#include <est/host/vector_width.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

namespace est::detail::product {

// The kernels, where the build can compile them for AVX2 or AVX-512 (EST_VECTOR_DISPATCH: not in
// CUDA translation units, whose host pass est does not tune).
#if defined(EST_VECTOR_DISPATCH) || defined(__AVX2__)

/// Steps of k a block of the product runs before it adds its sums to C: A's tile of 6 rows stays in
/// L1 over them, and a panel of B's block in L1 (AVX2, 16 KiB) or L2 (AVX-512, 64 KiB).
constexpr std::size_t depth = 256;
/// Floats of B a block of the product takes (packed, or read in place): 256 KiB, which stays in L2
/// while every tile of A's rows runs over it.
constexpr std::size_t packed_floats = std::size_t(64) << 10;
/// Rows of C a tile of the kernel holds in registers.
constexpr std::size_t tile_rows = 6;

/// The tile's vectors of columns: 6 rows by 2 (AVX2) or 4 (AVX-512) vectors, 12 or 24 accumulators,
/// with registers left for B's row and the broadcast value.
template <std::size_t Lanes>
struct shapes {
    static constexpr std::size_t vectors = Lanes == 8 ? 2 : 4;
    static constexpr std::size_t width = vectors * Lanes;
};

/// The packed blocks of B and the packed tiles of A: one set a thread, allocated on its first product.
struct packing_buffers {
    std::unique_ptr<float[]> b{new float[packed_floats]};
    std::unique_ptr<float[]> a{new float[tile_rows * depth]};
};
inline packing_buffers& thread_buffers() {
    thread_local packing_buffers buffers;
    return buffers;
}

/// The kernel: C's tile of R rows by V vectors = alpha * (the sums over `steps` steps, each a row of
/// B's panel, `panel_step` floats after the one before, and R values of A broadcast) + beta * C.
/// `columns` of the tile's are C's (the rest are a packed panel's zeros).
template <std::size_t Lanes, std::size_t R, std::size_t V>
[[gnu::always_inline]] inline void tile(std::size_t steps, float const* a, std::size_t a_row, std::size_t a_step,
                                        float const* panel, std::size_t panel_step, float* c, std::size_t ldc,
                                        std::size_t columns, float alpha, float beta) {
    using vector = typename vector_of<Lanes>::type;
    vector sums[R][V];
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (std::size_t v = 0; v < V; ++v) sums[r][v] = vector{};
#pragma GCC unroll 4
    for (std::size_t p = 0; p < steps; ++p) {
        vector row[V];
#pragma GCC unroll 4
        for (std::size_t v = 0; v < V; ++v) std::memcpy(&row[v], panel + p * panel_step + v * Lanes, sizeof(vector));
#pragma GCC unroll 8
        for (std::size_t r = 0; r < R; ++r) {
            float value = a[r * a_row + p * a_step];
#pragma GCC unroll 4
            for (std::size_t v = 0; v < V; ++v) sums[r][v] += value * row[v];
        }
    }
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (std::size_t v = 0; v < V; ++v) {
            float* out = c + r * ldc + v * Lanes;
            // The panel's last vector may reach past C's last column: it is read and written lane by
            // lane, with the same arithmetic as a whole vector, so that an element's result does not
            // depend on where the part of C around it ends.
            std::size_t valid = std::min(Lanes, columns - std::min(columns, v * Lanes));
            vector result = alpha * sums[r][v];
            if (beta != 0.0f) {  // C is not read where beta is 0
                vector old{};
                if (valid == Lanes)
                    std::memcpy(&old, out, sizeof(vector));
                else
                    for (std::size_t l = 0; l < valid; ++l) old[l] = out[l];
                result += beta * old;
            }
            if (valid == Lanes)
                std::memcpy(out, &result, sizeof(vector));
            else
                for (std::size_t l = 0; l < valid; ++l) out[l] = result[l];
        }
}

/// tile for `rows` rows (1 to tile_rows) and V vectors.
template <std::size_t Lanes, std::size_t V, std::size_t R = tile_rows, class... Args>
[[gnu::always_inline]] inline void tile_of_rows(std::size_t rows, Args... args) {
    if constexpr (R > 1)
        if (rows < R)
            return tile_of_rows<Lanes, V, R - 1>(rows, args...);
    tile<Lanes, R, V>(args...);
}

/// tile_of_rows for a panel of `columns` columns: the fewest vectors that hold them.
template <std::size_t Lanes, std::size_t V = shapes<Lanes>::vectors, class... Args>
[[gnu::always_inline]] inline void panel_tile(std::size_t columns, std::size_t rows, Args... args) {
    if constexpr (V > 1)
        if (columns <= (V - 1) * Lanes)
            return panel_tile<Lanes, V - 1>(columns, rows, args...);
    tile_of_rows<Lanes, V>(rows, args...);
}

/// 8 floats, the unit the packing transposes in (AVX2's vector, half of AVX-512's).
using octet = vector_of<8>::type;

/// 8 rows of 8 floats transposed: out[s][i] = in[i][s].
[[gnu::always_inline]] inline void transpose_octets(octet const (&r)[8], octet (&out)[8]) {
    octet t[8], u[8];
    for (std::size_t i = 0; i < 8; i += 2) {
        t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (std::size_t i = 0; i < 8; i += 4)
        for (std::size_t h = 0; h < 2; ++h) {
            u[i + 2 * h] = __builtin_shufflevector(t[i + h], t[i + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
            u[i + 2 * h + 1] = __builtin_shufflevector(t[i + h], t[i + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
    for (std::size_t s = 0; s < 4; ++s) {
        out[s] = __builtin_shufflevector(u[s], u[s + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        out[s + 4] = __builtin_shufflevector(u[s], u[s + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

/// B's block of `steps` steps and `columns` columns, from `b` (its first element), packed into
/// panels of a tile's width: panel q at packed + q * steps * width, its step p at + p * width,
/// zeros past the last column. A transposed B (stored (n, k)) is transposed 8 by 8.
template <std::size_t Lanes>
[[gnu::always_inline]] inline void pack_b(bool transpose_b, float const* b, std::size_t ldb, std::size_t steps,
                                          std::size_t columns, float* packed) {
    constexpr std::size_t width = shapes<Lanes>::width;
    if (!transpose_b) {  // row by row, each read in order, a few rows ahead fetched into the cache
        constexpr std::size_t ahead = 4, line = 64 / sizeof(float);
        for (std::size_t p = 0; p < steps; ++p) {
            if (p + ahead < steps)
                for (std::size_t j = 0; j < columns; j += line) __builtin_prefetch(b + (p + ahead) * ldb + j);
            for (std::size_t j0 = 0; j0 < columns; j0 += width) {
                float* row = packed + j0 * steps + p * width;
                if (columns - j0 >= width)  // a copy of a known size: vector moves, not a call
                    std::memcpy(row, b + p * ldb + j0, width * sizeof(float));
                else
                    for (std::size_t j = 0; j < width; ++j) row[j] = j0 + j < columns ? b[p * ldb + j0 + j] : 0.0f;
            }
        }
        return;
    }
    for (std::size_t j0 = 0; j0 < columns; j0 += width) {
        std::size_t count = std::min(width, columns - j0);
        float* panel = packed + j0 * steps;
        std::size_t whole_columns = count - count % 8, whole_steps = steps - steps % 8;
        for (std::size_t j = 0; j < whole_columns; j += 8)
            for (std::size_t p = 0; p < whole_steps; p += 8) {
                octet rows[8], columns_of[8];
                for (std::size_t i = 0; i < 8; ++i)
                    std::memcpy(&rows[i], b + (j0 + j + i) * ldb + p, sizeof(octet));
                transpose_octets(rows, columns_of);
                for (std::size_t s = 0; s < 8; ++s)
                    std::memcpy(panel + (p + s) * width + j, &columns_of[s], sizeof(octet));
            }
        for (std::size_t p = 0; p < steps; ++p)
            for (std::size_t j = p < whole_steps ? whole_columns : 0; j < width; ++j)
                panel[p * width + j] = j < count ? b[(j0 + j) * ldb + p] : 0.0f;
    }
}

/// Whether B's panels are read in place: where B is not transposed and its rows are at most a page
/// apart, so that a panel's steps touch few pages. Packing B costs a pass over it, which products of
/// few rows (a batch of 64) do not earn back.
inline bool reads_b_in_place(bool transpose_b, std::size_t ldb) { return !transpose_b && ldb <= 1024; }

/// The product: k in blocks of `depth` steps; in each, B in blocks of as many columns as fill the
/// packing buffer, packed (or read in place, reads_b_in_place, all but a ragged last panel); for
/// each block, every tile of 6 rows of C runs over the block's panels, so that A's tile (packed too
/// where A is transposed, its rows then far apart) stays in L1 and C is written a block's row at a
/// time.
template <std::size_t Lanes>
[[gnu::always_inline]] inline void any_product(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n,
                                               std::size_t k, float alpha, float const* a, std::size_t lda,
                                               float const* b, std::size_t ldb, float beta, float* c,
                                               std::size_t ldc) {
    constexpr std::size_t width = shapes<Lanes>::width;
    packing_buffers& buffers = thread_buffers();
    bool in_place = reads_b_in_place(transpose_b, ldb);
    for (std::size_t p0 = 0; p0 < k; p0 += depth) {
        std::size_t steps = std::min(depth, k - p0);
        float block_beta = p0 == 0 ? beta : 1.0f;
        std::size_t block = packed_floats / steps / width * width;
        for (std::size_t j0 = 0; j0 < n; j0 += block) {
            std::size_t columns = std::min(block, n - j0), whole = columns - columns % width;
            if (!in_place)
                pack_b<Lanes>(transpose_b, transpose_b ? b + j0 * ldb + p0 : b + p0 * ldb + j0, ldb, steps, columns,
                              buffers.b.get());
            else if (whole < columns)  // the ragged panel, packed to its width with zeros
                pack_b<Lanes>(false, b + p0 * ldb + j0 + whole, ldb, steps, columns - whole, buffers.b.get());
            for (std::size_t i0 = 0; i0 < m; i0 += tile_rows) {
                std::size_t rows = std::min(tile_rows, m - i0);
                float const* a_tile = buffers.a.get();
                std::size_t a_row = 1, a_step = tile_rows;
                if (transpose_a)
                    for (std::size_t p = 0; p < steps; ++p)
                        for (std::size_t r = 0; r < rows; ++r)
                            buffers.a[p * tile_rows + r] = a[(p0 + p) * lda + i0 + r];
                else
                    a_tile = a + i0 * lda + p0, a_row = lda, a_step = 1;
                for (std::size_t j = 0; j < columns; j += width) {
                    bool direct = in_place && j < whole;
                    float const* panel = direct   ? b + p0 * ldb + j0 + j
                                         : in_place ? buffers.b.get()
                                                    : buffers.b.get() + j * steps;
                    std::size_t count = std::min(width, columns - j);
                    panel_tile<Lanes>(count, rows, steps, a_tile, a_row, a_step, panel, direct ? ldb : width,
                                      c + i0 * ldc + j0 + j, ldc, count, alpha, block_beta);
                }
            }
        }
    }
}

#endif

}  // namespace est::detail::product

namespace est::detail {

EST_DECL bool matrix_product_runs_on_this_cpu() { return widest_lanes() != 0; }

EST_DECL bool own_matrix_product_runs() {
    static bool const runs = [] {
        char const* setting = std::getenv("EST_OWN_GEMM");
        return setting && std::string_view(setting) == "1" && matrix_product_runs_on_this_cpu();
    }();
    return runs;
}

EST_DECL void matrix_product(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
                             float alpha, float const* a, std::size_t lda, float const* b, std::size_t ldb, float beta,
                             float* c, std::size_t ldc) {
#if defined(EST_VECTOR_DISPATCH) || defined(__AVX2__)
    with_widest_vectors([&](auto lanes) {
        constexpr std::size_t L = decltype(lanes)::value;
        product::any_product<L>(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    });
#else
    (void)transpose_a, (void)transpose_b, (void)m, (void)n, (void)k, (void)alpha, (void)a, (void)lda, (void)b,
        (void)ldb, (void)beta, (void)c, (void)ldc;
#endif
}

}  // namespace est::detail
