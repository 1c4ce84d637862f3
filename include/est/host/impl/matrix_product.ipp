// Definitions of est/host/matrix_product.hpp (see est/core/config.hpp).
#pragma once

#include <est/host/matrix_product.hpp>
#include <est/host/vector_width.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace est::detail::product {

/// Steps of k a block of the product runs before it adds its sums to C: a panel of B over them stays
/// in L1 (AVX2, 16 KiB) or L2 (AVX-512, 64 KiB) while A's tiles run over it.
constexpr std::size_t depth = 256;

/// The steps of each of k's equal blocks of at most `depth` steps (784: 4 of 196, not 3 whole and
/// a sliver).
inline std::size_t block_steps(std::size_t k) {
    std::size_t blocks = (k + depth - 1) / depth;
    return (k + blocks - 1) / blocks;
}

/// Bytes that a panel's rows of B, read in place, may span and still stay in L1 beside A's tiles:
/// rows within a span of S bytes put at most S / 4 KiB lines in any one of L1's sets (4 KiB a way),
/// and B may take all of its ways but 4. 32 KiB on an L1 of 48 KiB and 12 ways, 16 KiB on one of
/// 32 KiB and 8 (and where the system does not say), none on one of 4 ways or fewer.
inline std::size_t in_place_span() {
    static std::size_t const span = [] {
        long ways = 8;
#if defined(_SC_LEVEL1_DCACHE_ASSOC)
        // 0 or -1 where the system does not say; a line count for a cache that calls itself fully
        // associative (16 ways are counted at most).
        if (long told = sysconf(_SC_LEVEL1_DCACHE_ASSOC); told > 0)
            ways = std::min(told, 16L);
#endif
        return ways > 4 ? std::size_t(ways - 4) * 4096 : std::size_t(0);
    }();
    return span;
}

/// Whether B's panels are read in place: where B is not transposed, its rows are at most a page
/// apart (a panel's steps then touch few pages), and either fewer than 96 rows of A run over each
/// panel or a panel's `steps` rows span at most in_place_span(). More tiles of A earn back the pass
/// that packs B where its rows in place would not stay in L1: a packed panel stays there whatever
/// B's row stride (a panel's rows 1 KiB apart share 4 (AVX2) or 16 (AVX-512) of L1's 64 sets), and
/// the next panels are fetched as A's tiles run (`host_primitives products`: a kernel gradient of
/// 256 rows 5% faster packed, an input gradient of 64 rows 5% faster in place). The MLP's second
/// kernel gradient on AVX-512 (128 rows of C a thread over B's 64 rows 512 bytes apart, 32 KiB)
/// took 0.017 ms in place against 0.019-0.021 packed (benchmarks/README.md, "The first dense
/// layer's input gradient").
inline bool reads_b_in_place(bool transpose_b, std::size_t m, std::size_t ldb, std::size_t steps) {
    return !transpose_b && ldb <= 1024 && (m < 96 || steps * ldb * sizeof(float) <= in_place_span());
}

/// Rows of C a tile of the kernel holds in registers.
constexpr std::size_t tile_rows = 6;

/// The tile's vectors of columns: 6 rows by 2 (AVX2) or 4 (AVX-512) vectors, 12 or 24 accumulators,
/// with registers left for B's row and the broadcast value.
template <std::size_t Lanes>
struct shapes {
    static constexpr std::size_t vectors = Lanes == 8 ? 2 : 4;
    static constexpr std::size_t width = vectors * Lanes;
};

// The kernels, where the build can compile them for AVX2 or AVX-512 (EST_VECTOR_DISPATCH:
// x86-64 with g++ or clang).
#if defined(EST_VECTOR_DISPATCH) || defined(__AVX2__)

/// Floats of B a block of the product takes (packed, or read in place): 256 KiB, which stays in L2
/// while every block of A's rows runs over it.
constexpr std::size_t packed_floats = std::size_t(64) << 10;

/// Rows of A a block of the product takes: 120 rows of `depth` steps are 120 KiB, which stay in L2
/// beside B's block while every panel of B runs over them.
constexpr std::size_t a_block_rows = 20 * tile_rows;

