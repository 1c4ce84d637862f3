// 2-D max and average pooling as est's own kernels (functors every back end runs: the host's and the
// device's), in the layout of their input: channels innermost (canonical NHWC) or in blocks of 8 or
// 16 (after oneDNN's blocked convolutions), so each window position is one vectorized pass over a
// block of channels (EST_VECTORIZE in the forward pass and the backward pass over tiling windows,
// where g++ left blocks of 8 and 16 scalar).
// On the host they replace oneDNN 2.6's pooling primitives, which ran 4 to 9 times slower on AVX2
// and 1.3 to 2.1 times slower on AVX-512 in the CNN's layouts (benchmarks/README.md, "Pooling over
// tiling windows").
// The backward pass writes each input position once, without atomics (gathering over the windows
// that cover it; max pooling over windows that tile the input, from each window), so results do
// not depend on the number of threads. Average pooling excludes the padding from each window's count, as
// TensorFlow's `same` does; max pooling's gradient goes to the first maximum of a window.
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/error.hpp>
#include <est/core/host_device.hpp>
#include <est/core/layout.hpp>
#include <est/core/primitive.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>

namespace est::detail {

/// Where a pooling's windows lie: the input as (batch, groups, height, width, Block) with channels
/// in groups of Block (one group of all channels for NHWC).
template <class G>
struct pooling_windows {
    /// Input rows/columns [begin, end) of output position `o`, clipped to the input.
    EST_HOST_DEVICE static void window(std::size_t o, std::size_t pad, std::size_t extent, std::size_t& begin,
                                       std::size_t& end) {
        std::ptrdiff_t first = std::ptrdiff_t(o * G::stride) - std::ptrdiff_t(pad);
        std::ptrdiff_t last = first + std::ptrdiff_t(G::window);
        begin = first < 0 ? 0 : std::size_t(first);
        end = last > std::ptrdiff_t(extent) ? extent : std::size_t(last);
    }
    /// Output positions [begin, end) whose windows contain input position `i`.
    EST_HOST_DEVICE static void covering(std::size_t i, std::size_t pad, std::size_t outputs, std::size_t& begin,
                                         std::size_t& end) {
        std::ptrdiff_t shifted = std::ptrdiff_t(i + pad);
        std::ptrdiff_t first = shifted - std::ptrdiff_t(G::window) + 1;
        begin = first <= 0 ? 0 : std::size_t((first + std::ptrdiff_t(G::stride) - 1) / std::ptrdiff_t(G::stride));
        std::size_t last = std::size_t(shifted) / G::stride + 1;
        end = last < outputs ? last : outputs;
        end = end > begin ? end : begin;
    }
};

/// Whether a pooling's windows tile its input (stride == window, no padding, no input left over):
/// each input position then lies in exactly one window, and every window has window x window
/// positions, a trip count known at compile time.
template <class G>
inline constexpr bool windows_tile = (G::stride == G::window) && (G::pad_top == 0) && (G::pad_left == 0) &&
                                     (G::out_height * G::window == G::height) && (G::out_width * G::window == G::width);

/// Output row r (over batch x groups x out_height): for each of its windows, the maximum or mean
/// of each of its Block channels; with KeepArgmax, where the maximum was (h * width + w) in
/// `argmax`. A call covers a row, so the index arithmetic is paid once per row, not per window.
template <class G, pooling_kind Kind, std::size_t Block, bool KeepArgmax>
struct pooling_forward : pooling_windows<G> {
    float const* x;
    float* y;
    std::int32_t* argmax;
    EST_HOST_DEVICE void operator()(std::size_t r) const {
        std::size_t plane = r / G::out_height;  // batch * groups + group
        std::size_t oh = r % G::out_height;
        std::size_t h0, h1;
        this->window(oh, G::pad_top, G::height, h0, h1);
        float const* rows = x + plane * G::height * G::width * Block;
        for (std::size_t ow = 0; ow < G::out_width; ++ow) {
            std::size_t w0, w1;
            this->window(ow, G::pad_left, G::width, w0, w1);
            std::size_t window_rows = h1 - h0, window_columns = w1 - w0;
            if constexpr (windows_tile<G>)
                window_rows = window_columns = G::window;
            std::size_t o = (r * G::out_width + ow) * Block;
            float result[Block];
            std::int32_t where[Block];
            float const* start = rows + (h0 * G::width + w0) * Block;
            EST_VECTORIZE
            for (std::size_t c = 0; c < Block; ++c) {
                result[c] = start[c];
                where[c] = std::int32_t(h0 * G::width + w0);
            }
            for (std::size_t i = 0; i < window_rows; ++i)
                for (std::size_t j = 0; j < window_columns; ++j) {
                    if (i == 0 && j == 0)
                        continue;
                    std::size_t h = h0 + i, w = w0 + j;
                    float const* v = rows + (h * G::width + w) * Block;
                    auto position = std::int32_t(h * G::width + w);
                    EST_VECTORIZE
                    for (std::size_t c = 0; c < Block; ++c) {
                        if constexpr (Kind == pooling_kind::max) {
                            // The first maximum wins ties. Blended through a mask, as integers:
                            // written as selects, g++ turned them into a branch and left the loop
                            // scalar.
                            float current = result[c], candidate = v[c];
                            std::int32_t better = -std::int32_t(candidate > current);
                            result[c] = std::bit_cast<float>((std::bit_cast<std::int32_t>(candidate) & better) |
                                                             (std::bit_cast<std::int32_t>(current) & ~better));
                            where[c] = (position & better) | (where[c] & ~better);
                        } else {
                            result[c] += v[c];
                        }
                    }
                }
            if constexpr (Kind == pooling_kind::mean) {
                float inverse_count = 1.0f / float((h1 - h0) * (w1 - w0));
                EST_VECTORIZE
                for (std::size_t c = 0; c < Block; ++c) result[c] *= inverse_count;
            }
            EST_VECTORIZE
            for (std::size_t c = 0; c < Block; ++c) y[o + c] = result[c];
            if constexpr (KeepArgmax) {
                EST_VECTORIZE
                for (std::size_t c = 0; c < Block; ++c) argmax[o + c] = where[c];
            }
        }
    }
};

/// x's bits where `keep`, zero elsewhere: a mask, which vectorizes where a select between floats
/// did not.
EST_HOST_DEVICE inline float kept_if(float x, bool keep) {
    return std::bit_cast<float>(std::bit_cast<std::int32_t>(x) & -std::int32_t(keep));
}

/// Max pooling's gradient at an input position from one window's dy: dy where the window's maximum
/// was at `position`, zero elsewhere.
EST_HOST_DEVICE inline float routed_gradient(float dy, std::int32_t argmax, std::int32_t position) {
    return kept_if(dy, argmax == position);
}

/// Output o's gradient as max pooling's backward pass takes it: dy[o], or, ThroughRelu, dy[o] where
/// the window's maximum y[o] is positive and zero elsewhere (y is read only ThroughRelu). That is
/// ReLU's derivative applied too, for a pooling of a ReLU's output: the input that was the maximum
/// is the one whose derivative counts, and it is positive exactly where the maximum is
/// (max(relu(z)) = relu(max(z))). Equal to ReLU's own pass after the pooling's wherever dy is
/// finite; at a maximum of 0 an infinite or NaN dy gives 0 here, NaN there.
template <bool ThroughRelu>
EST_HOST_DEVICE inline float window_gradient(float const* dy, [[maybe_unused]] float const* y, std::size_t o) {
    if constexpr (ThroughRelu)
        return kept_if(dy[o], y[o] > 0.0f);
    else
        return dy[o];
}

/// Input row r (over batch x groups x height): for each position of it, the sum of the gradients
/// of the outputs that took it (max pooling ThroughRelu: each output's window_gradient, from the
/// pooled output y).
template <class G, pooling_kind Kind, std::size_t Block, bool ThroughRelu = false>
struct pooling_backward : pooling_windows<G> {
    static_assert(Kind == pooling_kind::max || !ThroughRelu, "ReLU commutes with the maximum, not the mean");
    float const* dy;
    std::int32_t const* argmax;
    float* dx;
    float const* y = nullptr;  ///< the pooled output, ThroughRelu
    EST_HOST_DEVICE void operator()(std::size_t r) const {
        std::size_t plane = r / G::height;
        std::size_t h = r % G::height;
        std::size_t oh0, oh1;
        this->covering(h, G::pad_top, G::out_height, oh0, oh1);
        for (std::size_t w = 0; w < G::width; ++w) {
            std::size_t ow0, ow1;
            this->covering(w, G::pad_left, G::out_width, ow0, ow1);
            auto position = std::int32_t(h * G::width + w);
            float sum[Block];
            for (std::size_t c = 0; c < Block; ++c) sum[c] = 0.0f;
            for (std::size_t oh = oh0; oh < oh1; ++oh)
                for (std::size_t ow = ow0; ow < ow1; ++ow) {
                    std::size_t o = ((plane * G::out_height + oh) * G::out_width + ow) * Block;
                    if constexpr (Kind == pooling_kind::max) {
                        for (std::size_t c = 0; c < Block; ++c)
                            sum[c] +=
                                routed_gradient(window_gradient<ThroughRelu>(dy, y, o + c), argmax[o + c], position);
                    } else {
                        std::size_t h0, h1, w0, w1;
                        this->window(oh, G::pad_top, G::height, h0, h1);
                        this->window(ow, G::pad_left, G::width, w0, w1);
                        float inverse_count = 1.0f / float((h1 - h0) * (w1 - w0));
                        for (std::size_t c = 0; c < Block; ++c) sum[c] += dy[o + c] * inverse_count;
                    }
                }
            float* out = dx + (r * G::width + w) * Block;
            for (std::size_t c = 0; c < Block; ++c) out[c] = sum[c];
        }
    }
};

/// Max pooling's backward pass where the windows tile the input (stride == window, no padding, no
/// input left over): each input position lies in exactly one window, so output row r (over batch x
/// groups x out_height) writes the window rows under it, each position the routed_gradient of the
/// window's window_gradient. Unlike the gather above, every loop has a trip count known at compile
/// time, and the block of channels is one vector.
template <class G, std::size_t Block, bool ThroughRelu = false>
struct tiled_max_pooling_backward {
    static constexpr bool applies = windows_tile<G>;
    float const* dy;
    std::int32_t const* argmax;
    float* dx;
    float const* y = nullptr;  ///< the pooled output, ThroughRelu
    EST_HOST_DEVICE void operator()(std::size_t r) const {
        std::size_t plane = r / G::out_height;
        std::size_t oh = r % G::out_height;
        float* image = dx + plane * G::height * G::width * Block;
        for (std::size_t ow = 0; ow < G::out_width; ++ow) {
            std::size_t o = (r * G::out_width + ow) * Block;
            float gradient[Block];
            EST_VECTORIZE
            for (std::size_t c = 0; c < Block; ++c) gradient[c] = window_gradient<ThroughRelu>(dy, y, o + c);
            for (std::size_t i = 0; i < G::window; ++i)
                for (std::size_t j = 0; j < G::window; ++j) {
                    std::size_t position = (oh * G::window + i) * G::width + ow * G::window + j;
                    float* out = image + position * Block;
                    EST_VECTORIZE
                    for (std::size_t c = 0; c < Block; ++c)
                        out[c] = routed_gradient(gradient[c], argmax[o + c], std::int32_t(position));
                }
        }
    }
};

/// A pooling over `G` (an est::window_geometry with out_channels == channels) on back end `B`.
///   forward(x, training) -> y        y in x's layout
///   backward(x, dy) -> dx            dy in y's layout, dx in x's layout (after a forward pass in TRAIN)
///   backward<true>(x, dy) -> dx      max pooling of a ReLU's output: dx with ReLU's derivative
///                                    applied too (window_gradient), so the ReLU's own pass can go
///   gradients_by_image_through_relu(x, dy)  the same, image by image for the convolution before
template <class B, class G, pooling_kind Kind>
class direct_pooling {
public:
    using input_shape = shape<G::height, G::width, G::channels>;
    using output_shape = shape<G::out_height, G::out_width, G::out_channels>;

