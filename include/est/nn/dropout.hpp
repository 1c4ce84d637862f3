// Dropout: in TRAIN each value is kept with probability 1 - Rate and scaled by 1 / (1 - Rate);
// in EVAL and PREDICT it passes the input through. The mask is a pure function of (seed, step,
// index), so it is reproduced in the backward pass instead of stored.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/random.hpp>
#include <est/core/tensor.hpp>
#include <est/estimator/mode.hpp>
#include <est/nn/layer.hpp>

#include <string_view>

namespace est {

/// `dropout<0.4f>` drops 40% of the values while training.
template <float Rate>
struct dropout : detail::shape_preserving {
    static_assert(Rate >= 0.0f && Rate < 1.0f, "est::dropout rate must be in [0, 1)");
    static constexpr std::string_view kind = "dropout";

    template <Shape In>
    class layer : public detail::parameter_free {
    public:
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t macs = 0;

        template <Mode M>
        batch_view<float const, In> forward(batch_view<float const, In> x, M, step_context const& context) {
            if constexpr (M{} != train) {
                return x;
            } else {
                context_ = context;
                output_.resize(x.batch);
                float const* in = x.data;
                float* out = output_.data();
                host::for_each_index(x.size(), [=, c = context](std::size_t i) { out[i] = in[i] * scale(c, i); });
                return output_.view();
            }
        }

        batch_view<float, In> backward(batch_view<float const, In>, batch_view<float, In> dy, bool) {
            float* d = dy.data;
            host::for_each_index(dy.size(), [=, c = context_](std::size_t i) { d[i] *= scale(c, i); });
            return dy;
        }

    private:
        static constexpr float keep = 1.0f - Rate;
        static float scale(step_context const& c, std::size_t i) {
            return uniform_at(c.seed, c.step, i) < keep ? 1.0f / keep : 0.0f;
        }

        step_context context_;
        batch_tensor<float, In> output_;
    };
};

}  // namespace est
