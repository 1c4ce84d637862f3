// The parameters and GEMMs that dense and conv2d share: y = act(x K + b) over rows of `Inputs`
// values (examples for dense, im2col patches for conv2d), and the gradients of that map.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/random.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/activation.hpp>
#include <est/nn/layer.hpp>

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace est::detail {

/// Kernel (Inputs, Outputs) and bias (Outputs) with their gradients.
template <std::size_t Inputs, std::size_t Outputs>
class affine_parameters {
public:
    affine_parameters()
        : kernel_(filled_tensor<2>({Inputs, Outputs})),
          bias_(filled_tensor<1>({Outputs})),
          kernel_gradient_(kernel_),
          bias_gradient_(bias_) {}

    /// Glorot-uniform kernel for the given fans, zero bias (TensorFlow's defaults).
    void initialize(random_engine& engine, std::size_t fan_in, std::size_t fan_out) {
        glorot_uniform({kernel_.data(), kernel_.size()}, fan_in, fan_out, engine);
        bias_.fill(0.0f);
    }

    template <class F>
    void for_each_parameter(F&& f) {
        f(parameter_ref{"kernel", span(kernel_), span(kernel_gradient_), true, true});
        f(parameter_ref{"bias", span(bias_), span(bias_gradient_), true, false});
    }

    /// y(rows, Outputs) = act(x(rows, Inputs) K + b).
    template <Activation Act>
    void forward(float const* x, std::size_t rows, float* y) const {
        host::gemm(false, false, rows, Outputs, Inputs, 1.0f, x, kernel_.data(), 0.0f, y);
        apply_bias_activation<Act>(y, bias_.data(), rows, Outputs);
    }

    /// Turns dy into the gradient before the activation (in place, from the output y), then fills
    /// the kernel and bias gradients.
    template <Activation Act>
    void backward_parameters(float const* x, float const* y, float* dy, std::size_t rows) {
        backward_activation_and_bias<Act>(y, dy, rows);
        accumulate_kernel_gradient(x, dy, rows, false);
    }

    /// The first half of backward_parameters: dy becomes the gradient before the activation (in
    /// place), and the bias gradient is filled.
    template <Activation Act>
    void backward_activation_and_bias(float const* y, float* dy, std::size_t rows) {
        if constexpr (!Act::elementwise)
            activation_backward<Act>(y, dy, rows, Outputs);
        bias_gradient<Act>(y, dy, rows);
    }

    /// The kernel gradient x^T dy over `rows` rows, added to the one so far when `accumulate`
    /// (so it can be built from blocks of rows).
    void accumulate_kernel_gradient(float const* x, float const* dy, std::size_t rows, bool accumulate) {
        host::gemm(true, false, Inputs, Outputs, rows, 1.0f, x, dy, accumulate ? 1.0f : 0.0f,
                   kernel_gradient_.data());
    }

    /// dx(rows, Inputs) = dy K^T, with dy the gradient before the activation.
    void input_gradient(float const* dy, std::size_t rows, float* dx) const {
        host::gemm(false, true, rows, Inputs, Outputs, 1.0f, dy, kernel_.data(), 0.0f, dx);
    }

private:
    /// db[o] = sum over rows of dy[r, o]: partial sums over fixed blocks of rows (row-wise, so
    /// the inner loop vectorizes), then the blocks in order, so the result does not depend on
    /// the number of threads. An element-wise activation's derivative is applied to dy in the
    /// same pass, which saves a pass over dy.
    template <Activation Act>
    void bias_gradient(float const* y, float* dy, std::size_t rows) {
        std::size_t blocks = std::clamp<std::size_t>(rows / 256, 1, 32);
        std::size_t block_rows = (rows + blocks - 1) / blocks;
        if (bias_partials_.size() < blocks * Outputs)  // grows only: no allocation once sized
            bias_partials_.resize({blocks, Outputs});
        float* partials = bias_partials_.data();
        host::for_each_index(blocks, [=](std::size_t block) {
            float* sum = partials + block * Outputs;
            std::fill_n(sum, Outputs, 0.0f);
            for (std::size_t r = block * block_rows; r < std::min(rows, (block + 1) * block_rows); ++r) {
                float* d = dy + r * Outputs;
                if constexpr (Act::elementwise && !std::is_same_v<Act, linear>) {
                    float const* out = y + r * Outputs;
                    for (std::size_t o = 0; o < Outputs; ++o) d[o] *= Act::derivative_from_output(out[o]);
                }
                for (std::size_t o = 0; o < Outputs; ++o) sum[o] += d[o];
            }
        });
        float* db = bias_gradient_.data();
        std::copy_n(partials, Outputs, db);
        for (std::size_t block = 1; block < blocks; ++block)
            for (std::size_t o = 0; o < Outputs; ++o) db[o] += partials[block * Outputs + o];
    }

    template <std::size_t N>
    static std::span<float> span(xt::xtensor<float, N>& t) {
        return {t.data(), t.size()};
    }

    xt::xtensor<float, 2> kernel_;
    xt::xtensor<float, 1> bias_;
    xt::xtensor<float, 2> kernel_gradient_;
    xt::xtensor<float, 1> bias_gradient_;
    xt::xtensor<float, 2> bias_partials_;  // (blocks of rows, Outputs), for the bias gradient
};

}  // namespace est::detail
