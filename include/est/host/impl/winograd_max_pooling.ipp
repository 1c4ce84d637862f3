// Definitions of est/host/winograd_max_pooling.hpp (see est/core/config.hpp).
#pragma once

#include <est/host/vector_width.hpp>
#include <est/host/winograd_max_pooling.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

// The kernels are compiled for AVX-512 whatever the build's baseline, as the dispatching loops of
// vector_width.hpp are; they run only where the CPU has it (runs_on_this_cpu).
#if defined(EST_VECTOR_DISPATCH)
#define EST_WINOGRAD_TARGET [[gnu::target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]]
#else
#define EST_WINOGRAD_TARGET
#endif

namespace est::onednn {

namespace winograd_detail {

/// 16 floats, one AVX-512 register.
typedef float vector16 __attribute__((vector_size(64)));
constexpr std::size_t lanes = 16;
/// A tile: 6x6 inputs, 2x2 outputs (one pooled value), 36 products.
constexpr std::size_t points = 36;
/// Tiles a block of the products holds in registers: 6 times 4 vectors of filters is 24
/// accumulators, so that the 4 weight vectors and the broadcast value have registers too (with 7,
/// one accumulator lived on the stack).
constexpr std::size_t block_tiles = 6;

// F(2, 5) for a correlation, from Toom-Cook on the points 0, 1, -1, 2, -2 and infinity:
// y = A^T [(G g) * (B^T d)] for 6 inputs d and 5 taps g; in two dimensions
// Y = A^T [(G g G^T) * (B^T d B)] A.

/// B^T d for 6 values (a column or a row of a tile).
EST_WINOGRAD_TARGET inline void input_transform(vector16 const (&d)[6], vector16 (&r)[6]) {
    vector16 sum12 = d[1] + d[2], sum34 = d[3] + d[4], diff12 = d[1] - d[2], diff43 = d[4] - d[3];
    vector16 diff42 = d[4] - d[2], diff31 = d[3] - d[1];
    r[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
    r[1] = sum34 - 4.0f * sum12;
    r[2] = diff43 + 4.0f * diff12;
    r[3] = diff42 + 2.0f * diff31;
    r[4] = diff42 - 2.0f * diff31;
    r[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
}

/// A^T m for 6 values: the two outputs.
EST_WINOGRAD_TARGET inline void output_transform(vector16 const (&m)[6], vector16 (&y)[2]) {
    y[0] = m[0] + (m[1] + m[2]) + (m[3] + m[4]);
    y[1] = (m[1] - m[2]) + 2.0f * (m[3] - m[4]) + m[5];
}

/// G g for 5 taps: the 6 transformed taps.
EST_WINOGRAD_TARGET inline void weights_transform(vector16 const (&g)[5], vector16 (&u)[6]) {
    vector16 even = g[0] + g[2] + g[4], odd = g[1] + g[3];
    vector16 even4 = g[0] + 4.0f * g[2] + 16.0f * g[4], odd4 = 2.0f * g[1] + 8.0f * g[3];
    u[0] = 0.25f * g[0];
    u[1] = (-1.0f / 6.0f) * (even + odd);
    u[2] = (-1.0f / 6.0f) * (even - odd);
    u[3] = (1.0f / 24.0f) * (even4 + odd4);
    u[4] = (1.0f / 24.0f) * (even4 - odd4);
    u[5] = g[4];
}

/// The transformed weights U, (36, channels, filters) row-major: G g G^T of every window.
EST_WINOGRAD_TARGET inline void transform_weights(float const* w, std::size_t channels, std::size_t filters, float* u) {
    for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t o = 0; o < filters; o += lanes) {
            vector16 rows[6][5];  // G g: the window's columns transformed, row by row of the result
            for (std::size_t kw = 0; kw < 5; ++kw) {
                vector16 column[5], transformed[6];
                for (std::size_t kh = 0; kh < 5; ++kh)
                    std::memcpy(&column[kh], w + ((kh * 5 + kw) * channels + c) * filters + o, sizeof(vector16));
                weights_transform(column, transformed);
                for (std::size_t i = 0; i < 6; ++i) rows[i][kw] = transformed[i];
            }
            for (std::size_t i = 0; i < 6; ++i) {
                vector16 transformed[6];
                weights_transform(rows[i], transformed);
                for (std::size_t j = 0; j < 6; ++j)
                    std::memcpy(u + ((i * 6 + j) * channels + c) * filters + o, &transformed[j], sizeof(vector16));
            }
        }
}

/// The image at `x` copied into `padded`, (height + 4, width + 4, channels) row-major, with two
/// rows and columns of zeros on every side, so that every tile's patch lies inside it. The image is
/// stored in channel blocks of `block` (oneDNN's nChw8c, nChw16c), or row-major where `block` is 0.
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

/// The transformed inputs V of one image, (36, tiles, channels) row-major: B^T d B of every tile's
/// 6x6 patch of the padded image, 16 channels at a time.
EST_WINOGRAD_TARGET inline void transform_inputs(winograd_dims const& d, float const* padded, float* v) {
    std::size_t const tiles_high = d.height / 2, tiles_wide = d.width / 2, tiles = tiles_high * tiles_wide;
    std::size_t const row = (d.width + 4) * d.channels;
    for (std::size_t ty = 0; ty < tiles_high; ++ty)
        for (std::size_t tx = 0; tx < tiles_wide; ++tx)
            for (std::size_t c = 0; c < d.channels; c += lanes) {
                float const* corner = padded + 2 * ty * row + 2 * tx * d.channels + c;
                vector16 rows[6][6];  // B^T d
                for (std::size_t j = 0; j < 6; ++j) {
                    vector16 column[6], transformed[6];
                    for (std::size_t i = 0; i < 6; ++i)
                        std::memcpy(&column[i], corner + i * row + j * d.channels, sizeof(vector16));
                    input_transform(column, transformed);
                    for (std::size_t i = 0; i < 6; ++i) rows[i][j] = transformed[i];
                }
                std::size_t t = ty * tiles_wide + tx;
                for (std::size_t i = 0; i < 6; ++i) {
                    vector16 transformed[6];
                    input_transform(rows[i], transformed);
                    for (std::size_t j = 0; j < 6; ++j)
                        std::memcpy(v + ((i * 6 + j) * tiles + t) * d.channels + c, &transformed[j], sizeof(vector16));
                }
            }
}

/// M[t][o] = sum over c of V[t][c] U[c][o] for T tiles from `v` and NV vectors of filters from `u`
/// (one element of the tiles' products): T times NV accumulators in registers.
template <std::size_t T, std::size_t NV>
EST_WINOGRAD_TARGET void product_block(float const* v, float const* u, float* m, std::size_t channels,
                                       std::size_t filters) {
    vector16 acc[T][NV] = {};
    for (std::size_t c = 0; c < channels; ++c) {
        vector16 w[NV];
#pragma GCC unroll 4
        for (std::size_t k = 0; k < NV; ++k) std::memcpy(&w[k], u + c * filters + k * lanes, sizeof(vector16));
#pragma GCC unroll 6
        for (std::size_t t = 0; t < T; ++t) {
            float s = v[t * channels + c];
#pragma GCC unroll 4
            for (std::size_t k = 0; k < NV; ++k) acc[t][k] += s * w[k];
        }
    }
#pragma GCC unroll 6
    for (std::size_t t = 0; t < T; ++t)
#pragma GCC unroll 4
        for (std::size_t k = 0; k < NV; ++k) std::memcpy(m + t * filters + k * lanes, &acc[t][k], sizeof(vector16));
}

/// The blocks of filters of `tiles` (at most block_tiles) tiles.
template <std::size_t T>
void product_row(float const* v, float const* u, float* m, std::size_t channels, std::size_t filters) {
    std::size_t o = 0;
    for (; o + 4 * lanes <= filters; o += 4 * lanes) product_block<T, 4>(v, u + o, m + o, channels, filters);
    for (; o + 2 * lanes <= filters; o += 2 * lanes) product_block<T, 2>(v, u + o, m + o, channels, filters);
    for (; o < filters; o += lanes) product_block<T, 1>(v, u + o, m + o, channels, filters);
}

template <std::size_t T = block_tiles - 1>
void product_remainder(std::size_t tiles, float const* v, float const* u, float* m, std::size_t channels,
                       std::size_t filters) {
    if constexpr (T > 0) {
        if (tiles == T)
            return product_row<T>(v, u, m, channels, filters);
        product_remainder<T - 1>(tiles, v, u, m, channels, filters);
    }
}

/// The 36 products of one image's tiles: M (36, tiles, filters) row-major.
inline void products(winograd_dims const& d, float const* v, float const* u, float* m) {
    std::size_t const tiles = (d.height / 2) * (d.width / 2);
    for (std::size_t p = 0; p < points; ++p) {
        float const* vp = v + p * tiles * d.channels;
        float const* up = u + p * d.channels * d.out_channels;
        float* mp = m + p * tiles * d.out_channels;
        std::size_t t = 0;
        for (; t + block_tiles <= tiles; t += block_tiles)
            product_row<block_tiles>(vp + t * d.channels, up, mp + t * d.out_channels, d.channels, d.out_channels);
        if (t < tiles)
            product_remainder(tiles - t, vp + t * d.channels, up, mp + t * d.out_channels, d.channels, d.out_channels);
    }
}

/// Each tile's four outputs A^T m A, plus the bias, pooled to their maximum (and ReLU applied to
/// it, which commutes with the maximum): the image's pooled output, (height / 2, width / 2,
/// filters) row-major.
EST_WINOGRAD_TARGET inline void pool_outputs(winograd_dims const& d, float const* m, float const* bias, float* y) {
    std::size_t const tiles = (d.height / 2) * (d.width / 2), filters = d.out_channels;
    vector16 zero{};
    for (std::size_t t = 0; t < tiles; ++t)
        for (std::size_t o = 0; o < filters; o += lanes) {
            vector16 rows[2][6];  // A^T m
            for (std::size_t j = 0; j < 6; ++j) {
                vector16 column[6], transformed[2];
                for (std::size_t i = 0; i < 6; ++i)
                    std::memcpy(&column[i], m + ((i * 6 + j) * tiles + t) * filters + o, sizeof(vector16));
                output_transform(column, transformed);
                rows[0][j] = transformed[0];
                rows[1][j] = transformed[1];
            }
            vector16 top[2], bottom[2];
            output_transform(rows[0], top);
            output_transform(rows[1], bottom);
            vector16 left = top[0] > bottom[0] ? top[0] : bottom[0];
            vector16 right = top[1] > bottom[1] ? top[1] : bottom[1];
            vector16 pooled = left > right ? left : right, b;
            std::memcpy(&b, bias + o, sizeof b);
            pooled += b;
            if (d.op == post_op::relu)
                pooled = pooled > zero ? pooled : zero;
            std::memcpy(y + t * filters + o, &pooled, sizeof pooled);
        }
}

}  // namespace winograd_detail

EST_DECL bool winograd_max_pooling::runs_on_this_cpu() {
    static bool const runs = [] {
        if (char const* setting = std::getenv("EST_WINOGRAD"); setting && std::string_view(setting) == "0")
            return false;
#if defined(EST_VECTOR_DISPATCH)
        return est::detail::widest_vector_width() == est::detail::vector_width::avx512;
#elif defined(__AVX512F__)
        return true;
#else
        return false;
#endif
    }();
    return runs;
}

EST_DECL void winograd_max_pooling::prepare(float const* weights, std::size_t slots) {
    namespace w = winograd_detail;
    std::size_t const tiles = (dims_.height / 2) * (dims_.width / 2);
    transformed_weights_.resize(w::points * dims_.channels * dims_.out_channels);
    w::transform_weights(weights, dims_.channels, dims_.out_channels, transformed_weights_.data());
    std::size_t const padded = (dims_.height + 4) * (dims_.width + 4) * dims_.channels;
    transformed_inputs_.resize(slots * (w::points * tiles * dims_.channels + padded));
    products_.resize(slots * w::points * tiles * dims_.out_channels);
}

EST_DECL void winograd_max_pooling::forward_images(float const* x, std::size_t first, std::size_t last,
                                                   std::size_t block, float const* bias, float* y, std::size_t slot) {
    namespace w = winograd_detail;
    std::size_t const tiles = (dims_.height / 2) * (dims_.width / 2);
    std::size_t const inputs_size = w::points * tiles * dims_.channels,
                      padded_size = (dims_.height + 4) * (dims_.width + 4) * dims_.channels,
                      products_size = w::points * tiles * dims_.out_channels;
    float* v = transformed_inputs_.data() + slot * (inputs_size + padded_size);
    float* padded = v + inputs_size;
    float* m = products_.data() + slot * products_size;
    std::size_t const image = dims_.height * dims_.width * dims_.channels, pooled = tiles * dims_.out_channels;
    for (std::size_t n = first; n < last; ++n) {
        w::pad_image(dims_, x + n * image, block, padded);
        w::transform_inputs(dims_, padded, v);
        w::products(dims_, v, transformed_weights_.data(), m);
        w::pool_outputs(dims_, m, bias, y + n * pooled);
    }
}

}  // namespace est::onednn

#undef EST_WINOGRAD_TARGET
