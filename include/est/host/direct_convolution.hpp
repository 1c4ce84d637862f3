// A convolution over few input channels (a first layer on images: the example CNN's conv1, 1 to 32
// channels) in training, by est's own kernels: the forward pass with bias and ReLU, the weights'
// and bias's gradients, and the input gradient where one is asked for. On AVX2 oneDNN 2.6 runs such
// a layer's weights gradient at about a sixth of the FP32 peak, and every one of its primitive
// executions allocates on the heap; these kernels hold a block of outputs (or a row of taps'
// gradients) in registers and read each image once, padded into a buffer of the thread's
// (benchmarks/README.md, "est's convolution kernels on AVX2"). They run on AVX2 and on AVX-512: on
// AVX-512 oneDNN's weights gradient for such a layer is faster than est's, but whole CNN steps are
// faster on est's, which reorder nothing and allocate nothing ("est's kernels on real AVX-512"
// there). EST_DIRECT_CONVOLUTION=0 turns them off, for comparisons.
//
// What it covers (`fits`): stride 1, at most 4 input channels, filters in multiples of 16, a window
// of at most 7 whose padded input fits in 64 KiB, no activation or ReLU. Activations are NHWC; the
// weights are read and their gradient written as est stores them canonically, (window, window,
// channels, filters) row-major, so that the filters of a tap are contiguous vectors.
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/primitive.hpp>
#include <est/host/image_slots.hpp>
#include <est/host/onednn.hpp>
#include <est/host/vector_width.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

namespace est::onednn {

namespace direct_detail {

using est::detail::lanes_constant;
using est::detail::vector_of;

/// Vector registers: 16 on AVX2, 32 on AVX-512.
template <std::size_t Lanes>
inline constexpr std::size_t registers = Lanes == 16 ? 32 : 16;
/// Accumulators a forward block holds: 12 of AVX2's registers, 24 of AVX-512's, leaving registers
/// for the weights' vectors and the broadcast input value.
template <std::size_t Lanes>
inline constexpr std::size_t accumulators = Lanes == 16 ? 24 : 12;
/// Filter vectors a forward block takes at most: 2 on AVX2 (by 6 columns: 12 accumulators, 2
/// weights and the input value in 15 registers), 4 on AVX-512 (by 6 or more columns).
template <std::size_t Lanes>
inline constexpr std::size_t forward_vectors = Lanes == 16 ? 4 : 2;
/// Filter vectors a weights-gradient block takes at most for a window of K: for each, K
/// accumulators and the vector of gradients, and the broadcast input value, in the registers.
template <std::size_t Lanes, std::size_t K>
inline constexpr std::size_t gradient_vectors = (registers<Lanes> - 1) / (K + 1);

/// The geometry G's image padded with zeros on every side: its rows, columns and floats.
template <class G>
struct padded_image {
    static constexpr std::size_t width = G::width + G::pad_left + G::pad_right;
    static constexpr std::size_t height = G::height + G::pad_top + G::pad_bottom;
    static constexpr std::size_t floats = height * width * G::channels;
    /// Where tap (ky, kx, c), the window's (ky * window + kx) * channels + c-th, reads the padded
    /// image, from the window's corner.
    using offsets = std::array<std::size_t, G::window * G::window * G::channels>;
    static constexpr offsets tap_offsets = [] {  // typed, so that only a geometry that runs computes it
        offsets table{};
        for (std::size_t ky = 0; ky < G::window; ++ky)
            for (std::size_t kx = 0; kx < G::window; ++kx)
                for (std::size_t c = 0; c < G::channels; ++c)
                    table[(ky * G::window + kx) * G::channels + c] = (ky * width + kx) * G::channels + c;
        return table;
    }();

