// What layers ask of a back end's heavy primitives, independent of the library behind them: the
// geometry of a 2-D sliding window (convolution or pooling), the element-wise operation fused after
// a primitive, the kind of pooling, the order a dense layer's kernel is stored in, and an output
// gradient handed over image by image.
#pragma once

#include <est/core/host_device.hpp>

#include <cmath>
#include <cstddef>

namespace est {

/// An element-wise function a primitive applies to its output before storing it.
enum class post_op { none, relu, logistic, tanh };

/// Op applied to one value; the activations of nn/activation.hpp are these functions.
template <post_op Op>
EST_HOST_DEVICE inline float apply_post_op(float x) {
    if constexpr (Op == post_op::relu)
        return x > 0.0f ? x : 0.0f;
    else if constexpr (Op == post_op::logistic)
        return 1.0f / (1.0f + std::exp(-x));
    else if constexpr (Op == post_op::tanh)
        return std::tanh(x);
    else
        return x;
}

/// Op's derivative at the input whose output is y.
template <post_op Op>
EST_HOST_DEVICE constexpr float post_op_derivative_from_output(float y) {
    if constexpr (Op == post_op::relu)
        return y > 0.0f ? 1.0f : 0.0f;
    else if constexpr (Op == post_op::logistic)
        return y * (1.0f - y);
    else if constexpr (Op == post_op::tanh)
        return 1.0f - y * y;
    else
        return 1.0f;
}

/// Maximum or mean (over the part of the window inside the input) of each window.
enum class pooling_kind { max, mean };

/// A layer's output gradient handed to its backward pass image by image rather than as the whole
/// batch's: `write(n, into)` writes example n's gradient (the output's shape, canonical layout)
/// to `into`. A max pooling hands its input gradient so to the convolution before it where that
/// convolution's kernels run image by image (est::host's own): each image's gradient is then
/// written and read in the thread's cache, never the whole batch's through memory. It borrows its
/// context, so it costs no allocation; `write_image` is null where the layer cannot.
struct image_gradients {
    void const* context = nullptr;
    void (*write_image)(void const* context, std::size_t n, float* into) = nullptr;

    explicit operator bool() const { return write_image != nullptr; }
    void write(std::size_t n, float* into) const { write_image(context, n, into); }
};

/// How a dense layer stores its kernel K, row-major: (units, inputs), each unit's weights
/// contiguous, or (inputs, units), as checkpoints and TensorFlow have it.
enum class kernel_order { units_major, inputs_major };

/// A 2-D window sliding over examples of (Height, Width, Channels): a convolution with OutChannels
/// filters, or a pooling (OutChannels == Channels). Padding is TensorFlow's: PadTop/PadLeft before
/// the input, and after it what the output extent needs (pad_bottom/pad_right, never negative).
template <std::size_t Height, std::size_t Width, std::size_t Channels, std::size_t OutChannels, std::size_t Window,
          std::size_t Stride, std::size_t PadTop, std::size_t PadLeft, std::size_t OutHeight, std::size_t OutWidth>
struct window_geometry {
    static constexpr std::size_t height = Height, width = Width, channels = Channels;
    static constexpr std::size_t out_height = OutHeight, out_width = OutWidth, out_channels = OutChannels;
    static constexpr std::size_t window = Window, stride = Stride;
    static constexpr std::size_t pad_top = PadTop, pad_left = PadLeft;
    static constexpr std::size_t pad_bottom = (OutHeight - 1) * Stride + Window > Height + PadTop
                                                  ? (OutHeight - 1) * Stride + Window - Height - PadTop
                                                  : 0;
    static constexpr std::size_t pad_right = (OutWidth - 1) * Stride + Window > Width + PadLeft
                                                 ? (OutWidth - 1) * Stride + Window - Width - PadLeft
                                                 : 0;
    static constexpr std::size_t input_size = Height * Width * Channels;
    static constexpr std::size_t output_size = OutHeight * OutWidth * OutChannels;
    /// Values of a convolution's kernel, (Window, Window, Channels, OutChannels) row-major.
    static constexpr std::size_t kernel_size = Window * Window * Channels * OutChannels;
};

}  // namespace est