/// The packed blocks of B and of a transposed A: one set a thread, allocated on its first product.
struct packing_buffers {
    std::unique_ptr<float[]> b{new float[packed_floats]};
    std::unique_ptr<float[]> a{new float[a_block_rows * depth]};
};
inline packing_buffers& thread_buffers() {
    thread_local packing_buffers buffers;
    return buffers;
}

/// The cache lines of a part of a panel of B, fetched one at a time: `rows` rows of B's storage
/// from `first`, `row_bytes` apart, `extent` bytes of each (none where default-constructed).
class line_stream {
public:
    line_stream() = default;
    line_stream(void const* first, std::size_t row_bytes, std::size_t extent, std::size_t rows)
        : first_(static_cast<char const*>(first)), row_bytes_(row_bytes), extent_(extent), rows_(rows) {
        if (rows_ > 0)
            start_row();
    }
    bool done() const { return row_ >= rows_; }
    /// Fetches the next line (where not done()).
    [[gnu::always_inline]] void fetch() {
        __builtin_prefetch(reinterpret_cast<void const*>(next_));
        next_ += 64;
        if (next_ >= row_end_ && ++row_ < rows_)
            start_row();
    }

private:
    void start_row() {
        auto begin = reinterpret_cast<std::uintptr_t>(first_ + row_ * row_bytes_);
        next_ = begin & ~std::uintptr_t(63), row_end_ = begin + extent_;
    }

    char const* first_ = nullptr;
    std::size_t row_bytes_ = 0, extent_ = 0, rows_ = 0, row_ = 0;
    std::uintptr_t next_ = 0, row_end_ = 0;  // the next line, and the end of its row
};

