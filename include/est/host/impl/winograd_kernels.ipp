// The kernels of Winograd's F(2x2, 5x5), shared by winograd_max_pooling (inference) and
// winograd_convolution (training): the transforms of inputs, weights and outputs, the products
// over the channels, and the transforms of the training pass's gradients. They are written for
// vectors of `Lanes` floats; the callers run them through est::detail::with_widest_vectors, which
// compiles them for AVX2 (8 lanes) and AVX-512 (16) and picks the CPU's widest.
#pragma once

#include <est/host/vector_width.hpp>
#include <est/host/winograd_convolution.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace est::onednn::winograd_detail {

using est::detail::vector_of;
/// A tile: 6x6 inputs, 2x2 outputs, 36 products.
constexpr std::size_t points = 36;
/// The products' blocks held in registers: 24 accumulators of AVX-512's 32 registers (4 vectors of
/// columns by 6 rows; with 7 rows, one accumulator lived on the stack), 12 of AVX2's 16 (2 by 6),
/// so that the right-hand side's vectors and the broadcast value have registers too.
template <std::size_t Lanes>
struct register_block {
    static constexpr std::size_t vectors = Lanes == 16 ? 4 : 2;
    static constexpr std::size_t rows = 6;
};

// F(2, 5) for a correlation, from Toom-Cook on the points 0, 1, -1, 2, -2 and infinity:
// y = A^T [(G g) * (B^T d)] for 6 inputs d and 5 taps g; in two dimensions
// Y = A^T [(G g G^T) * (B^T d B)] A. Its gradients: dL/dd = B [(G g G^T) * (A dY A^T)] B^T, which is
// the same as correlating the padded output gradient with the rotated window, and
// dL/dg = G^T [(B^T d B) * (A dY A^T)] G.

