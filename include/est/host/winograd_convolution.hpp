// A 5x5 'same' convolution of stride 1 in training, by Winograd's minimal filtering F(2x2, 5x5) on
// CPUs with AVX2 or AVX-512: the forward pass, the input gradient and the weights and bias
// gradients. Each 2x2 block of the output is one tile; its 6x6 input patch and the 5x5 window are
// transformed (B^T d B, G g G^T), multiplied element by element and summed over the input channels
// (36 matrix products, one per element of the 6x6 tile), and transformed back (A^T m A). That is 36
// multiplications where a direct convolution does 100 for a tile of one channel pair. The
// backward-data pass is the same convolution of the output gradient with the window turned by 180
// degrees; the backward-weights pass is G^T [sum over tiles of (B^T d B) * (A dY A^T)] G, 36 matrix
// products over the tiles. Each thread takes a range of the batch's images and runs each image
// through every step while its transforms are in the thread's cache; the forward pass keeps
// nothing, and the backward pass transforms the input again rather than reading a copy of the
// batch's transforms back from memory (benchmarks/README.md, "Winograd convolution in training").
// Results differ from the direct convolution's by rounding (the transforms' coefficients are small:
// at most 5 and 1/24).
//
// What it covers (`fits`): window 5, stride 1, padding 2 on every side, even height and width,
// input channels and filters in multiples of 16, no activation or ReLU. The weights are read and
// their gradient written as est stores them canonically, (window, window, channels, filters).
// winograd_max_pooling.hpp runs the same convolution with the max pooling after it at inference.
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/config.hpp>
#include <est/core/primitive.hpp>
#include <est/host/image_slots.hpp>
#include <est/host/onednn.hpp>

#include <algorithm>
#include <cstddef>

namespace est::onednn {

/// A convolution's geometry as the Winograd kernels see it: images of height x width x channels,
/// out_channels filters, and the post-op of the forward pass.
struct winograd_dims {
    std::size_t height, width, channels, out_channels;
    post_op op;
    std::size_t tiles() const { return (height / 2) * (width / 2); }
    /// An image with two rows and columns of zeros on every side.
    std::size_t padded_size() const { return (height + 4) * (width + 4) * channels; }
};

/// A 5x5 convolution in training (see above). Buffers are kept and sized on the first batch of a
/// size. The images go to `Host`'s threads in equal ranges (for_each_slice).
///   forward<Host>(x, batch, block, weights, bias, y): x (batch, height, width, channels) row-major
///       where `block` is 0, else in channel blocks of `block` (8 or 16: oneDNN's nChw8c, nChw16c);
///       y (batch, height, width, out_channels) row-major, op(conv(x) + bias).
///   backward<Host>(x, dy, batch, block, weights, weights_gradient, bias_gradient, dx): dy like y,
///       the gradient before op, or handed over image by image (image_gradients); writes the
///       weights' and the bias's gradients, and dx in x's layout where dx is not null.
class winograd_convolution {
public:
    static constexpr bool fits(std::size_t height, std::size_t width, std::size_t channels, std::size_t out_channels,
                               std::size_t window, std::size_t stride, std::size_t pad_top, std::size_t pad_left,
                               std::size_t pad_bottom, std::size_t pad_right, post_op op) {
        return window == 5 && stride == 1 && pad_top == 2 && pad_left == 2 && pad_bottom == 2 && pad_right == 2 &&
               height % 2 == 0 && width % 2 == 0 && height > 0 && width > 0 && channels % 16 == 0 &&
               out_channels % 16 == 0 && (op == post_op::none || op == post_op::relu);
    }
    /// Whether this CPU runs the Winograd kernels (AVX2 with FMA, or AVX-512), unless
    /// EST_WINOGRAD=0 in the environment turns them off.
    EST_DECL static bool runs_on_this_cpu();

    explicit winograd_convolution(winograd_dims const& dims) : dims_(dims) {}