    /// Image `x`, (height, width, channels) row-major, into `padded`, whose zeros stay.
    static void fill(float const* x, float* padded) {
        for (std::size_t r = 0; r < G::height; ++r)
            std::memcpy(padded + ((r + G::pad_top) * width + G::pad_left) * G::channels, x + r * G::width * G::channels,
                        G::width * G::channels * sizeof(float));
    }
};

/// The forward pass's outputs (y, x0 .. x0 + X) of filter vectors [b, b + NB), from the padded
/// image: bias plus every tap, then the post-op.
template <class G, post_op Op, std::size_t Lanes, std::size_t NB, std::size_t X>
[[gnu::always_inline]] inline void forward_block(float const* padded, float const* weights, float const* bias, float* y,
                                                 std::size_t row, std::size_t x0, std::size_t b) {
    using vector = typename vector_of<Lanes>::type;
    constexpr std::size_t C = G::channels, K = G::window, O = G::out_channels;
    vector acc[NB][X];
#pragma GCC unroll 24
    for (std::size_t k = 0; k < NB; ++k) {
        vector v;
        std::memcpy(&v, bias + (b + k) * Lanes, sizeof v);
#pragma GCC unroll 24
        for (std::size_t i = 0; i < X; ++i) acc[k][i] = v;
    }
    // One loop over the taps, the weights of each O floats after the last's: nested loops over the
    // window's rows, columns and channels let g++ interleave taps until the accumulators spill.
    float const* in = padded + (row * padded_image<G>::width + x0) * C;
    float const* w_tap = weights + b * Lanes;
    for (std::size_t t = 0; t < K * K * C; ++t, w_tap += O) {
        float const* at = in + padded_image<G>::tap_offsets[t];
        vector w[NB];
#pragma GCC unroll 24
        for (std::size_t k = 0; k < NB; ++k) std::memcpy(&w[k], w_tap + k * Lanes, sizeof(vector));
#pragma GCC unroll 24
        for (std::size_t i = 0; i < X; ++i) {
            float s = at[i * C];
#pragma GCC unroll 24
            for (std::size_t k = 0; k < NB; ++k) acc[k][i] += s * w[k];
        }
    }
    vector zero{};
#pragma GCC unroll 24
    for (std::size_t i = 0; i < X; ++i)
#pragma GCC unroll 24
        for (std::size_t k = 0; k < NB; ++k) {
            vector v = acc[k][i];
            if constexpr (Op == post_op::relu)
                v = v > zero ? v : zero;
            std::memcpy(y + ((row * G::out_width) + x0 + i) * O + (b + k) * Lanes, &v, sizeof v);
        }
}

/// One output row of filter vectors [b, b + NB): X columns at a time, then the rest in one block.
template <class G, post_op Op, std::size_t Lanes, std::size_t NB>
inline void forward_row(float const* padded, float const* weights, float const* bias, float* y, std::size_t row,
                        std::size_t b) {
    constexpr std::size_t X = accumulators<Lanes> / NB, rest = G::out_width % X;
    for (std::size_t x0 = 0; x0 + X <= G::out_width; x0 += X)
        forward_block<G, Op, Lanes, NB, X>(padded, weights, bias, y, row, x0, b);
    if constexpr (rest != 0)
        forward_block<G, Op, Lanes, NB, rest>(padded, weights, bias, y, row, G::out_width - rest, b);
}

/// The gradients of taps (ky, 0 .. K) of channel c and filter vectors [b, b + NB), added over the
/// image's positions to `sums` (window, window, channels, filters): one row of taps in registers.
template <class G, std::size_t Lanes, std::size_t NB>
[[gnu::always_inline]] inline void weights_block(float const* padded, float const* dy, float* sums, std::size_t ky,
                                                 std::size_t c, std::size_t b) {
    using vector = typename vector_of<Lanes>::type;
    constexpr std::size_t C = G::channels, K = G::window, O = G::out_channels;
    vector acc[K][NB];
#pragma GCC unroll 8
    for (std::size_t kx = 0; kx < K; ++kx)
#pragma GCC unroll 24
        for (std::size_t k = 0; k < NB; ++k)
            std::memcpy(&acc[kx][k], sums + ((ky * K + kx) * C + c) * O + (b + k) * Lanes, sizeof(vector));
    for (std::size_t row = 0; row < G::out_height; ++row) {
        float const* in = padded + (row + ky) * padded_image<G>::width * C + c;
        float const* gradients = dy + row * G::out_width * O + b * Lanes;
        for (std::size_t x = 0; x < G::out_width; ++x) {
            vector d[NB];
#pragma GCC unroll 24
            for (std::size_t k = 0; k < NB; ++k) std::memcpy(&d[k], gradients + x * O + k * Lanes, sizeof(vector));
#pragma GCC unroll 8
            for (std::size_t kx = 0; kx < K; ++kx) {
                float s = in[(x + kx) * C];
#pragma GCC unroll 24
                for (std::size_t k = 0; k < NB; ++k) acc[kx][k] += s * d[k];
            }
        }
    }
#pragma GCC unroll 8
    for (std::size_t kx = 0; kx < K; ++kx)
#pragma GCC unroll 24
        for (std::size_t k = 0; k < NB; ++k)
            std::memcpy(sums + ((ky * K + kx) * C + c) * O + (b + k) * Lanes, &acc[kx][k], sizeof(vector));
}

/// f(lanes_constant<NB>{}, b) for the filter vectors [b, b + NB) of Vectors, in groups of Widest,
/// then the rest as one group.
template <std::size_t Vectors, std::size_t Widest, class F>
[[gnu::always_inline]] inline void each_vector_group(F&& f) {
    for (std::size_t b = 0; b + Widest <= Vectors; b += Widest) f(lanes_constant<Widest>{}, b);
    if constexpr (Vectors % Widest != 0)
        f(lanes_constant<Vectors % Widest>{}, Vectors - Vectors % Widest);
}

}  // namespace direct_detail

/// A convolution over few channels in training (see above). Buffers are kept and sized on the first
/// batch of a size; the images go to `Host`'s threads in equal ranges (for_each_slice).
///   forward<Host>(x, batch, weights, bias, y): x (batch, height, width, channels), y (batch,
///       out_height, out_width, out_channels), op(conv(x) + bias)
///   backward<Host>(x, dy, batch, weights, weights_gradient, bias_gradient, dx): dy like y, the
///       gradient before op, or handed over image by image (image_gradients); writes the weights'
///       and bias's gradients, and dx like x where dx is not null
template <class G, post_op Op>
class direct_convolution {
public:
    static constexpr bool fits = G::stride == 1 && G::channels <= 4 && G::out_channels % 16 == 0 && G::window <= 7 &&
                                 direct_detail::padded_image<G>::floats <= 16 * 1024 &&
                                 (Op == post_op::none || Op == post_op::relu);

