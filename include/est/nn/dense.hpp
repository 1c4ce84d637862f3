// Fully connected layer: y = act(x K + b), one GEMM plus a fused bias/activation pass.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/tensor.hpp>
#include <est/estimator/mode.hpp>
#include <est/nn/activation.hpp>
#include <est/nn/layer.hpp>

#include <xtensor/xtensor.hpp>

#include <cstddef>
#include <string_view>

namespace est {

/// `dense<Units, Activation>` maps a rank-1 input of n features to `Units` features.
template <std::size_t Units, Activation Act = linear>
struct dense {
    static_assert(Units > 0, "est::dense needs at least one unit");
    static constexpr std::string_view kind = "dense";

    template <Shape In>
    static constexpr bool accepts = In::rank == 1;
    template <Shape In>
    using requirement = requires_rank<1>;
    template <Shape In>
    using output_shape = shape<Units>;

    template <Shape In>
    class layer {
    public:
        using input_shape = In;
        using output_shape = shape<Units>;
        static constexpr std::size_t inputs = In::size;
        static constexpr std::size_t parameter_count = inputs * Units + Units;
        static constexpr std::size_t macs = inputs * Units;

        layer()
            : kernel_(filled_tensor<2>({inputs, Units})),
              bias_(filled_tensor<1>({Units})),
              kernel_gradient_(kernel_),
              bias_gradient_(bias_) {}

        void initialize(random_engine& engine) {
            glorot_uniform({kernel_.data(), kernel_.size()}, inputs, Units, engine);
            bias_.fill(0.0f);
        }

        template <class F>
        void for_each_parameter(F&& f) {
            f(parameter_ref{"kernel",
                            {kernel_.data(), kernel_.size()},
                            {kernel_gradient_.data(), kernel_gradient_.size()},
                            true,
                            true});
            f(parameter_ref{
                "bias", {bias_.data(), bias_.size()}, {bias_gradient_.data(), bias_gradient_.size()}, true, false});
        }

        template <Mode M>
        batch_view<float const, output_shape> forward(batch_view<float const, In> x, M, step_context const&) {
            output_.resize(x.batch);
            host::gemm(false, false, x.batch, Units, inputs, 1.0f, x.data, kernel_.data(), 0.0f, output_.data());
            apply_bias_activation<Act>(output_.data(), bias_.data(), x.batch, Units);
            return output_.view();
        }

        batch_view<float, In> backward(batch_view<float const, In> x, batch_view<float, output_shape> dy,
                                       bool need_input_gradient) {
            std::size_t rows = x.batch;
            activation_backward<Act>(output_.data(), dy.data, rows, Units);
            host::gemm(true, false, inputs, Units, rows, 1.0f, x.data, dy.data, 0.0f, kernel_gradient_.data());
            float const* d = dy.data;
            float* db = bias_gradient_.data();
            host::for_each_index(Units, [=](std::size_t u) {
                float sum = 0.0f;
                for (std::size_t r = 0; r < rows; ++r) sum += d[r * Units + u];
                db[u] = sum;
            });
            if (!need_input_gradient)
                return {};
            input_gradient_.resize(rows);
            host::gemm(false, true, rows, inputs, Units, 1.0f, dy.data, kernel_.data(), 0.0f, input_gradient_.data());
            return input_gradient_.view();
        }

    private:
        xt::xtensor<float, 2> kernel_;
        xt::xtensor<float, 1> bias_;
        xt::xtensor<float, 2> kernel_gradient_;
        xt::xtensor<float, 1> bias_gradient_;
        batch_tensor<float, output_shape> output_;
        batch_tensor<float, In> input_gradient_;
    };
};

}  // namespace est