/// B^T d for 6 values (a column or a row of a tile).
template <class V>
inline void input_transform(V const (&d)[6], V (&r)[6]) {
    V sum12 = d[1] + d[2], sum34 = d[3] + d[4], diff12 = d[1] - d[2], diff43 = d[4] - d[3];
    V diff42 = d[4] - d[2], diff31 = d[3] - d[1];
    r[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
    r[1] = sum34 - 4.0f * sum12;
    r[2] = diff43 + 4.0f * diff12;
    r[3] = diff42 + 2.0f * diff31;
    r[4] = diff42 - 2.0f * diff31;
    r[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
}

/// A^T m for 6 values: the two outputs.
template <class V>
inline void output_transform(V const (&m)[6], V (&y)[2]) {
    y[0] = m[0] + (m[1] + m[2]) + (m[3] + m[4]);
    y[1] = (m[1] - m[2]) + 2.0f * (m[3] - m[4]) + m[5];
}

/// A dy for 2 output gradients: the 6 values their products receive.
template <class V>
inline void output_gradient_transform(V const (&dy)[2], V (&r)[6]) {
    r[0] = dy[0];
    r[1] = dy[0] + dy[1];
    r[2] = dy[0] - dy[1];
    r[3] = dy[0] + 2.0f * dy[1];
    r[4] = dy[0] - 2.0f * dy[1];
    r[5] = dy[1];
}

/// G g for 5 taps: the 6 transformed taps.
template <class V>
inline void weights_transform(V const (&g)[5], V (&u)[6]) {
    V even = g[0] + g[2] + g[4], odd = g[1] + g[3];
    V even4 = g[0] + 4.0f * g[2] + 16.0f * g[4], odd4 = 2.0f * g[1] + 8.0f * g[3];
    u[0] = 0.25f * g[0];
    u[1] = (-1.0f / 6.0f) * (even + odd);
    u[2] = (-1.0f / 6.0f) * (even - odd);
    u[3] = (1.0f / 24.0f) * (even4 + odd4);
    u[4] = (1.0f / 24.0f) * (even4 - odd4);
    u[5] = g[4];
}

/// G^T m for 6 transformed taps' gradients: the 5 taps' gradients.
template <class V>
inline void weights_gradient_transform(V const (&m)[6], V (&g)[5]) {
    V sum12 = m[1] + m[2], diff12 = m[1] - m[2], sum34 = m[3] + m[4], diff34 = m[3] - m[4];
    g[0] = 0.25f * m[0] - (1.0f / 6.0f) * sum12 + (1.0f / 24.0f) * sum34;
    g[1] = (-1.0f / 6.0f) * diff12 + (1.0f / 12.0f) * diff34;
    g[2] = (1.0f / 6.0f) * (sum34 - sum12);
    g[3] = (-1.0f / 6.0f) * diff12 + (1.0f / 3.0f) * diff34;
    g[4] = (-1.0f / 6.0f) * sum12 + (2.0f / 3.0f) * sum34 + m[5];
}

/// The transformed weights U, (36, channels, filters) row-major: G g G^T of every window of `w`,
/// (5, 5, channels, filters) row-major.
template <std::size_t Lanes>
inline void transform_weights(float const* w, std::size_t channels, std::size_t filters, float* u) {
    using vector = typename vector_of<Lanes>::type;
    for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t o = 0; o < filters; o += Lanes) {
            vector rows[6][5];  // G g: the window's columns transformed, row by row of the result
            for (std::size_t kw = 0; kw < 5; ++kw) {
                vector column[5], transformed[6];
                for (std::size_t kh = 0; kh < 5; ++kh)
                    std::memcpy(&column[kh], w + ((kh * 5 + kw) * channels + c) * filters + o, sizeof(vector));
                weights_transform(column, transformed);
                for (std::size_t i = 0; i < 6; ++i) rows[i][kw] = transformed[i];
            }
            for (std::size_t i = 0; i < 6; ++i) {
                vector transformed[6];
                weights_transform(rows[i], transformed);
                for (std::size_t j = 0; j < 6; ++j)
                    std::memcpy(u + ((i * 6 + j) * channels + c) * filters + o, &transformed[j], sizeof(vector));
            }
        }
}

/// The window of the backward-data pass: `w` (5, 5, channels, filters) turned by 180 degrees and
/// its channels and filters swapped, (5, 5, filters, channels) row-major.
inline void rotate_weights(float const* w, std::size_t channels, std::size_t filters, float* rotated) {
    for (std::size_t kh = 0; kh < 5; ++kh)
        for (std::size_t kw = 0; kw < 5; ++kw)
            for (std::size_t c = 0; c < channels; ++c)
                for (std::size_t o = 0; o < filters; ++o)
                    rotated[((kh * 5 + kw) * filters + o) * channels + c] =
                        w[(((4 - kh) * 5 + (4 - kw)) * channels + c) * filters + o];
}

/// The weights' gradient, (5, 5, channels, filters) row-major, from the gradients of the transformed
/// weights `m`, (36, channels, filters) row-major: G^T m G.
template <std::size_t Lanes>
inline void weights_gradient(float const* m, std::size_t channels, std::size_t filters,
                                                 float* dw) {
    using vector = typename vector_of<Lanes>::type;
    for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t o = 0; o < filters; o += Lanes) {
            vector rows[5][6];  // G^T m: the columns transformed, row by row of the result
            for (std::size_t j = 0; j < 6; ++j) {
                vector column[6], transformed[5];
                for (std::size_t i = 0; i < 6; ++i)
                    std::memcpy(&column[i], m + ((i * 6 + j) * channels + c) * filters + o, sizeof(vector));
                weights_gradient_transform(column, transformed);
                for (std::size_t i = 0; i < 5; ++i) rows[i][j] = transformed[i];
            }
            for (std::size_t kh = 0; kh < 5; ++kh) {
                vector transformed[5];
                weights_gradient_transform(rows[kh], transformed);
                for (std::size_t kw = 0; kw < 5; ++kw)
                    std::memcpy(dw + ((kh * 5 + kw) * channels + c) * filters + o, &transformed[kw], sizeof(vector));
            }
        }
}

