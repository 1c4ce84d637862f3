// Activations: element-wise (linear, relu, sigmoid, tanh) and row-wise (softmax). Each is a
// template argument of dense/conv2d (fused with the bias, or into a back end's primitive as its
// post-op) and a layer of its own. The kernels are functors callable from host and device code.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/host_device.hpp>
#include <est/core/primitive.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/layer.hpp>

#include <cmath>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace est {

namespace detail {
template <class Activation, Shape In, class B>
class activation_layer;

/// Makes an activation type usable as a layer of its own, shape-preserving.
template <class Activation>
struct activation_as_layer : shape_preserving {
    template <Shape In, class B>
    using layer = activation_layer<Activation, In, B>;
};
}  // namespace detail

/// f(x) = x; the default activation of dense and conv2d.
struct linear : detail::activation_as_layer<linear> {
    static constexpr std::string_view kind = "linear";
    static constexpr bool elementwise = true;
    static constexpr post_op fused = post_op::none;
    EST_HOST_DEVICE static constexpr float apply(float x) { return x; }
    EST_HOST_DEVICE static constexpr float derivative_from_output(float) { return 1.0f; }
};

/// max(x, 0).
struct relu : detail::activation_as_layer<relu> {
    static constexpr std::string_view kind = "relu";
    static constexpr bool elementwise = true;
    static constexpr post_op fused = post_op::relu;
    EST_HOST_DEVICE static float apply(float x) { return apply_post_op<fused>(x); }
    EST_HOST_DEVICE static constexpr float derivative_from_output(float y) {
        return post_op_derivative_from_output<fused>(y);
    }
};

/// 1 / (1 + exp(-x)).
struct sigmoid : detail::activation_as_layer<sigmoid> {
    static constexpr std::string_view kind = "sigmoid";
    static constexpr bool elementwise = true;
    static constexpr post_op fused = post_op::logistic;
    EST_HOST_DEVICE static float apply(float x) { return apply_post_op<fused>(x); }
    EST_HOST_DEVICE static constexpr float derivative_from_output(float y) {
        return post_op_derivative_from_output<fused>(y);
    }
};

/// Hyperbolic tangent.
struct tanh : detail::activation_as_layer<tanh> {
    static constexpr std::string_view kind = "tanh";
    static constexpr bool elementwise = true;
    static constexpr post_op fused = post_op::tanh;
    EST_HOST_DEVICE static float apply(float x) { return apply_post_op<fused>(x); }
    EST_HOST_DEVICE static constexpr float derivative_from_output(float y) {
        return post_op_derivative_from_output<fused>(y);
    }
};

/// exp(x_i) / sum_j exp(x_j) over the last dimension.
struct softmax : detail::activation_as_layer<softmax> {
    static constexpr std::string_view kind = "softmax";
    static constexpr bool elementwise = false;
    static constexpr post_op fused = post_op::none;
};

/// An activation type: element-wise ones have apply and derivative_from_output, and name the post-op
/// a back end's primitive fuses for them.
template <class T>
concept Activation = requires {
    { T::elementwise } -> std::convertible_to<bool>;
    { T::fused } -> std::convertible_to<post_op>;
};