    /// Whether the kernels run: on CPUs with AVX2 and FMA or AVX-512, unless
    /// EST_DIRECT_CONVOLUTION=0 in the environment turns them off.
    static bool runs_on_this_cpu() {
        static bool const runs = est::detail::vector_kernels_run("EST_DIRECT_CONVOLUTION");
        return runs;
    }

    template <class Host>
    void forward(float const* x, std::size_t batch, float const* weights, float const* bias, float* y) {
        std::size_t slots = image_slots<Host>(batch);
        padded_.resize(slots * padded_floats);
        std::fill(padded_.data(), padded_.data() + padded_.size(), 0.0f);
        for_each_image_slot<Host>(batch, slots, [&](std::size_t slot, std::size_t first, std::size_t last) {
            float* padded = padded_.data() + slot * padded_floats;
            est::detail::with_widest_vectors([&](auto lanes) {
                constexpr std::size_t L = decltype(lanes)::value, vectors = G::out_channels / L;
                constexpr std::size_t widest = std::min(vectors, direct_detail::forward_vectors<L>);
                for (std::size_t n = first; n < last; ++n) {
                    direct_detail::padded_image<G>::fill(x + n * G::input_size, padded);
                    float* image = y + n * G::output_size;
                    for (std::size_t row = 0; row < G::out_height; ++row)
                        direct_detail::each_vector_group<vectors, widest>([&](auto nb, std::size_t b) {
                            direct_detail::forward_row<G, Op, L, decltype(nb)::value>(padded, weights, bias, image, row,
                                                                                      b);
                        });
                }
            });
        });
    }

    template <class Host>
    void backward(float const* x, float const* dy, std::size_t batch, float const* weights, float* weights_gradient,
                  float* bias_gradient, float* dx) {
        backward_images<Host>(
            x, batch, [&](std::size_t n, std::size_t) { return dy + n * G::output_size; }, weights, weights_gradient,
            bias_gradient, dx);
    }