/// The kernel: C's tile of R rows by V vectors = alpha * (the sums over `steps` steps, each a row of
/// B's panel, `panel_step` floats after the one before, and R values of A broadcast) + beta * C.
/// `columns` of the tile's are C's (the rest are a packed panel's zeros). It fetches the lines of
/// `ahead` meanwhile, and C's lines for writing as it starts: written after the sums, they arrive
/// while it computes them. The CNN's kernel gradient writes 12.8 MB of C, each tile after sums over
/// 64 steps: its whole training steps ran 6-8% faster so (`training_throughput`, in turns), where C
/// is cold; `host_primitives products`, where it is warm, shows no gain.
template <std::size_t Lanes, std::size_t R, std::size_t V>
[[gnu::always_inline]] inline void tile(std::size_t steps, float const* a, std::size_t a_row, std::size_t a_step,
                                        float const* panel, std::size_t panel_step, float* c, std::size_t ldc,
                                        std::size_t columns, float alpha, float beta, line_stream ahead) {
    using vector = typename vector_of<Lanes>::type;
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (std::size_t v = 0; v < V; ++v) __builtin_prefetch(c + r * ldc + v * Lanes, 1);
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
        // A line every other step among the products: a burst of them before the tile waited on the
        // line fill buffers.
        if (p % 2 == 0 && !ahead.done())
            ahead.fetch();
#pragma GCC unroll 8
        for (std::size_t r = 0; r < R; ++r) {
            float value = a[r * a_row + p * a_step];
#pragma GCC unroll 4
            for (std::size_t v = 0; v < V; ++v) sums[r][v] += value * row[v];
        }
    }
    while (!ahead.done()) ahead.fetch();
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (std::size_t v = 0; v < V; ++v) {
            float* out = c + r * ldc + v * Lanes;
            // The panel's last vector may reach past C's last column: it is read and written lane by
            // lane, with the same arithmetic as a whole vector, so that an element's result does not
            // depend on where the part of C around it ends.
            std::size_t valid = std::min(Lanes, columns - std::min(columns, v * Lanes));
            vector result;
            if (beta == 0.0f) {  // C is not read
                result = alpha * sums[r][v];
            } else {
                vector old{};
                if (valid == Lanes)
                    std::memcpy(&old, out, sizeof(vector));
                else
                    for (std::size_t l = 0; l < valid; ++l) old[l] = out[l];
                // alpha * sums + beta * C has two products the compiler may fuse with the sum, and
                // it may pick another in another shape of tile: one fused multiply-add a lane
                // rounds the same in every tile. est's own products (alpha 1, and beta 1 after
                // the first block of k) need neither product.
                if (alpha == 1.0f && beta == 1.0f)
                    result = sums[r][v] + old;
                else
                    for (std::size_t l = 0; l < Lanes; ++l)
                        result[l] = __builtin_fmaf(alpha, sums[r][v][l], beta * old[l]);
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
#pragma GCC unroll 8
    for (std::size_t i = 0; i < 8; i += 2) {
        t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
#pragma GCC unroll 8
    for (std::size_t i = 0; i < 8; i += 4)
#pragma GCC unroll 2
        for (std::size_t h = 0; h < 2; ++h) {
            u[i + 2 * h] = __builtin_shufflevector(t[i + h], t[i + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
            u[i + 2 * h + 1] = __builtin_shufflevector(t[i + h], t[i + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
#pragma GCC unroll 4
    for (std::size_t s = 0; s < 4; ++s) {
        out[s] = __builtin_shufflevector(u[s], u[s + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        out[s + 4] = __builtin_shufflevector(u[s], u[s + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

/// A panel of B: its `steps` steps of `columns` columns (at most a tile's width) from `b` (its first
/// element), packed step after step (step p at packed + p * width), zeros past the last column up
/// to the end of its vector (panel_tile's kernel reads no further). A transposed B (stored (n, k))
/// is transposed 8 by 8.
template <std::size_t Lanes>
[[gnu::always_inline]] inline void pack_panel(bool transpose_b, float const* b, std::size_t ldb, std::size_t steps,
                                              std::size_t columns, float* packed) {
    using vector = typename vector_of<Lanes>::type;
    constexpr std::size_t width = shapes<Lanes>::width;
    // A ragged panel's rows are written to the end of the vector that holds the last column, not to
    // the panel's width: a panel of 10 columns on AVX-512 writes 16 floats a step, not 64.
    std::size_t written = (columns + Lanes - 1) / Lanes * Lanes;
    if (!transpose_b) {
        for (std::size_t p = 0; p < steps; ++p) {
            float* row = packed + p * width;
            if (columns == width)  // vector moves, not a call
#pragma GCC unroll 4
                for (std::size_t v = 0; v < width; v += Lanes) {
                    vector x;
                    std::memcpy(&x, b + p * ldb + v, sizeof x);
                    std::memcpy(row + v, &x, sizeof x);
                }
            else
                for (std::size_t j = 0; j < written; ++j) row[j] = j < columns ? b[p * ldb + j] : 0.0f;
        }
        return;
    }
    std::size_t whole_columns = columns - columns % 8, whole_steps = steps - steps % 8;
    for (std::size_t j = 0; j < whole_columns; j += 8)
        for (std::size_t p = 0; p < whole_steps; p += 8) {
            octet rows[8], columns_of[8];
#pragma GCC unroll 8
            for (std::size_t i = 0; i < 8; ++i) std::memcpy(&rows[i], b + (j + i) * ldb + p, sizeof(octet));
            transpose_octets(rows, columns_of);
#pragma GCC unroll 8
            for (std::size_t s = 0; s < 8; ++s)
                std::memcpy(packed + (p + s) * width + j, &columns_of[s], sizeof(octet));
        }
    for (std::size_t p = 0; p < steps; ++p) {
        float* row = packed + p * width;
        std::size_t j = p < whole_steps ? whole_columns : 0;
        for (; j < columns; ++j) row[j] = b[j * ldb + p];
        for (; j < written; ++j) row[j] = 0.0f;
    }
}

/// How many panels ahead of the one A's tiles run over B is fetched from memory: one panel's tiles
/// (a few microseconds) do not hide the latency of fetching the next one's (256 rows of a kernel
/// gradient's B each on another page), two do (`host_primitives products`).
constexpr std::size_t panels_ahead = 2;

/// The tiles of rows a block of A's `rows` rows runs in: of tile_rows rows, but where the last would
/// hold fewer than 4 rows (its sums then too few to hide the latency of an FMA), it shares the rows
/// of the one before (6 + 2 rows run as 4 + 4).
struct row_tiles {
    std::size_t rows;
    std::size_t count() const { return (rows + tile_rows - 1) / tile_rows; }
    bool shares() const { return rows % tile_rows != 0 && rows % tile_rows < 4 && rows > tile_rows; }
    std::size_t first(std::size_t t) const {
        std::size_t last = count() - 1;
        return t == last && shares() ? (last - 1) * tile_rows + (tile_rows + rows % tile_rows + 1) / 2 : t * tile_rows;
    }
    std::size_t size(std::size_t t) const { return (t + 1 == count() ? rows : first(t + 1)) - first(t); }
};

/// A transposed A's block of `rows` rows (C's) and `steps` steps, from `a` (its first element),
/// packed tile by tile (row_tiles): tile t at packed + t * tile_rows * steps, its step p at
/// + p * tile_rows.
inline void pack_transposed_a(float const* a, std::size_t lda, std::size_t steps, std::size_t rows, float* packed) {
    row_tiles tiles{rows};
    for (std::size_t t = 0; t < tiles.count(); ++t) {
        std::size_t i0 = tiles.first(t), count = tiles.size(t);
        float* tile = packed + t * tile_rows * steps;
        for (std::size_t p = 0; p < steps; ++p)
            if (count == tile_rows)  // a copy of a known size: vector moves, not a call
                std::memcpy(tile + p * tile_rows, a + p * lda + i0, tile_rows * sizeof(float));
            else
                std::memcpy(tile + p * tile_rows, a + p * lda + i0, count * sizeof(float));
    }
}

/// The product, in the order of Goto's: k in equal blocks of at most `depth` steps; in each, B in
/// blocks of as many columns as fill its packing buffer; in each, A in blocks of at most
/// `a_block_rows` rows (packed where A is transposed, its rows then far apart); and for each panel
/// of B's block, which stays in L1 (AVX2; L2 on AVX-512), every tile of A's block runs over it,
/// A's tiles coming from L2. A step of the kernel so reads 6 floats of A from L2, not a panel's row
/// of B (64 or 256 bytes). B's panels are packed as the first block of A reaches them (or read in
/// place, reads_b_in_place, all but a ragged last panel), and while A's tiles run over one panel
/// the one panels_ahead further is fetched from memory, a part in each tile (line_stream).
template <std::size_t Lanes>
[[gnu::always_inline]] inline void any_product(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n,
                                               std::size_t k, float alpha, float const* a, std::size_t lda,
                                               float const* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
    constexpr std::size_t width = shapes<Lanes>::width;
    packing_buffers& buffers = thread_buffers();
    std::size_t k_block = block_steps(k);
    bool in_place = reads_b_in_place(transpose_b, m, ldb, k_block);
    // A in blocks of equal rows, whole tiles but the last, of at most a_block_rows rows.
    std::size_t a_blocks = (m + a_block_rows - 1) / a_block_rows;
    std::size_t a_rows = ((m + a_blocks - 1) / a_blocks + tile_rows - 1) / tile_rows * tile_rows;
    for (std::size_t p0 = 0; p0 < k; p0 += k_block) {
        std::size_t steps = std::min(k_block, k - p0);
        float block_beta = p0 == 0 ? beta : 1.0f;
        // The first element of this block of k's panel at B's column `column`.
        auto panel = [&](std::size_t column) { return transpose_b ? b + column * ldb + p0 : b + p0 * ldb + column; };
        std::size_t block = packed_floats / steps / width * width;
        for (std::size_t j0 = 0; j0 < n; j0 += block) {
            std::size_t columns = std::min(block, n - j0), whole = columns - columns % width;
            for (std::size_t i0 = 0; i0 < m; i0 += a_rows) {
                row_tiles tiles{std::min(a_rows, m - i0)};
                if (transpose_a)
                    pack_transposed_a(a + p0 * lda + i0, lda, steps, tiles.rows, buffers.a.get());
                for (std::size_t j = 0; j < columns; j += width) {
                    std::size_t count = std::min(width, columns - j);
                    bool direct = in_place && j < whole;
                    float* packed = buffers.b.get() + (in_place ? 0 : j * steps);
                    if (i0 == 0 && !direct)
                        pack_panel<Lanes>(transpose_b, panel(j0 + j), ldb, steps, count, packed);
                    std::size_t next = j0 + j + panels_ahead * width;  // the panel fetched, counted from B's column 0
                    bool fetches = i0 == 0 && !in_place && next < n;
                    for (std::size_t t = 0; t < tiles.count(); ++t) {
                        line_stream ahead;
                        if (fetches) {
                            // B's rows the next panel spans (of its storage), and bytes of each it reads.
                            std::size_t rows = transpose_b ? std::min(width, n - next) : steps;
                            std::size_t extent = (transpose_b ? steps : std::min(width, n - next)) * sizeof(float);
                            std::size_t r0 = rows * t / tiles.count(), r1 = rows * (t + 1) / tiles.count();
                            ahead = line_stream(panel(next) + r0 * ldb, ldb * sizeof(float), extent, r1 - r0);
                        }
                        std::size_t i = tiles.first(t);
                        float const* a_tile =
                            transpose_a ? buffers.a.get() + t * tile_rows * steps : a + (i0 + i) * lda + p0;
                        std::size_t a_row = transpose_a ? 1 : lda, a_step = transpose_a ? tile_rows : 1;
                        panel_tile<Lanes>(count, tiles.size(t), steps, a_tile, a_row, a_step,
                                          direct ? panel(j0 + j) : packed, direct ? ldb : width,
                                          c + (i0 + i) * ldc + j0 + j, ldc, count, alpha, block_beta, ahead);
                    }
                }
            }
        }
    }
}

#endif

}  // namespace est::detail::product

namespace est::detail {

EST_DECL bool matrix_product_runs_on_this_cpu() { return widest_lanes() != 0; }

EST_DECL bool own_matrix_product_runs(bool in_slice) {
    enum class setting { by_default, everywhere, nowhere };
    static setting const asked = [] {
        char const* value = std::getenv("EST_OWN_GEMM");
        if (value && std::string_view(value) == "1")
            return setting::everywhere;
        if (value && std::string_view(value) == "0")
            return setting::nowhere;
        return setting::by_default;
    }();
    switch (asked) {
        case setting::everywhere:
            return matrix_product_runs_on_this_cpu();
        case setting::nowhere:
            return false;
        case setting::by_default:
            return widest_lanes() != 0 && !in_slice;
    }
    return false;
}

EST_DECL bool matrix_product_splits_rows(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n,
                                         std::size_t k, std::size_t parts) {
    using product::tile_rows;
    constexpr std::size_t panel_columns = product::shapes<8>::width;  // AVX2's; AVX-512's panel is wider
    // Split by rows, each part reads all of B, and packs it unless its rows read B in place; split by
    // columns, each reads all of A, and packs it where it is transposed. A packed float counts three
    // read in place (`host_primitives products`, a product K x^T of a dense layer's forward pass, x
    // packed: split by columns where K is twice x, 256->128 at batch 64; by rows where it is four
    // times x and more, 784->256 and the CNN's 3136->1024, whose 12.8 MB kernel read by both parts
    // took 1.5 times as long).
    constexpr std::size_t packing_cost = 3;
    bool parts_pack_b =
        !product::reads_b_in_place(transpose_b, (m + parts - 1) / parts, transpose_b ? k : n, product::block_steps(k));
    std::size_t twice_by_rows = n * k * (parts_pack_b ? packing_cost : 1);
    std::size_t twice_by_columns = m * k * (transpose_a ? packing_cost : 1);
    bool rows = twice_by_rows != twice_by_columns ? twice_by_rows < twice_by_columns : m >= n;
    if (rows && m < parts * tile_rows && n / panel_columns > m / tile_rows)
        return false;
    if (!rows && n < parts * panel_columns && m / tile_rows > n / panel_columns)
        return true;
    return rows;
}

EST_DECL void matrix_product(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
                             float alpha, float const* a, std::size_t lda, float const* b, std::size_t ldb, float beta,
                             float* c, std::size_t ldc) {
    if (m == 0 || n == 0)
        return;
    if (k == 0) {  // an empty sum: C is only scaled
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return;
    }
#if defined(EST_VECTOR_DISPATCH) || defined(__AVX2__)
    with_widest_vectors([&](auto lanes) {
        constexpr std::size_t L = decltype(lanes)::value;
        product::any_product<L>(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    });
#else
    (void)transpose_a, (void)transpose_b, (void)alpha, (void)a, (void)lda, (void)b, (void)ldb;
    throw std::logic_error("est: the matrix product was called where its kernels are not compiled");
#endif
}

}  // namespace est::detail
