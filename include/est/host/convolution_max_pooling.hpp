// A convolution of few input channels followed by a 2x2 max pooling of stride 2, at inference, in
// one pass that never writes the convolution's output. On images the first convolution is the
// model's widest activation (Fashion-MNIST's CNN: 32 channels of 28x28, 25.7 MB at a batch of
// 256), so oneDNN's kernel for it is held to the memory's speed writing it, and the pooling then
// reads it all back; here each pooled row is computed from the input rows it needs, in registers,
// and only the pooled rows are written (benchmarks/README.md, "Convolution and pooling fused").
//
// What it covers, checked at compile time (`fusable`) and, for the layouts, at run time: a
// convolution of stride 1 over at most 4 channels whose padded input fits in 64 KiB, with no
// activation or ReLU (both commute with the maximum, so they are applied after it), whose output
// the host back end keeps in blocks of 8 or 16 channels (oneDNN's nChw8c, nChw16c) of which there
// is a whole number, or in the canonical layout (NHWC); then a max pooling of window 2, stride 2,
// without padding. Everything else runs as two layers.
#pragma once

#include <est/core/layout.hpp>
#include <est/core/primitive.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

namespace est::onednn {

template <class G, post_op Op, class P>
inline constexpr bool fusable = G::stride == 1 && G::channels <= 4 &&
                                (G::height + G::pad_top + G::pad_bottom) * (G::width + G::pad_left + G::pad_right) *
                                        G::channels <=
                                    16 * 1024 &&
                                (Op == post_op::none || Op == post_op::relu) && P::window == 2 && P::stride == 2 &&
                                P::pad_top == 0 && P::pad_left == 0 && P::height == G::out_height &&
                                P::width == G::out_width && P::out_height == G::out_height / 2 &&
                                P::out_width == G::out_width / 2 && P::out_height > 0 && P::out_width > 0;

namespace detail {

/// A vector of V floats (GCC's and clang's vector extension). A typedef: g++ 12 silently drops a
/// vector_size that depends on a template parameter from an alias-declaration (`using t = float
/// __attribute__((vector_size(V * 4)))` is a float), not from a typedef.
template <std::size_t V>
struct float_vector {
    typedef float type __attribute__((vector_size(V * sizeof(float))));
};

/// One image: its input padded on the stack, then, for each pooled row, the two convolution rows
/// under it, four columns and one or two blocks of V channels at a time (up to 16 accumulators, so
/// that the weights and the input values have registers too), pooled and stored.
///   x: the image, (height, width, channels) row-major; weights (window, window, channels,
///   out_channels) row-major, as est stores them canonically (each tap's filters contiguous, as
///   direct_convolution.hpp, which trains such a layer, reads them); y: the pooled image,
///   (out_channels / V, pooled height, pooled width, V) where `Blocked`, otherwise (pooled height,
///   pooled width, out_channels)
template <class G, post_op Op, class P, std::size_t V, bool Blocked>
struct convolution_max_pooling_image {
    float const* x;
    float const* weights;
    float const* bias;
    float* y;

    static constexpr std::size_t C = G::channels, K = G::window, blocks = G::out_channels / V;
    static constexpr std::size_t padded_width = G::width + G::pad_left + G::pad_right;
    static constexpr std::size_t padded_height = G::height + G::pad_top + G::pad_bottom;
    static constexpr std::size_t PH = P::out_height, PW = P::out_width;
    using vector = typename float_vector<V>::type;
    static_assert(sizeof(vector) == V * sizeof(float));

    void operator()(std::size_t n) const {
        std::array<float, padded_height * padded_width * C> padded{};
        float const* image = x + n * G::input_size;
        for (std::size_t r = 0; r < G::height; ++r)
            std::memcpy(padded.data() + ((r + G::pad_top) * padded_width + G::pad_left) * C, image + r * G::width * C,
                        G::width * C * sizeof(float));
        float* out = y + n * PH * PW * G::out_channels;
        for (std::size_t pr = 0; pr < PH; ++pr) {
            std::size_t b = 0;
            for (; b + 2 <= blocks; b += 2) row<2, 4>(padded.data(), out, pr, b);
            if (b < blocks)
                row<1, 4>(padded.data(), out, pr, b);
        }
    }

    /// Pooled row `pr` of channel blocks [b, b + NB): four convolution columns (two pooled) at a
    /// time, then the last pooled column alone where their number is odd.
    template <std::size_t NB, std::size_t X>
    void row(float const* padded, float* out, std::size_t pr, std::size_t b) const {
        std::size_t pc = 0;
        for (; pc + X / 2 <= PW; pc += X / 2) columns<NB, X>(padded, out, pr, b, pc);
        for (; pc < PW; ++pc) columns<NB, 2>(padded, out, pr, b, pc);
    }

    /// Adds input values `s` of X columns times tap (ky, kx) of channel c to one convolution row's
    /// accumulators of blocks [b, b + NB).
    template <std::size_t NB, std::size_t X>
    void accumulate(vector (&acc)[NB][X], float const (&s)[X], std::size_t b, std::size_t ky, std::size_t kx,
                    std::size_t c) const {
        for (std::size_t k = 0; k < NB; ++k) {
            vector w;
            std::memcpy(&w, weights + ((ky * K + kx) * C + c) * G::out_channels + (b + k) * V, sizeof w);
            for (std::size_t i = 0; i < X; ++i) acc[k][i] += s[i] * w;
        }
    }

    template <std::size_t NB, std::size_t X>
    void columns(float const* padded, float* out, std::size_t pr, std::size_t b, std::size_t pc) const {
        vector acc[2][NB][X];
        for (std::size_t k = 0; k < NB; ++k) {
            vector v;
            std::memcpy(&v, bias + (b + k) * V, sizeof v);
            for (std::size_t i = 0; i < X; ++i) acc[0][k][i] = acc[1][k][i] = v;
        }
        std::size_t x0 = 2 * pc;
        // Input row 2 pr + iy feeds convolution row 2 pr at tap iy and row 2 pr + 1 at tap iy - 1.
        for (std::size_t iy = 0; iy <= K; ++iy) {
            float const* in = padded + ((2 * pr + iy) * padded_width + x0) * C;
            for (std::size_t kx = 0; kx < K; ++kx)
                for (std::size_t c = 0; c < C; ++c) {
                    float s[X];
                    for (std::size_t i = 0; i < X; ++i) s[i] = in[(i + kx) * C + c];
                    if (iy < K)
                        accumulate<NB, X>(acc[0], s, b, iy, kx, c);
                    if (iy > 0)
                        accumulate<NB, X>(acc[1], s, b, iy - 1, kx, c);
                }
        }
        for (std::size_t k = 0; k < NB; ++k)
            for (std::size_t j = 0; j < X / 2; ++j) {
                vector top = acc[0][k][2 * j] > acc[0][k][2 * j + 1] ? acc[0][k][2 * j] : acc[0][k][2 * j + 1];
                vector bottom = acc[1][k][2 * j] > acc[1][k][2 * j + 1] ? acc[1][k][2 * j] : acc[1][k][2 * j + 1];
                vector m = top > bottom ? top : bottom;
                if constexpr (Op == post_op::relu) {
                    vector zero{};
                    m = m > zero ? m : zero;
                }
                std::size_t at = Blocked ? (((b + k) * PH + pr) * PW + pc + j) * V
                                         : (pr * PW + pc + j) * G::out_channels + (b + k) * V;
                std::memcpy(out + at, &m, sizeof m);
            }
    }
};

}  // namespace detail

}  // namespace est::onednn