/// Fetches into the L1 cache, for writing or for reading, the vectors at `c` of tile `t`'s
/// transformed values k = `first`, `first` + `step`, ... (6 of them: a row or a column of the
/// tile's 6x6) in `to`, (36, tiles, channels) row-major. The transforms write 36 lines far apart for
/// each tile (and the output transform reads them so), more than the hardware prefetchers follow:
/// fetched one tile ahead, conv2's Winograd passes in training ran in 0.94 of the time
/// (benchmarks/README.md, "Winograd transforms"). Each transform fetches the next tile's lines a row
/// or column at a time among its steps, where all 36 at once waited on the line fill buffers.
inline void prefetch_six(float const* to, std::size_t t, std::size_t c, std::size_t tiles, std::size_t channels,
                         std::size_t first, std::size_t step, bool for_writing) {
    for (std::size_t i = 0; i < 6; ++i) {
        float const* line = to + ((first + i * step) * tiles + t) * channels + c;
        if (for_writing)
            __builtin_prefetch(line, 1, 3);
        else
            __builtin_prefetch(line, 0, 3);
    }
}

/// Where the channels from `c` of position `p` (of `positions` in an image) lie in an image stored
/// in channel blocks of `block` (8 or 16: oneDNN's nChw8c, nChw16c), or row-major where `block` is 0.
inline std::size_t stored_at(std::size_t p, std::size_t c, std::size_t positions, std::size_t channels,
                             std::size_t block) {
    return block == 0 ? p * channels + c : ((c / block) * positions + p) * block + c % block;
}

/// The image at `x` copied into `padded`, (height + 4, width + 4, channels) row-major, with two
/// rows and columns of zeros on every side, so that every tile's patch lies inside it. The image is
/// stored in channel blocks of `block`, or row-major where `block` is 0.
inline void pad_image(winograd_dims const& d, float const* x, std::size_t block, float* padded) {
    std::size_t const row = (d.width + 4) * d.channels;
    std::fill(padded, padded + 2 * row, 0.0f);
    for (std::size_t r = 0; r < d.height; ++r) {
        float* to = padded + (r + 2) * row;
        std::fill(to, to + 2 * d.channels, 0.0f);
        if (block == 0)
            std::memcpy(to + 2 * d.channels, x + r * d.width * d.channels, d.width * d.channels * sizeof(float));
        else
            for (std::size_t b = 0; b < d.channels / block; ++b)
                for (std::size_t column = 0; column < d.width; ++column)
                    std::memcpy(to + (column + 2) * d.channels + b * block,
                                x + ((b * d.height + r) * d.width + column) * block, block * sizeof(float));
        std::fill(to + (d.width + 2) * d.channels, to + row, 0.0f);
    }
    std::fill(padded + (d.height + 2) * row, padded + (d.height + 4) * row, 0.0f);
}

/// The transformed inputs V of one image: B^T d B of every tile's 6x6 patch of the padded image, a
/// vector of channels at a time: (36, tiles, channels) row-major.
template <std::size_t Lanes>
inline void transform_inputs(winograd_dims const& d, float const* padded, float* v) {
    using vector = typename vector_of<Lanes>::type;
    std::size_t const tiles_wide = d.width / 2, tiles = d.tiles(), channels = d.channels;
    std::size_t const row = (d.width + 4) * channels;
    for (std::size_t ty = 0; ty < d.height / 2; ++ty)
        for (std::size_t tx = 0; tx < tiles_wide; ++tx)
            for (std::size_t c = 0; c < channels; c += Lanes) {
                std::size_t const t = ty * tiles_wide + tx;
                float const* corner = padded + 2 * ty * row + 2 * tx * channels + c;
                vector rows[6][6];  // B^T d
                for (std::size_t j = 0; j < 6; ++j) {
                    vector column[6], transformed[6];
                    for (std::size_t i = 0; i < 6; ++i)
                        std::memcpy(&column[i], corner + i * row + j * channels, sizeof(vector));
                    input_transform(column, transformed);
                    for (std::size_t i = 0; i < 6; ++i) rows[i][j] = transformed[i];
                }
                for (std::size_t i = 0; i < 6; ++i) {
                    if (t + 1 < tiles)
                        prefetch_six(v, t + 1, c, tiles, channels, 6 * i, 1, true);
                    vector transformed[6];
                    input_transform(rows[i], transformed);
                    for (std::size_t j = 0; j < 6; ++j)
                        std::memcpy(v + ((i * 6 + j) * tiles + t) * channels + c, &transformed[j], sizeof(vector));
                }
            }
}

