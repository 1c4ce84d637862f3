// Activations: element-wise (linear, relu, sigmoid, tanh) and row-wise (softmax). Each is a
// template argument of dense/conv2d (fused with the bias) and a layer of its own.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/host_device.hpp>
#include <est/core/tensor.hpp>
#include <est/estimator/mode.hpp>
#include <est/nn/layer.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string_view>

namespace est {

namespace detail {
template <class Activation, Shape In>
class activation_layer;

/// Rows per parallel range for row loops of `cols` values (about 16k values a range).
constexpr std::size_t row_grain(std::size_t cols) { return std::max<std::size_t>(1, 16384 / std::max<std::size_t>(cols, 1)); }

/// Makes an activation type usable as a layer of its own, shape-preserving.
template <class Activation>
struct activation_as_layer : shape_preserving {
    template <Shape In>
    using layer = activation_layer<Activation, In>;
};
}  // namespace detail

/// f(x) = x; the default activation of dense and conv2d.
struct linear : detail::activation_as_layer<linear> {
    static constexpr std::string_view kind = "linear";
    static constexpr bool elementwise = true;
    EST_HOST_DEVICE static constexpr float apply(float x) { return x; }
    EST_HOST_DEVICE static constexpr float derivative_from_output(float) { return 1.0f; }
};

/// max(x, 0).
struct relu : detail::activation_as_layer<relu> {
    static constexpr std::string_view kind = "relu";
    static constexpr bool elementwise = true;
    EST_HOST_DEVICE static constexpr float apply(float x) { return x > 0.0f ? x : 0.0f; }
    EST_HOST_DEVICE static constexpr float derivative_from_output(float y) { return y > 0.0f ? 1.0f : 0.0f; }
};

/// 1 / (1 + exp(-x)).
struct sigmoid : detail::activation_as_layer<sigmoid> {
    static constexpr std::string_view kind = "sigmoid";
    static constexpr bool elementwise = true;
    EST_HOST_DEVICE static float apply(float x) { return 1.0f / (1.0f + std::exp(-x)); }
    EST_HOST_DEVICE static constexpr float derivative_from_output(float y) { return y * (1.0f - y); }
};

/// Hyperbolic tangent.
struct tanh : detail::activation_as_layer<tanh> {
    static constexpr std::string_view kind = "tanh";
    static constexpr bool elementwise = true;
    EST_HOST_DEVICE static float apply(float x) { return std::tanh(x); }
    EST_HOST_DEVICE static constexpr float derivative_from_output(float y) { return 1.0f - y * y; }
};

/// exp(x_i) / sum_j exp(x_j) over the last dimension.
struct softmax : detail::activation_as_layer<softmax> {
    static constexpr std::string_view kind = "softmax";
    static constexpr bool elementwise = false;

    /// In place, each row of `cols` values.
    static void forward_rows(float* y, std::size_t rows, std::size_t cols) {
        host::for_each_index(rows, [=](std::size_t r) {
            float* row = y + r * cols;
            float peak = *std::max_element(row, row + cols);
            float sum = 0.0f;
            for (std::size_t c = 0; c < cols; ++c) sum += (row[c] = std::exp(row[c] - peak));
            for (std::size_t c = 0; c < cols; ++c) row[c] /= sum;
        });
    }
    /// dy <- J^T dy with J the softmax Jacobian at output y: dx_i = y_i (dy_i - sum_j y_j dy_j).
    static void backward_rows(float const* y, float* dy, std::size_t rows, std::size_t cols) {
        host::for_each_index(rows, [=](std::size_t r) {
            float const* yr = y + r * cols;
            float* dr = dy + r * cols;
            float dot = 0.0f;
            for (std::size_t c = 0; c < cols; ++c) dot += yr[c] * dr[c];
            for (std::size_t c = 0; c < cols; ++c) dr[c] = yr[c] * (dr[c] - dot);
        });
    }
};

template <class T>
concept Activation = requires {
    { T::elementwise } -> std::convertible_to<bool>;
};

/// y[r, c] <- act(y[r, c] + bias[c]) in one pass where the activation is element-wise.
template <Activation Act>
void apply_bias_activation(float* y, float const* bias, std::size_t rows, std::size_t cols) {
    host::for_each_range(
        rows,
        [=](std::size_t begin, std::size_t end) {
            for (std::size_t r = begin; r < end; ++r) {
                float* row = y + r * cols;
                for (std::size_t c = 0; c < cols; ++c) {
                    if constexpr (Act::elementwise)
                        row[c] = Act::apply(row[c] + bias[c]);
                    else
                        row[c] += bias[c];
                }
            }
        },
        detail::row_grain(cols));
    if constexpr (!Act::elementwise)
        Act::forward_rows(y, rows, cols);
}

/// y <- act(y) in place.
template <Activation Act>
void apply_activation(float* y, std::size_t rows, std::size_t cols) {
    if constexpr (Act::elementwise) {
        if constexpr (!std::is_same_v<Act, linear>)
            host::for_each_range(rows * cols, [=](std::size_t begin, std::size_t end) {
                for (std::size_t i = begin; i < end; ++i) y[i] = Act::apply(y[i]);
            });
    } else {
        Act::forward_rows(y, rows, cols);
    }
}

/// dy <- dy * act'(x), with act' expressed through the output y; in place.
template <Activation Act>
void activation_backward(float const* y, float* dy, std::size_t rows, std::size_t cols) {
    if constexpr (Act::elementwise) {
        if constexpr (!std::is_same_v<Act, linear>)
            host::for_each_range(rows * cols, [=](std::size_t begin, std::size_t end) {
                for (std::size_t i = begin; i < end; ++i) dy[i] *= Act::derivative_from_output(y[i]);
            });
    } else {
        Act::backward_rows(y, dy, rows, cols);
    }
}

namespace detail {
/// An activation as a stand-alone layer; rows are the batch, row-wise activations act on the
/// last dimension.
template <class Act, Shape In>
class activation_layer : public parameter_free {
public:
    using input_shape = In;
    using output_shape = In;
    static constexpr std::size_t macs = 0;
    static constexpr std::size_t cols = In::extents[In::rank - 1];

    template <Mode M>
    batch_view<float const, In> forward(batch_view<float const, In> x, M, step_context const&) {
        output_.resize(x.batch);
        std::copy_n(x.data, x.size(), output_.data());
        apply_activation<Act>(output_.data(), x.size() / cols, cols);
        return output_.view();
    }
    batch_view<float, In> backward(batch_view<float const, In>, batch_view<float, In> dy, bool) {
        activation_backward<Act>(output_.data(), dy.data, dy.size() / cols, cols);
        return dy;
    }

private:
    batch_tensor<float, In> output_;
};
}  // namespace detail

}  // namespace est
