// A 5x5 'same' convolution of stride 1 and the 2x2 max pooling of stride 2 after it, at inference,
// by Winograd's minimal filtering F(2x2, 5x5) on CPUs with AVX2 or AVX-512. Each 2x2 block of the
// convolution's output is one Winograd tile: its 6x6 input patch and the 5x5 window are transformed
// (B^T d B, G g G^T), multiplied element by element and summed over the input channels (36 matrix
// products, one per element of the 6x6 tile), and transformed back (A^T m A) into the four outputs,
// which the pooling reduces to one before anything is written. That is 36 multiplications where a
// direct convolution does 100 for a tile of one channel pair, so the convolution costs about 2.8
// times fewer multiply-adds than oneDNN's direct kernels, which run near the FP32 peak already
// (benchmarks/README.md, "Winograd convolution at inference"). Its results differ from the direct
// convolution's by rounding (the transforms' coefficients are small: at most 5 and 1/24).
//
// What it covers (`fits`): the convolutions winograd_convolution.hpp covers, followed by a max
// pooling of window 2 and stride 2 without padding. The convolution's weights are read as est
// stores them, (window, window, channels, filters). Every other geometry runs on oneDNN's
// primitives (host/convolution.hpp).
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/config.hpp>
#include <est/core/primitive.hpp>
#include <est/host/image_slots.hpp>
#include <est/host/onednn.hpp>
#include <est/host/winograd_convolution.hpp>

#include <algorithm>
#include <cstddef>

namespace est::onednn {

/// A 5x5 convolution and its 2x2 max pooling at inference (see above). Buffers are kept and sized
/// on the first batch of a size.
///   forward<Host>(x, batch, block, weights, bias, y): x (batch, height, width, channels) row-major
///   where `block` is 0, else in channel blocks of `block` (8 or 16: oneDNN's nChw8c, nChw16c); y
///   (batch, height / 2, width / 2, out_channels) row-major, the pooled op(conv(x) + bias). The
///   images go to `Host`'s threads in equal ranges (for_each_slice), or all to the calling thread
///   where one runs them (inside a slice of an inference batch).
class winograd_max_pooling {
public:
    /// Whether this CPU runs it (AVX2 with FMA, or AVX-512), unless EST_WINOGRAD=0 in the
    /// environment turns it off.
    static bool runs_on_this_cpu() { return winograd_convolution::runs_on_this_cpu(); }

    explicit winograd_max_pooling(winograd_dims const& dims) : dims_(dims) {}

    template <class Host>
    void forward(float const* x, std::size_t batch, std::size_t block, float const* weights, float const* bias,
                 float* y) {
        std::size_t slots = image_slots<Host>(batch);
        prepare(weights, slots);
        for_each_image_slot<Host>(batch, slots, [&](std::size_t slot, std::size_t first, std::size_t last) {
            forward_images(x, first, last, block, bias, y, slot);
        });
    }

private:
    /// Transforms the weights, (window, window, channels, filters), and sizes the buffers of `slots`
    /// threads.
    EST_DECL void prepare(float const* weights, std::size_t slots);
    /// Images [first, last) of the batch at `x` into `y`, on the buffers of `slot`.
    EST_DECL void forward_images(float const* x, std::size_t first, std::size_t last, std::size_t block,
                                 float const* bias, float* y, std::size_t slot);

private:
    winograd_dims dims_;
    host_buffer<float> transformed_weights_, transformed_inputs_, products_;
};

}  // namespace est::onednn

#if defined(EST_DEFINITIONS)
#include <est/host/impl/winograd_max_pooling.ipp>
#endif
