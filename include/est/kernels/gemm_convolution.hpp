// 2-D convolution as matrix products on any back end: im2col (each output position's window as a
// row), one GEMM with the kernel, and a fused bias + post-op pass; backward weights and bias are
// GEMMs over the same rows, backward data a GEMM and col2im, which gathers per input position
// (no atomics, so results do not depend on the number of threads). The device back ends use it
// where no convolution library is at hand; activations stay in the canonical NHWC layout and the
// kernel in est's (window, window, channels, filters) order.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/buffer.hpp>
#include <est/core/error.hpp>
#include <est/core/host_device.hpp>
#include <est/core/layout.hpp>
#include <est/core/parameter.hpp>
#include <est/core/primitive.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/kernels/column_sums.hpp>

#include <cstddef>
#include <string>

namespace est::detail {

/// cols[r, p] for output position r = (b, oh, ow) and window position p = (kh, kw, c): the input
/// value the window places there, zero in the padding.
template <class G>
struct im2col {
    static constexpr std::size_t patch = G::window * G::window * G::channels;
    float const* x;
    float* cols;
    EST_HOST_DEVICE void operator()(std::size_t r, std::size_t p) const {
        std::size_t ow = r % G::out_width, oh = r / G::out_width % G::out_height,
                    b = r / (G::out_width * G::out_height);
        std::size_t c = p % G::channels, kw = p / G::channels % G::window, kh = p / (G::channels * G::window);
        std::ptrdiff_t h = std::ptrdiff_t(oh * G::stride + kh) - std::ptrdiff_t(G::pad_top);
        std::ptrdiff_t w = std::ptrdiff_t(ow * G::stride + kw) - std::ptrdiff_t(G::pad_left);
        bool inside = h >= 0 && h < std::ptrdiff_t(G::height) && w >= 0 && w < std::ptrdiff_t(G::width);
        cols[r * patch + p] =
            inside ? x[((b * G::height + std::size_t(h)) * G::width + std::size_t(w)) * G::channels + c] : 0.0f;
    }
};

/// dx[b, h, w, c]: the sum of the window rows' gradients (dcols) at every place input (h, w, c)
/// took in them.
template <class G>
struct col2im {
    static constexpr std::size_t patch = G::window * G::window * G::channels;
    float const* dcols;
    float* dx;
    EST_HOST_DEVICE void operator()(std::size_t position, std::size_t c) const {
        std::size_t w = position % G::width, h = position / G::width % G::height, b = position / (G::width * G::height);
        float sum = 0.0f;
        for (std::size_t kh = 0; kh < G::window; ++kh) {
            std::ptrdiff_t th = std::ptrdiff_t(h + G::pad_top) - std::ptrdiff_t(kh);
            if (th < 0 || std::size_t(th) % G::stride != 0 || std::size_t(th) / G::stride >= G::out_height)
                continue;
            std::size_t oh = std::size_t(th) / G::stride;
            for (std::size_t kw = 0; kw < G::window; ++kw) {
                std::ptrdiff_t tw = std::ptrdiff_t(w + G::pad_left) - std::ptrdiff_t(kw);
                if (tw < 0 || std::size_t(tw) % G::stride != 0 || std::size_t(tw) / G::stride >= G::out_width)
                    continue;
                std::size_t ow = std::size_t(tw) / G::stride;
                sum += dcols[((b * G::out_height + oh) * G::out_width + ow) * patch +
                             (kh * G::window + kw) * G::channels + c];
            }
        }
        dx[position * G::channels + c] = sum;
    }
};

/// y[r, c] <- Op(y[r, c] + bias[c]).
template <post_op Op>
struct bias_post_op {
    float* y;
    float const* bias;
    std::size_t cols;
    EST_HOST_DEVICE void operator()(std::size_t r, std::size_t c) const {
        y[r * cols + c] = apply_post_op<Op>(y[r * cols + c] + bias[c]);
    }
};

/// A parameter stored in the canonical layout of back end B (conversions are copies).
template <class B>
class canonical_parameter final : public parameter_layout {
public:
    explicit canonical_parameter(std::size_t size) : size_(size) {}
    std::size_t stored_size() const override { return size_; }
    void to_canonical(float const* stored, float* canonical) const override {
        B::copy(canonical, stored, size_ * sizeof(float));
    }
    void from_canonical(float const* canonical, float* stored) const override {
        B::copy(stored, canonical, size_ * sizeof(float));
    }

private:
    std::size_t size_;
};

/// A convolution over `G` (an est::window_geometry) with bias and `Op` fused, on back end B, with
/// host/convolution.hpp's contract; every activation is in the canonical layout.
template <class B, class G, post_op Op>
class gemm_convolution {
    using space = typename B::memory_space;
    static constexpr std::size_t patch = G::window * G::window * G::channels;

public:
    using input_shape = shape<G::height, G::width, G::channels>;
    using output_shape = shape<G::out_height, G::out_width, G::out_channels>;

    gemm_convolution() = default;
    gemm_convolution(gemm_convolution const&) = delete;
    gemm_convolution& operator=(gemm_convolution const&) = delete;

    parameter_layout const& weights_layout() const { return weights_; }

    batch_view<float const, output_shape, space> forward(batch_view<float const, input_shape, space> x,
                                                         float const* weights, float const* bias, bool) {
        check_canonical(x.layout);
        std::size_t rows = x.batch * G::out_height * G::out_width;
        cols_.resize(rows * patch);
        B::for_each_2d(rows, patch, im2col<G>{x.data, cols_.data()});
        output_.resize(rows * G::out_channels);
        B::gemm(false, false, rows, G::out_channels, patch, 1.0f, cols_.data(), weights, 0.0f, output_.data());
        B::for_each_2d(rows, G::out_channels, bias_post_op<Op>{output_.data(), bias, G::out_channels});
        return {output_.data(), x.batch};
    }

    batch_view<float, input_shape, space> backward(batch_view<float const, input_shape, space> x,
                                                   batch_view<float, output_shape, space> dy, float const* weights,
                                                   float* weights_gradient, float* bias_gradient,
                                                   bool need_input_gradient) {
        std::size_t rows = x.batch * G::out_height * G::out_width;
        bias_gradient_(dy.data, rows, G::out_channels, bias_gradient);
        B::gemm(true, false, patch, G::out_channels, rows, 1.0f, cols_.data(), dy.data, 0.0f, weights_gradient);
        if (!need_input_gradient)
            return {};
        cols_gradient_.resize(rows * patch);
        B::gemm(false, true, rows, patch, G::out_channels, 1.0f, dy.data, weights, 0.0f, cols_gradient_.data());
        input_gradient_.resize(x.size());
        B::for_each_2d(x.batch * G::height * G::width, G::channels,
                       col2im<G>{cols_gradient_.data(), input_gradient_.data()});
        return {input_gradient_.data(), x.batch};
    }

private:
    static void check_canonical(layout l) {
        if (l != layout::canonical)
            throw error("est: the " + std::string(B::name) + " back end's convolution reads NHWC; it was given " +
                        std::string(layout_name(l)));
    }

    canonical_parameter<B> weights_{G::kernel_size};
    buffer<float, B> cols_, cols_gradient_, output_, input_gradient_;
    column_sums<B> bias_gradient_;
};

}  // namespace est::detail