/// The transformed output gradients of one image, A dY A^T of every tile's 2x2 gradients in `dy`,
/// (height, width, filters) row-major: (36, tiles, filters) row-major.
template <std::size_t Lanes>
inline void transform_output_gradients(winograd_dims const& d, float const* dy, float* r) {
    using vector = typename vector_of<Lanes>::type;
    std::size_t const tiles_wide = d.width / 2, tiles = d.tiles(), filters = d.out_channels, row = d.width * filters;
    for (std::size_t ty = 0; ty < d.height / 2; ++ty)
        for (std::size_t tx = 0; tx < tiles_wide; ++tx)
            for (std::size_t o = 0; o < filters; o += Lanes) {
                std::size_t const t = ty * tiles_wide + tx;
                float const* corner = dy + 2 * ty * row + 2 * tx * filters + o;
                vector columns[2][6];  // A dY, column by column
                for (std::size_t j = 0; j < 2; ++j) {
                    vector column[2];
                    std::memcpy(&column[0], corner + j * filters, sizeof(vector));
                    std::memcpy(&column[1], corner + row + j * filters, sizeof(vector));
                    output_gradient_transform(column, columns[j]);
                }
                for (std::size_t i = 0; i < 6; ++i) {
                    if (t + 1 < tiles)
                        prefetch_six(r, t + 1, o, tiles, filters, 6 * i, 1, true);
                    vector pair[2] = {columns[0][i], columns[1][i]}, transformed[6];
                    output_gradient_transform(pair, transformed);
                    for (std::size_t j = 0; j < 6; ++j)
                        std::memcpy(r + ((i * 6 + j) * tiles + t) * filters + o, &transformed[j], sizeof(vector));
                }
            }
}

/// A matrix product's block held in registers: m[r * m_row + k] = sum over s < depth of
/// a[r * a_row + s * a_step] b[s * b_step + k], for R rows and NV vectors of columns; added to m's
/// values where `accumulate`.
template <std::size_t Lanes, std::size_t R, std::size_t NV>
inline void product_block(float const* a, std::size_t a_row, std::size_t a_step, float const* b,
                                       std::size_t b_step, float* m, std::size_t m_row, std::size_t depth,
                                       bool accumulate) {
    using vector = typename vector_of<Lanes>::type;
    vector acc[R][NV] = {};
    if (accumulate)
#pragma GCC unroll 24
        for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (std::size_t k = 0; k < NV; ++k) std::memcpy(&acc[r][k], m + r * m_row + k * Lanes, sizeof(vector));
    for (std::size_t s = 0; s < depth; ++s, a += a_step, b += b_step) {
        vector w[NV];
#pragma GCC unroll 4
        for (std::size_t k = 0; k < NV; ++k) std::memcpy(&w[k], b + k * Lanes, sizeof(vector));
#pragma GCC unroll 24
        for (std::size_t r = 0; r < R; ++r) {
            float value = a[r * a_row];
#pragma GCC unroll 4
            for (std::size_t k = 0; k < NV; ++k) acc[r][k] += value * w[k];
        }
    }
#pragma GCC unroll 24
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (std::size_t k = 0; k < NV; ++k) std::memcpy(m + r * m_row + k * Lanes, &acc[r][k], sizeof(vector));
}

