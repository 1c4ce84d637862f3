// The parameters and GEMMs that dense and conv2d share: y = act(x K + b) over rows of `Inputs`
// values (examples for dense, im2col patches for conv2d), and the gradients of that map.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/random.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/activation.hpp>
#include <est/nn/layer.hpp>

#include <xtensor/xtensor.hpp>

#include <cstddef>

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
        activation_backward<Act>(y, dy, rows, Outputs);
        host::gemm(true, false, Inputs, Outputs, rows, 1.0f, x, dy, 0.0f, kernel_gradient_.data());
        float const* d = dy;
        float* db = bias_gradient_.data();
        host::for_each_index(Outputs, [=](std::size_t o) {
            float sum = 0.0f;
            for (std::size_t r = 0; r < rows; ++r) sum += d[r * Outputs + o];
            db[o] = sum;
        });
    }

    /// dx(rows, Inputs) = dy K^T, with dy the gradient before the activation.
    void input_gradient(float const* dy, std::size_t rows, float* dx) const {
        host::gemm(false, true, rows, Inputs, Outputs, 1.0f, dy, kernel_.data(), 0.0f, dx);
    }

private:
    template <std::size_t N>
    static std::span<float> span(xt::xtensor<float, N>& t) {
        return {t.data(), t.size()};
    }

    xt::xtensor<float, 2> kernel_;
    xt::xtensor<float, 1> bias_;
    xt::xtensor<float, 2> kernel_gradient_;
    xt::xtensor<float, 1> bias_gradient_;
};

}  // namespace est::detail