    batch_view<float const, output_shape, typename B::memory_space> forward(
        batch_view<float const, input_shape, typename B::memory_space> x, bool training) {
        std::size_t outputs = stored_size(x.layout, x.batch, G::out_height * G::out_width, G::channels);
        output_.resize(outputs);
        bool keep_argmax = Kind == pooling_kind::max && training;
        if (keep_argmax)
            argmax_.resize(outputs);
        if (!keep_argmax) {
            forward_into(x, output_.data());
            return {output_.data(), x.batch, x.layout};
        }
        dispatch(x.layout, [&]<std::size_t Block>(std::size_t groups) {
            B::for_each(x.batch * groups * G::out_height,
                        pooling_forward<G, Kind, Block, true>{{}, x.data, output_.data(), argmax_.data()},
                        forward_grain<Block>());
        });
        return {output_.data(), x.batch, x.layout};
    }

    /// The inference pass into `y` (B's memory, x's layout, room for x.batch outputs): what a
    /// convolution that pools its output as it goes calls on each part of its batch.
    static void forward_into(batch_view<float const, input_shape, typename B::memory_space> x, float* y) {
        dispatch(x.layout, [&]<std::size_t Block>(std::size_t groups) {
            B::for_each(x.batch * groups * G::out_height,
                        pooling_forward<G, Kind, Block, false>{{}, x.data, y, nullptr}, forward_grain<Block>());
        });
    }