/// One matrix product, m (rows, columns) = a (rows, depth) b (depth, columns), columns a multiple
/// of Lanes, added to m where `accumulate`: a's element (r, s) at a[r * a_row + s * a_step], b's
/// (s, k) at b[s * b_step + k], m's (r, k) at m[r * m_row + k].
template <std::size_t Lanes>
struct product {
    float const* a;
    std::size_t a_row, a_step;
    float const* b;
    std::size_t b_step;
    float* m;
    std::size_t m_row, rows, columns, depth;
    bool accumulate = false;

    /// Columns [k, k + Lanes NV) of every row, R rows at a time (then the rows left), so that R times
    /// NV accumulators fill the registers register_block leaves them: on AVX-512 6 x 4, 12 x 2 or
    /// 24 x 1; on AVX2 6 x 2 or 12 x 1.
    template <std::size_t NV, std::size_t R>
    void columns_block(std::size_t k) const {
        std::size_t r = 0;
        for (; r + R <= rows; r += R)
            product_block<Lanes, R, NV>(a + r * a_row, a_row, a_step, b + k, b_step, m + r * m_row + k, m_row, depth,
                                        accumulate);
        if (r < rows)
            rows_left<NV, R - 1>(r, k);
    }
    template <std::size_t NV, std::size_t R>
    void rows_left(std::size_t r, std::size_t k) const {
        if constexpr (R > 0) {
            if (rows - r == R)
                return product_block<Lanes, R, NV>(a + r * a_row, a_row, a_step, b + k, b_step, m + r * m_row + k,
                                                   m_row, depth, accumulate);
            rows_left<NV, R - 1>(r, k);
        }
    }
    void operator()() const {
        constexpr std::size_t widest = register_block<Lanes>::vectors,
                              accumulators = widest * register_block<Lanes>::rows;
        std::size_t k = 0;
        for (; k + widest * Lanes <= columns; k += widest * Lanes) columns_block<widest, accumulators / widest>(k);
        if constexpr (widest > 2)
            for (; k + 2 * Lanes <= columns; k += 2 * Lanes) columns_block<2, accumulators / 2>(k);
        for (; k < columns; k += Lanes) columns_block<1, accumulators>(k);
    }
};

/// The 36 products of one image's tiles, M (36, tiles, filters) row-major, from its transformed
/// inputs V (36, tiles, channels) and the transformed weights U (36, channels, filters).
template <std::size_t Lanes>
inline void products(winograd_dims const& d, float const* v, float const* u, float* m) {
    std::size_t const channels = d.channels, filters = d.out_channels, tiles = d.tiles();
    for (std::size_t p = 0; p < points; ++p)
        product<Lanes>{.a = v + p * tiles * channels,
                       .a_row = channels,
                       .a_step = 1,
                       .b = u + p * channels * filters,
                       .b_step = filters,
                       .m = m + p * tiles * filters,
                       .m_row = filters,
                       .rows = tiles,
                       .columns = filters,
                       .depth = channels}();
}

/// The gradients of the 36 transformed weights' elements, (36, channels, filters), summed over an
/// image's tiles from its transformed inputs V (36, tiles, channels) and output gradients R (36,
/// tiles, filters): added to `m` where `accumulate`.
template <std::size_t Lanes>
inline void weights_products(winograd_dims const& d, float const* v, float const* r, float* m, bool accumulate) {
    std::size_t const channels = d.channels, filters = d.out_channels, tiles = d.tiles();
    for (std::size_t p = 0; p < points; ++p)
        product<Lanes>{.a = v + p * tiles * channels,
                .a_row = 1,
                .a_step = channels,
                .b = r + p * tiles * filters,
                .b_step = filters,
                .m = m + p * channels * filters,
                .m_row = filters,
                .rows = channels,
                .columns = filters,
                .depth = tiles,
                .accumulate = accumulate}();
}

