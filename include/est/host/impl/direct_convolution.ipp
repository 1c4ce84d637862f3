// Definitions of est/host/direct_convolution.hpp (see est/core/config.hpp).
#pragma once

#include <est/host/direct_convolution.hpp>
#include <est/host/vector_width.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#if defined(_OPENMP)
#include <omp.h>
#endif

// The kernels are compiled for AVX-512 whatever the build's baseline, as the dispatching loops of
// vector_width.hpp are; they run only where the CPU has it (runs_on_this_cpu).
#if defined(EST_VECTOR_DISPATCH)
#define EST_DIRECT_CONVOLUTION_TARGET [[gnu::target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]]
#else
#define EST_DIRECT_CONVOLUTION_TARGET
#endif

namespace est::onednn {

namespace direct_detail {

/// 16 floats, one AVX-512 register.
typedef float vector16 __attribute__((vector_size(64)));
constexpr std::size_t lanes = 16;
/// Output positions a forward tile holds (times two vectors of channels: 28 accumulators).
constexpr std::size_t tile_positions = 14;
/// Input channels a weights-gradient tile holds (times up to two vectors of filters).
constexpr std::size_t tile_channels = 8;

/// The calling thread's share of the threads a pass runs on: all of OpenMP's, or one inside a
/// parallel region.
inline int threads() {
#if defined(_OPENMP)
    return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
    return 1;
#endif
}

/// f(i, slot) for i in [0, n) on up to `threads` threads, `slot` the thread's index; on the calling
/// thread where one runs them (libgomp would allocate a team for a region of one thread).
template <class F>
void parallel_for(std::size_t n, int threads, F const& f) {
    int used = int(std::min<std::size_t>(n, std::size_t(std::max(threads, 1))));
    if (used <= 1) {
        for (std::size_t i = 0; i < n; ++i) f(i, 0);
        return;
    }
#if defined(_OPENMP)
#pragma omp parallel num_threads(used)
    {
        auto slot = std::size_t(omp_get_thread_num());
        std::size_t begin = n * slot / std::size_t(used), end = n * (slot + 1) / std::size_t(used);
        for (std::size_t i = begin; i < end; ++i) f(i, slot);
    }
#endif
}

/// A stride-1 convolution of a padded input as the forward tiles see it: the input padded on the
/// left and right and stored (row, channel, column), so that a tile's input values for one tap and
/// channel are adjacent (rows outside [top, top + in_height) are padding, never read); the output
/// (out_height, out_width, out_channels) row-major.
struct padded_pass {
    std::size_t in_height, in_width, in_channels, top, left, right;
    std::size_t out_height, out_width, out_channels, window;
    std::size_t padded_width() const { return left + in_width + right; }
    std::size_t padded_size() const { return (top + in_height) * padded_width() * in_channels; }
};

/// T output positions of one row times NV vectors of output channels: the taps of the window rows
/// [kh0, kh1) (the others fall on padding), then the bias and ReLU.
///   in: the padded input at the tile's first window position; w: the kernel, (window, window,
///   in_channels, out_channels), at the tile's first channel; out: the output at the tile's first
///   position and channel
template <std::size_t T, std::size_t NV>
EST_DIRECT_CONVOLUTION_TARGET void forward_tile(padded_pass const& p, float const* in, float const* w,
                                                float const* bias, float* out, std::size_t kh0, std::size_t kh1,
                                                bool relu) {
    vector16 acc[T][NV];
    for (std::size_t v = 0; v < NV; ++v) {
        vector16 b{};
        if (bias)
            std::memcpy(&b, bias + v * lanes, sizeof b);
#pragma GCC unroll 16
        for (std::size_t t = 0; t < T; ++t) acc[t][v] = b;
    }
    std::size_t const cin = p.in_channels, cout = p.out_channels, width = p.padded_width(), row = width * cin;
    for (std::size_t kh = kh0; kh < kh1; ++kh)
        for (std::size_t kw = 0; kw < p.window; ++kw) {
            float const* ip = in + kh * row + kw;
            float const* wp = w + (kh * p.window + kw) * cin * cout;
            for (std::size_t c = 0; c < cin; ++c, ip += width) {
                vector16 wv[NV];
#pragma GCC unroll 2
                for (std::size_t v = 0; v < NV; ++v) std::memcpy(&wv[v], wp + c * cout + v * lanes, sizeof wv[v]);
#pragma GCC unroll 16
                for (std::size_t t = 0; t < T; ++t) {
                    float s = ip[t];
#pragma GCC unroll 2
                    for (std::size_t v = 0; v < NV; ++v) acc[t][v] += s * wv[v];
                }
            }
        }
    vector16 zero{};
#pragma GCC unroll 16
    for (std::size_t t = 0; t < T; ++t)
#pragma GCC unroll 2
        for (std::size_t v = 0; v < NV; ++v) {
            vector16 a = relu ? (acc[t][v] > zero ? acc[t][v] : zero) : acc[t][v];
            std::memcpy(out + t * cout + v * lanes, &a, sizeof a);
        }
}

/// The tiles of the last `count` (< tile_positions) positions of a row.
template <std::size_t NV, std::size_t T = tile_positions - 1>
void forward_remainder(std::size_t count, padded_pass const& p, float const* in, float const* w, float const* bias,
                       float* out, std::size_t kh0, std::size_t kh1, bool relu) {
    if constexpr (T > 0) {
        if (count == T)
            return forward_tile<T, NV>(p, in, w, bias, out, kh0, kh1, relu);
        forward_remainder<NV, T - 1>(count, p, in, w, bias, out, kh0, kh1, relu);
    }
}

/// One image: the padded input at `padded`, the output at `out`.
inline void forward_image(padded_pass const& p, float const* padded, float const* w, float const* bias, float* out,
                          bool relu) {
    std::size_t const row = p.padded_width() * p.in_channels;
    for (std::size_t c0 = 0; c0 < p.out_channels;) {
        bool two = c0 + 2 * lanes <= p.out_channels;
        for (std::size_t oh = 0; oh < p.out_height; ++oh) {
            // Window row kh reads padded row oh + kh, input where it lies in [top, top + in_height).
            std::size_t kh0 = oh < p.top ? p.top - oh : 0;
            std::size_t kh1 = std::min(p.window, p.top + p.in_height - oh);
            float const* in = padded + oh * row;
            float* o = out + oh * p.out_width * p.out_channels + c0;
            float const* b = bias ? bias + c0 : nullptr;
            std::size_t ow = 0;
            for (; ow + tile_positions <= p.out_width; ow += tile_positions) {
                if (two)
                    forward_tile<tile_positions, 2>(p, in + ow, w + c0, b, o + ow * p.out_channels, kh0, kh1, relu);
                else
                    forward_tile<tile_positions, 1>(p, in + ow, w + c0, b, o + ow * p.out_channels, kh0, kh1, relu);
            }
            if (ow < p.out_width) {
                if (two)
                    forward_remainder<2>(p.out_width - ow, p, in + ow, w + c0, b, o + ow * p.out_channels, kh0, kh1,
                                         relu);
                else
                    forward_remainder<1>(p.out_width - ow, p, in + ow, w + c0, b, o + ow * p.out_channels, kh0, kh1,
                                         relu);
            }
        }
        c0 += two ? 2 * lanes : lanes;
    }
}

/// Copies an image, (in_height, in_width, in_channels) row-major, into its padded rows, each
/// (channel, column); the padding columns of those rows are zeroed (padding rows are never read).
inline void pad_image(padded_pass const& p, float const* image, float* padded) {
    std::size_t const c = p.in_channels, width = p.padded_width();
    for (std::size_t r = 0; r < p.in_height; ++r) {
        float* to = padded + (p.top + r) * c * width;
        float const* from = image + r * p.in_width * c;
        for (std::size_t k = 0; k < c; ++k) {
            float* line = to + k * width;
            std::fill(line, line + p.left, 0.0f);
            for (std::size_t x = 0; x < p.in_width; ++x) line[p.left + x] = from[x * c + k];
            std::fill(line + p.left + p.in_width, line + width, 0.0f);
        }
    }
}

/// Adds, for window tap (kh, kw), the products of tile_channels input channels from `x` with NV
/// vectors of output-gradient channels from `dy` over the output positions of rows [oh0, oh1) and
/// columns [ow0, ow1) to the weights gradient's tile at `dw` ((channels, out_channels) row-major).
template <std::size_t NV>
EST_DIRECT_CONVOLUTION_TARGET void weights_tile(direct_convolution_dims const& d, float const* x, float const* dy,
                                                float* dw, std::size_t kh, std::size_t kw, std::size_t oh0,
                                                std::size_t oh1, std::size_t ow0, std::size_t ow1) {
    constexpr std::size_t T = tile_channels;
    vector16 acc[T][NV];
#pragma GCC unroll 16
    for (std::size_t t = 0; t < T; ++t)
#pragma GCC unroll 2
        for (std::size_t v = 0; v < NV; ++v)
            std::memcpy(&acc[t][v], dw + t * d.out_channels + v * lanes, sizeof(vector16));
    for (std::size_t oh = oh0; oh < oh1; ++oh) {
        float const* xr = x + ((oh + kh - d.pad_top) * d.width + (ow0 + kw - d.pad_left)) * d.channels;
        float const* gr = dy + (oh * d.out_width + ow0) * d.out_channels;
        for (std::size_t i = 0; i < ow1 - ow0; ++i) {
            vector16 g[NV];
#pragma GCC unroll 2
            for (std::size_t v = 0; v < NV; ++v) std::memcpy(&g[v], gr + i * d.out_channels + v * lanes, sizeof g[v]);
#pragma GCC unroll 16
            for (std::size_t t = 0; t < T; ++t) {
                float s = xr[i * d.channels + t];
#pragma GCC unroll 2
                for (std::size_t v = 0; v < NV; ++v) acc[t][v] += s * g[v];
            }
        }
    }
#pragma GCC unroll 16
    for (std::size_t t = 0; t < T; ++t)
#pragma GCC unroll 2
        for (std::size_t v = 0; v < NV; ++v)
            std::memcpy(dw + t * d.out_channels + v * lanes, &acc[t][v], sizeof(vector16));
}

/// One image's contribution to the weights and bias gradients (window, window, channels,
/// out_channels) and (out_channels): output rows in bands whose gradient and input rows stay in
/// the L1 cache while every tap and tile of channels passes over them.
inline void weights_image(direct_convolution_dims const& d, float const* x, float const* dy, float* dw, float* db) {
    for (std::size_t i = 0; i < d.out_height * d.out_width; ++i)
        for (std::size_t o = 0; o < d.out_channels; ++o) db[o] += dy[i * d.out_channels + o];
    std::size_t band = std::max<std::size_t>(1, 16 * 1024 / (d.out_width * d.out_channels * sizeof(float)));
    for (std::size_t b0 = 0; b0 < d.out_height; b0 += band) {
        std::size_t b1 = std::min(d.out_height, b0 + band);
        for (std::size_t kh = 0; kh < d.window; ++kh) {
            // Output row oh meets input row oh + kh - pad_top, which must lie in [0, height).
            std::size_t oh0 = std::max(b0, kh < d.pad_top ? d.pad_top - kh : 0);
            std::size_t oh1 = std::min(b1, d.height + d.pad_top > kh ? d.height + d.pad_top - kh : 0);
            if (oh0 >= oh1)
                continue;
            for (std::size_t kw = 0; kw < d.window; ++kw) {
                std::size_t ow0 = kw < d.pad_left ? d.pad_left - kw : 0;
                std::size_t ow1 = std::min(d.out_width, d.width + d.pad_left > kw ? d.width + d.pad_left - kw : 0);
                if (ow0 >= ow1)
                    continue;
                for (std::size_t c0 = 0; c0 < d.channels; c0 += tile_channels) {
                    float* tap = dw + ((kh * d.window + kw) * d.channels + c0) * d.out_channels;
                    for (std::size_t o0 = 0; o0 < d.out_channels;) {
                        if (o0 + 2 * lanes <= d.out_channels) {
                            weights_tile<2>(d, x + c0, dy + o0, tap + o0, kh, kw, oh0, oh1, ow0, ow1);
                            o0 += 2 * lanes;
                        } else {
                            weights_tile<1>(d, x + c0, dy + o0, tap + o0, kh, kw, oh0, oh1, ow0, ow1);
                            o0 += lanes;
                        }
                    }
                }
            }
        }
    }
}

}  // namespace direct_detail

EST_DECL bool direct_convolution::runs_on_this_cpu() {
    static bool const runs = [] {
        if (char const* switch_ = std::getenv("EST_DIRECT_CONVOLUTION"); switch_ && std::string_view(switch_) == "0")
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

EST_DECL void direct_convolution::forward(float const* x, std::size_t batch, float const* weights, float const* bias,
                                          float* y) {
    direct_detail::padded_pass p{dims_.height,    dims_.width,      dims_.channels,  dims_.pad_top,      dims_.pad_left,
                                 dims_.pad_right, dims_.out_height, dims_.out_width, dims_.out_channels, dims_.window};
    int threads = direct_detail::threads();
    padded_.resize(std::size_t(threads) * p.padded_size());
    bool relu = dims_.op == post_op::relu;
    direct_detail::parallel_for(batch, threads, [&](std::size_t n, std::size_t slot) {
        float* padded = padded_.data() + slot * p.padded_size();
        direct_detail::pad_image(p, x + n * dims_.height * dims_.width * dims_.channels, padded);
        direct_detail::forward_image(p, padded, weights, bias,
                                     y + n * dims_.out_height * dims_.out_width * dims_.out_channels, relu);
    });
}

EST_DECL void direct_convolution::backward_data(float const* dy, std::size_t batch, float const* weights, float* dx) {
    // dx is the forward convolution of dy, padded by window - 1 - padding on each side, with the
    // window rotated by half a turn and the kernel's channels and filters swapped.
    std::size_t const K = dims_.window, C = dims_.channels, O = dims_.out_channels;
    rotated_.resize(K * K * C * O);
    float* rotated = rotated_.data();
    for (std::size_t kh = 0; kh < K; ++kh)
        for (std::size_t kw = 0; kw < K; ++kw) {
            float const* from = weights + ((K - 1 - kh) * K + (K - 1 - kw)) * C * O;
            float* to = rotated + (kh * K + kw) * O * C;
            for (std::size_t c = 0; c < C; ++c)
                for (std::size_t o = 0; o < O; ++o) to[o * C + c] = from[c * O + o];
        }
    direct_detail::padded_pass p{dims_.out_height,
                                 dims_.out_width,
                                 O,
                                 K - 1 - dims_.pad_top,
                                 K - 1 - dims_.pad_left,
                                 K - 1 - dims_.pad_right,
                                 dims_.height,
                                 dims_.width,
                                 C,
                                 K};
    int threads = direct_detail::threads();
    padded_.resize(std::size_t(threads) * p.padded_size());
    direct_detail::parallel_for(batch, threads, [&](std::size_t n, std::size_t slot) {
        float* padded = padded_.data() + slot * p.padded_size();
        direct_detail::pad_image(p, dy + n * dims_.out_height * dims_.out_width * O, padded);
        direct_detail::forward_image(p, padded, rotated, nullptr, dx + n * dims_.height * dims_.width * C, false);
    });
}

EST_DECL void direct_convolution::backward_weights(float const* x, float const* dy, std::size_t batch,
                                                   float* weights_gradient, float* bias_gradient) {
    std::size_t const kernel = dims_.window * dims_.window * dims_.channels * dims_.out_channels;
    std::size_t const O = dims_.out_channels, part_size = kernel + O;
    std::size_t parts = gradient_parts(batch);
    if (parts == 0) {
        std::fill(weights_gradient, weights_gradient + kernel, 0.0f);
        std::fill(bias_gradient, bias_gradient + O, 0.0f);
        return;
    }
    partials_.resize(parts * part_size);
    direct_detail::parallel_for(parts, direct_detail::threads(), [&](std::size_t part, std::size_t) {
        float* dw = partials_.data() + part * part_size;
        std::fill(dw, dw + part_size, 0.0f);
        for (std::size_t n = batch * part / parts; n < batch * (part + 1) / parts; ++n)
            direct_detail::weights_image(dims_, x + n * dims_.height * dims_.width * dims_.channels,
                                         dy + n * dims_.out_height * dims_.out_width * O, dw, dw + kernel);
    });
    // The parts in order, whatever thread computed each.
    float const* partials = partials_.data();
    std::size_t columns = std::max<std::size_t>(1, (part_size + 63) / 64);
    direct_detail::parallel_for(64, direct_detail::threads(), [&](std::size_t block, std::size_t) {
        for (std::size_t i = block * columns; i < std::min(part_size, (block + 1) * columns); ++i) {
            float sum = partials[i];
            for (std::size_t part = 1; part < parts; ++part) sum += partials[part * part_size + i];
            (i < kernel ? weights_gradient[i] : bias_gradient[i - kernel]) = sum;
        }
    });
}

}  // namespace est::onednn

#undef EST_DIRECT_CONVOLUTION_TARGET
