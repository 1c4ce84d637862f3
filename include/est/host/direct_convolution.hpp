// est's own convolution kernels for stride-1 convolutions over NHWC activations, on CPUs with
// AVX-512: the forward pass with the bias and ReLU fused, the backward-data pass (the forward kernel
// run over the padded output gradient with the window rotated and the channels swapped) and the
// backward-weights and bias pass. oneDNN 2.6's kernels for such a convolution reach about two thirds
// of the FP32 peak on the Intel machines measured (benchmarks/README.md, "Direct convolution");
// these hold a tile of 14 output positions times 32 channels in 28 vector registers, so each
// broadcast input value feeds two multiply-adds and each loaded weight vector fourteen, and run at
// nearly the peak on the taps they compute. The kernel is (window, window, channels, filters)
// row-major, est's canonical layout, so the weights need no reordering.
//
// What it covers (`direct_convolution::fits`): stride 1, input and output channels multiples of
// 16, padding below the window, and no activation or ReLU. Everything else runs on oneDNN's
// primitives (host/convolution.hpp).
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/config.hpp>
#include <est/core/primitive.hpp>
#include <est/host/onednn.hpp>

#include <cstddef>

namespace est::onednn {

/// A stride-1 convolution's geometry at run time.
struct direct_convolution_dims {
    std::size_t height, width, channels, out_height, out_width, out_channels, window;
    std::size_t pad_top, pad_left, pad_bottom, pad_right;
    post_op op;
};

/// A convolution run by est's kernels; buffers are kept and sized on the first batch of a size.
///   forward(x, batch, weights, bias, y): y = op(conv(x) + bias), x and y NHWC
///   backward_weights(x, dy, batch, weights_gradient, bias_gradient): dy NHWC, before op
///   backward_data(dy, batch, weights, dx): dx NHWC
/// Every pass runs on OpenMP's threads, or on the calling thread inside a parallel region (a slice
/// of an inference batch). The weights gradient is summed over parts of the batch whose number
/// depends on the batch only, so it does not depend on the number of threads.
class direct_convolution {
public:
    /// Whether these kernels run convolutions of this geometry (stride 1 assumed), on this CPU.
    static constexpr bool fits(std::size_t channels, std::size_t out_channels, std::size_t window, std::size_t pad_top,
                               std::size_t pad_left, std::size_t pad_bottom, std::size_t pad_right, post_op op) {
        return channels % 16 == 0 && out_channels % 16 == 0 && pad_top < window && pad_left < window &&
               pad_bottom < window && pad_right < window && (op == post_op::none || op == post_op::relu);
    }
    EST_DECL static bool runs_on_this_cpu();

    explicit direct_convolution(direct_convolution_dims const& dims) : dims_(dims) {}

    EST_DECL void forward(float const* x, std::size_t batch, float const* weights, float const* bias, float* y);
    EST_DECL void backward_weights(float const* x, float const* dy, std::size_t batch, float* weights_gradient,
                                   float* bias_gradient);
    EST_DECL void backward_data(float const* dy, std::size_t batch, float const* weights, float* dx);

    /// The parts a batch's weights gradient is summed over.
    static std::size_t gradient_parts(std::size_t batch) { return batch < 8 ? batch : 8; }

private:
    direct_convolution_dims dims_;
    host_buffer<float> padded_, rotated_, partials_;  ///< padded_: one padded image a thread
};

}  // namespace est::onednn

#if defined(EST_DEFINITIONS)
#include <est/host/impl/direct_convolution.ipp>
#endif