    template <bool ThroughRelu = false>
    batch_view<float, input_shape, typename B::memory_space> backward(
        batch_view<float const, input_shape, typename B::memory_space> x,
        batch_view<float, output_shape, typename B::memory_space> dy) {
        input_gradient_.resize(x.stored_size());
        dispatch(x.layout, [&]<std::size_t Block>(std::size_t groups) {
            backward_planes<Block, ThroughRelu>(x.batch * groups, dy.data, argmax_.data(), output_.data(),
                                                input_gradient_.data());
        });
        return {input_gradient_.data(), x.batch, x.layout};
    }

    /// backward<true>(x, dy) image by image (image_gradients), for a convolution before it whose
    /// kernels run so: each call writes one image's input gradient where the kernel asks (on the
    /// calling thread where that runs one of a batch's slots). Only where x is in the canonical
    /// layout, as est's own convolution kernels write their output; none elsewhere. Valid until
    /// the next pass.
    image_gradients gradients_by_image_through_relu(
        batch_view<float const, input_shape, typename B::memory_space> x,
        batch_view<float, output_shape, typename B::memory_space> dy) requires(Kind == pooling_kind::max) {
        if (x.layout != layout::canonical)
            return {};
        by_image_ = {dy.data, argmax_.data(), output_.data()};
        return {&by_image_, &write_image_through_relu};
    }

private:
    /// What image_gradients' calls read: the pooled gradient, the maxima's positions and the pooled
    /// output of the whole batch.
    struct pooled_batch {
        float const* dy;
        std::int32_t const* argmax;
        float const* y;
    };