    /// The same with the output gradient handed over image by image (a max pooling's after it): each
    /// image's written to its thread's buffer, and read from there while the cache holds it.
    template <class Host>
    void backward(float const* x, image_gradients const& dy, std::size_t batch, float const* weights,
                  float* weights_gradient, float* bias_gradient, float* dx) {
        gradient_images_.resize(image_slots<Host>(batch) * G::output_size);
        backward_images<Host>(
            x, batch,
            [&](std::size_t n, std::size_t slot) {
                float* image = gradient_images_.data() + slot * G::output_size;
                dy.write(n, image);
                return static_cast<float const*>(image);
            },
            weights, weights_gradient, bias_gradient, dx);
    }

private:
    /// The backward pass, image n's output gradient at gradient_of(n, slot).
    template <class Host, class GradientOf>
    void backward_images(float const* x, std::size_t batch, GradientOf const& gradient_of, float const* weights,
                         float* weights_gradient, float* bias_gradient, float* dx) {
        std::size_t slots = image_slots<Host>(batch);
        padded_.resize(slots * padded_floats);
        std::fill(padded_.data(), padded_.data() + padded_.size(), 0.0f);
        sums_.resize(slots * sum_floats);
        std::fill(sums_.data(), sums_.data() + sums_.size(), 0.0f);
        for_each_image_slot<Host>(batch, slots, [&](std::size_t slot, std::size_t first, std::size_t last) {
            float* padded = padded_.data() + slot * padded_floats;
            float* sums = sums_.data() + slot * sum_floats;
            est::detail::with_widest_vectors([&](auto lanes) {
                constexpr std::size_t L = decltype(lanes)::value, vectors = G::out_channels / L;
                for (std::size_t n = first; n < last; ++n) {
                    direct_detail::padded_image<G>::fill(x + n * G::input_size, padded);
                    float const* gradients = gradient_of(n, slot);
                    constexpr std::size_t widest = std::min(vectors, direct_detail::gradient_vectors<L, G::window>);
                    for (std::size_t ky = 0; ky < G::window; ++ky)
                        for (std::size_t c = 0; c < G::channels; ++c)
                            direct_detail::each_vector_group<vectors, widest>([&](auto nb, std::size_t b) {
                                direct_detail::weights_block<G, L, decltype(nb)::value>(padded, gradients, sums, ky, c,
                                                                                        b);
                            });
                    float* bias_sums = sums + weights_floats;
                    for (std::size_t p = 0; p < G::out_height * G::out_width; ++p)
                        for (std::size_t o = 0; o < G::out_channels; ++o)
                            bias_sums[o] += gradients[p * G::out_channels + o];
                    if (dx)
                        input_gradient(gradients, weights, dx + n * G::input_size);
                }
            });
        });
        // The threads' sums, added in the order of the slots: the same bits from run to run.
        float* total = sums_.data();
        for (std::size_t slot = 1; slot < slots; ++slot) {
            float const* more = sums_.data() + slot * sum_floats;
            for (std::size_t i = 0; i < sum_floats; ++i) total[i] += more[i];
        }
        std::copy(total, total + weights_floats, weights_gradient);
        std::copy(total + weights_floats, total + sum_floats, bias_gradient);
    }

    static constexpr std::size_t padded_floats = direct_detail::padded_image<G>::floats;
    static constexpr std::size_t weights_floats = G::window * G::window * G::channels * G::out_channels;
    static constexpr std::size_t sum_floats = weights_floats + G::out_channels;

    /// One image's input gradient: each input value's sum over the taps that read it of the output
    /// gradients times the weights (a first layer is never asked for it; a layer that is, rarely).
    static void input_gradient(float const* dy, float const* weights, float* dx) {
        constexpr std::size_t C = G::channels, K = G::window, O = G::out_channels;
        for (std::size_t r = 0; r < G::height; ++r)
            for (std::size_t col = 0; col < G::width; ++col)
                for (std::size_t c = 0; c < C; ++c) {
                    float sum = 0.0f;
                    for (std::size_t ky = 0; ky < K; ++ky) {
                        std::size_t row = r + G::pad_top - ky;  // the output row that reads (r, col) at tap ky
                        if (r + G::pad_top < ky || row >= G::out_height)
                            continue;
                        for (std::size_t kx = 0; kx < K; ++kx) {
                            std::size_t column = col + G::pad_left - kx;
                            if (col + G::pad_left < kx || column >= G::out_width)
                                continue;
                            float const* d = dy + (row * G::out_width + column) * O;
                            float const* w = weights + ((ky * K + kx) * C + c) * O;
                            for (std::size_t o = 0; o < O; ++o) sum += d[o] * w[o];
                        }
                    }
                    dx[(r * G::width + col) * C + c] = sum;
                }
    }

    /// Each slot's padded image, sums of the gradients, and output gradient handed over by image.
    host_buffer<float> padded_, sums_, gradient_images_;
};

}  // namespace est::onednn