    template <class Host>
    void forward(float const* x, std::size_t batch, std::size_t block, float const* weights, float const* bias,
                 float* y) {
        std::size_t slots = image_slots<Host>(batch);
        prepare(weights, slots, false);
        for_each_image_slot<Host>(batch, slots, [&](std::size_t slot, std::size_t first, std::size_t last) {
            forward_images(x, first, last, block, bias, y, slot);
        });
    }

    template <class Host>
    void backward(float const* x, float const* dy, std::size_t batch, std::size_t block, float const* weights,
                  float* weights_gradient, float* bias_gradient, float* dx) {
        backward<Host>(x, dy, nullptr, batch, block, weights, weights_gradient, bias_gradient, dx);
    }

    /// The same with dy handed over image by image (a max pooling's after it): each image's written
    /// to its thread's buffer, and read from there while the cache holds it.
    template <class Host>
    void backward(float const* x, image_gradients const& dy, std::size_t batch, std::size_t block, float const* weights,
                  float* weights_gradient, float* bias_gradient, float* dx) {
        backward<Host>(x, nullptr, &dy, batch, block, weights, weights_gradient, bias_gradient, dx);
    }

private:
    static constexpr std::size_t points = 36;

    /// dy, the whole batch's, or `by_image`.
    template <class Host>
    void backward(float const* x, float const* dy, image_gradients const* by_image, std::size_t batch,
                  std::size_t block, float const* weights, float* weights_gradient, float* bias_gradient, float* dx) {
        std::size_t slots = image_slots<Host>(batch);
        prepare(weights, slots, true);
        if (by_image)
            gradient_images_.resize(slots * dims_.height * dims_.width * dims_.out_channels);
        for_each_image_slot<Host>(batch, slots, [&](std::size_t slot, std::size_t first, std::size_t last) {
            backward_images(x, dy, by_image, first, last, block, dx, slot);
        });
        finish_backward(slots, weights_gradient, bias_gradient);
    }

    /// Transforms the weights, (window, window, channels, filters), for the forward pass or, where
    /// `backward`, turned for the input gradient; sizes the buffers of `slots` threads.
    EST_DECL void prepare(float const* weights, std::size_t slots, bool backward);
    /// Images [first, last) of the batch at `x` into `y`, on the buffers of `slot`.
    EST_DECL void forward_images(float const* x, std::size_t first, std::size_t last, std::size_t block,
                                 float const* bias, float* y, std::size_t slot);
    /// Images [first, last): their share of the weights' and the bias's gradients summed in `slot`'s
    /// buffers, and their input gradient where `dx` is not null; their output gradients from dy, or
    /// where it is null from `by_image`.
    EST_DECL void backward_images(float const* x, float const* dy, image_gradients const* by_image, std::size_t first,
                                  std::size_t last, std::size_t block, float* dx, std::size_t slot);
    /// The weights' and the bias's gradients from the sums of `slots` threads.
    EST_DECL void finish_backward(std::size_t slots, float* weights_gradient, float* bias_gradient);

    /// Sizes of one slot's buffers.
    std::size_t widest() const { return std::max(dims_.channels, dims_.out_channels); }
    std::size_t padded_floats() const { return (dims_.height + 4) * (dims_.width + 4) * widest(); }
    std::size_t transformed_floats() const { return points * dims_.tiles() * widest(); }
    std::size_t weights_floats() const { return points * dims_.channels * dims_.out_channels; }

    winograd_dims dims_;
    /// U (36, channels, filters) for the forward pass, or turned for the input gradient (36, filters,
    /// channels); the turned weights; and each slot's padded image, transformed image, transformed
    /// output gradients, products, gradients of U (36, channels, filters), bias gradient and output
    /// gradient handed over by image.
    host_buffer<float> transformed_weights_, turned_weights_, padded_, inputs_, output_gradients_, products_,
        weights_products_, bias_sums_, gradient_images_;
};

}  // namespace est::onednn

#if defined(EST_DEFINITIONS)
#include <est/host/impl/winograd_convolution.ipp>
#endif