    static void write_image_through_relu(void const* context, std::size_t n, float* into) {
        auto const& batch = *static_cast<pooled_batch const*>(context);
        std::size_t const o = n * G::out_height * G::out_width * G::channels;
        backward_planes<G::channels, true>(1, batch.dy + o, batch.argmax + o, batch.y + o, into);
    }

    /// The backward pass over `planes` planes (images times groups of Block channels): dx from dy,
    /// the maxima's positions and, ThroughRelu, the pooled output y.
    template <std::size_t Block, bool ThroughRelu>
    static void backward_planes(std::size_t planes, float const* dy, std::int32_t const* argmax, float const* y,
                                float* dx) {
        if constexpr (Kind == pooling_kind::max && tiled_max_pooling_backward<G, Block>::applies)
            B::for_each(planes * G::out_height, tiled_max_pooling_backward<G, Block, ThroughRelu>{dy, argmax, dx, y},
                        forward_grain<Block>());
        else
            B::for_each(planes * G::height, pooling_backward<G, Kind, Block, ThroughRelu>{{}, dy, argmax, dx, y},
                        std::max<std::size_t>(1, 4096 / (G::width * Block)));
    }

    template <std::size_t Block>
    static constexpr std::size_t forward_grain() {
        return std::max<std::size_t>(1, 4096 / (G::out_width * Block));
    }

    /// Calls run<Block>(groups) for layout `l`.
    template <class Run>
    static void dispatch(layout l, Run&& run) {
        constexpr std::size_t blocks_of_8 = (G::channels + 7) / 8, blocks_of_16 = (G::channels + 15) / 16;
        switch (l) {
            case layout::canonical:
                run.template operator()<G::channels>(1);
                break;
            case layout::channels_first:
                run.template operator()<1>(G::channels);
                break;
            case layout::channel_blocks_8:
                run.template operator()<8>(blocks_of_8);
                break;
            case layout::channel_blocks_16:
                run.template operator()<16>(blocks_of_16);
                break;
        }
    }

    buffer<float, B> output_, input_gradient_;
    buffer<std::int32_t, B> argmax_;
    pooled_batch by_image_{};
};

}  // namespace est::detail
