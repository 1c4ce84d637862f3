// Fully connected layer: y = act(x K + b), one GEMM plus a fused bias/activation pass.
#pragma once

#include <est/core/tensor.hpp>
#include <est/estimator/mode.hpp>
#include <est/nn/activation.hpp>
#include <est/nn/affine.hpp>
#include <est/nn/layer.hpp>

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

        void initialize(random_engine& engine) { affine_.initialize(engine, inputs, Units); }

        template <class F>
        void for_each_parameter(F&& f) {
            affine_.for_each_parameter(f);
        }

        template <Mode M>
        batch_view<float const, output_shape> forward(batch_view<float const, In> x, M, step_context const&) {
            output_.resize(x.batch);
            affine_.template forward<Act>(x.data, x.batch, output_.data());
            return output_.view();
        }

        batch_view<float, In> backward(batch_view<float const, In> x, batch_view<float, output_shape> dy,
                                       bool need_input_gradient) {
            affine_.template backward_parameters<Act>(x.data, output_.data(), dy.data, x.batch);
            if (!need_input_gradient)
                return {};
            input_gradient_.resize(x.batch);
            affine_.input_gradient(dy.data, x.batch, input_gradient_.data());
            return input_gradient_.view();
        }

    private:
        detail::affine_parameters<inputs, Units> affine_;
        batch_tensor<float, output_shape> output_;
        batch_tensor<float, In> input_gradient_;
    };
};

}  // namespace est