/// Each tile's four outputs A^T m A, plus the bias, pooled to their maximum (and ReLU applied to
/// it, which commutes with the maximum): the image's pooled output, (height / 2, width / 2,
/// filters) row-major.
template <std::size_t Lanes>
inline void pool_outputs(winograd_dims const& d, float const* m, float const* bias, float* y) {
    using vector = typename vector_of<Lanes>::type;
    std::size_t const tiles = d.tiles(), filters = d.out_channels;
    vector zero{};
    for (std::size_t t = 0; t < tiles; ++t)
        for (std::size_t o = 0; o < filters; o += Lanes) {
            vector rows[2][6];  // A^T m
            for (std::size_t j = 0; j < 6; ++j) {
                if (t + 1 < tiles)
                    prefetch_six(m, t + 1, o, tiles, filters, j, 6, false);
                vector column[6], transformed[2];
                for (std::size_t i = 0; i < 6; ++i)
                    std::memcpy(&column[i], m + ((i * 6 + j) * tiles + t) * filters + o, sizeof(vector));
                output_transform(column, transformed);
                rows[0][j] = transformed[0];
                rows[1][j] = transformed[1];
            }
            vector top[2], bottom[2];
            output_transform(rows[0], top);
            output_transform(rows[1], bottom);
            vector left = top[0] > bottom[0] ? top[0] : bottom[0];
            vector right = top[1] > bottom[1] ? top[1] : bottom[1];
            vector pooled = left > right ? left : right, b;
            std::memcpy(&b, bias + o, sizeof b);
            pooled += b;
            if (d.op == post_op::relu)
                pooled = pooled > zero ? pooled : zero;
            std::memcpy(y + t * filters + o, &pooled, sizeof pooled);
        }
}

/// Each tile's four outputs A^T m A, plus the bias where there is one, with the post-op: the image's
/// output, (height, width, filters) stored in channel blocks of `block`, or row-major where `block`
/// is 0.
template <std::size_t Lanes>
inline void write_outputs(winograd_dims const& d, float const* m, float const* bias, float* y, std::size_t block) {
    using vector = typename vector_of<Lanes>::type;
    std::size_t const tiles = d.tiles(), tiles_wide = d.width / 2, filters = d.out_channels,
                      positions = d.height * d.width;
    std::size_t const part = block == 0 ? Lanes : std::min(block, Lanes);
    vector zero{};
    for (std::size_t t = 0; t < tiles; ++t)
        for (std::size_t o = 0; o < filters; o += Lanes) {
            vector rows[2][6];  // A^T m
            for (std::size_t j = 0; j < 6; ++j) {
                if (t + 1 < tiles)
                    prefetch_six(m, t + 1, o, tiles, filters, j, 6, false);
                vector column[6], transformed[2];
                for (std::size_t i = 0; i < 6; ++i)
                    std::memcpy(&column[i], m + ((i * 6 + j) * tiles + t) * filters + o, sizeof(vector));
                output_transform(column, transformed);
                rows[0][j] = transformed[0];
                rows[1][j] = transformed[1];
            }
            vector outputs[2][2], b{};
            output_transform(rows[0], outputs[0]);
            output_transform(rows[1], outputs[1]);
            if (bias)
                std::memcpy(&b, bias + o, sizeof b);
            std::size_t const top = (t / tiles_wide) * 2, left = (t % tiles_wide) * 2;
            for (std::size_t i = 0; i < 2; ++i)
                for (std::size_t j = 0; j < 2; ++j) {
                    vector value = outputs[i][j] + b;
                    if (d.op == post_op::relu)
                        value = value > zero ? value : zero;
                    float values[Lanes];
                    std::memcpy(values, &value, sizeof value);
                    std::size_t p = (top + i) * d.width + left + j;
                    for (std::size_t k = 0; k < Lanes; k += part)
                        std::memcpy(y + stored_at(p, o + k, positions, filters, block), values + k,
                                    part * sizeof(float));
                }
        }
}

}  // namespace est::onednn::winograd_detail