namespace detail {
/// y <- act(y).
template <class Act>
struct activation_forward {
    float* y;
    EST_HOST_DEVICE void operator()(std::size_t i) const { y[i] = Act::apply(y[i]); }
};

/// dy <- dy * act'(x), with act' expressed through the output y.
template <class Act>
struct activation_backward {
    float const* y;
    float* dy;
    EST_HOST_DEVICE void operator()(std::size_t i) const { dy[i] *= Act::derivative_from_output(y[i]); }
};

/// y[r, c] <- act(p[r, c] + bias[c]) (without act where it is row-wise), for a rows x cols y whose
/// product p is y itself or, with `Transposed`, `product`, holding p^T (cols x rows): the bias pass
/// of a product computed transposed.
template <class Act, bool Transposed = false>
struct bias_activation {
    float* y;
    float const* bias;
    std::size_t cols;
    float const* product = nullptr;
    std::size_t rows = 0;
    EST_HOST_DEVICE void operator()(std::size_t r, std::size_t c) const {
        float v = bias[c];
        if constexpr (Transposed)
            v += product[c * rows + r];
        else
            v += y[r * cols + c];
        if constexpr (Act::elementwise)
            y[r * cols + c] = Act::apply(v);
        else
            y[r * cols + c] = v;
    }
};

/// Softmax of row r of `cols` values, in place.
struct softmax_rows {
    float* y;
    std::size_t cols;
    EST_HOST_DEVICE void operator()(std::size_t r) const {
        float* row = y + r * cols;
        float peak = row[0];
        for (std::size_t c = 1; c < cols; ++c) peak = row[c] > peak ? row[c] : peak;
        float sum = 0.0f;
        for (std::size_t c = 0; c < cols; ++c) sum += (row[c] = std::exp(row[c] - peak));
        for (std::size_t c = 0; c < cols; ++c) row[c] /= sum;
    }
};

/// dy <- J^T dy for row r, with J the softmax Jacobian at output y: dx_i = y_i (dy_i - sum_j y_j dy_j).
struct softmax_rows_backward {
    float const* y;
    float* dy;
    std::size_t cols;
    EST_HOST_DEVICE void operator()(std::size_t r) const {
        float const* yr = y + r * cols;
        float* dr = dy + r * cols;
        float dot = 0.0f;
        for (std::size_t c = 0; c < cols; ++c) dot += yr[c] * dr[c];
        for (std::size_t c = 0; c < cols; ++c) dr[c] = yr[c] * (dr[c] - dot);
    }
};

/// y <- act(y) over `values` values of rows of `cols` (in any layout where act is element-wise;
/// canonical rows where it is softmax).
template <Activation Act, class B>
void apply_activation(float* y, std::size_t values, std::size_t cols) {
    if constexpr (!Act::elementwise)
        B::for_each(values / cols, softmax_rows{y, cols}, 64);
    else if constexpr (!std::is_same_v<Act, linear>)
        B::for_each(values, activation_forward<Act>{y});
}

/// dy <- the gradient before the activation, from its output y, in place.
template <Activation Act, class B>
void activation_gradient(float const* y, float* dy, std::size_t values, std::size_t cols) {
    if constexpr (!Act::elementwise)
        B::for_each(values / cols, softmax_rows_backward{y, dy, cols}, 64);
    else if constexpr (!std::is_same_v<Act, linear>)
        B::for_each(values, activation_backward<Act>{y, dy});
}

/// Zeroes the padded channels of a batch in channel blocks (layout::channel_blocks_8 or _16): call i
/// is the i-th (example, position) of each example's last block, whose lanes from `first_padded`
/// on are padding.
struct zero_block_padding {
    float* y;
    std::size_t spatial, block, blocks, first_padded;
    EST_HOST_DEVICE void operator()(std::size_t i) const {
        std::size_t example = i / spatial, position = i % spatial;
        float* lanes = y + ((example * blocks + blocks - 1) * spatial + position) * block;
        for (std::size_t l = first_padded; l < block; ++l) lanes[l] = 0.0f;
    }
};

/// An activation as a layer of its own: element-wise ones act on any layout, softmax on the last
/// dimension of the canonical layout. In channel blocks the padded channels stay zero, as oneDNN's
/// primitives assume: an activation with f(0) != 0 (sigmoid) would otherwise fill them, and the
/// next convolution's weights gradient would reach its padded weights.
template <class Act, Shape In, class B>
class activation_layer : public parameter_free {
public:
    using input_shape = In;
    using output_shape = In;
    static constexpr std::size_t macs = 0;
    static constexpr std::size_t cols = In::extents[In::rank - 1];

    template <Mode M>
    backend_view<float const, In, B> forward(backend_view<float const, In, B> x, M, step_context const&) {
        if constexpr (!Act::elementwise)
            x = converter_.convert(x, layout::canonical);
        output_.resize(x.stored_size());
        B::copy(output_.data(), x.data, x.stored_size() * sizeof(float));
        apply_activation<Act, B>(output_.data(), x.stored_size(), cols);
        if (std::size_t block = channels_a_block(x.layout); cols % block != 0) {
            constexpr std::size_t spatial = In::size / cols;
            B::for_each(x.batch * spatial,
                        zero_block_padding{output_.data(), spatial, block, (cols + block - 1) / block, cols % block});
        }
        return {output_.data(), x.batch, x.layout};
    }
    backend_view<float, In, B> backward(backend_view<float const, In, B> x, backend_view<float, In, B> dy, bool) {
        activation_gradient<Act, B>(output_.data(), dy.data, dy.stored_size(), cols);
        return Act::elementwise ? dy : converter_.convert(dy, x.layout);
    }

private:
    buffer<float, B> output_;
    typename B::template layout_converter<In> converter_;
};
}  // namespace detail

}  // namespace est
