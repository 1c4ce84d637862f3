// Dropout: in TRAIN each value is kept with probability 1 - Rate and scaled by 1 / (1 - Rate);
// in EVAL and PREDICT it passes the input through. The mask is a pure function of (seed, step,
// index), so it is reproduced in the backward pass instead of stored.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/host_device.hpp>
#include <est/core/random.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/layer.hpp>

#include <cstdint>
#include <string_view>

namespace est {

namespace detail {
/// out[i] = in[i] * (kept ? 1 / keep : 0); in place when in == out.
struct dropout_mask {
    float const* in;
    float* out;
    std::uint64_t seed, step;
    float keep;
    EST_HOST_DEVICE void operator()(std::size_t i) const {
        out[i] = in[i] * (uniform_at(seed, step, i) < keep ? 1.0f / keep : 0.0f);
    }
};
}  // namespace detail

/// `dropout<0.4f>` drops 40% of the values while training.
template <float Rate>
struct dropout : detail::shape_preserving {
    static_assert(Rate >= 0.0f && Rate < 1.0f, "est::dropout rate must be in [0, 1)");
    static constexpr std::string_view kind = "dropout";

    template <Shape In, class B>
    class layer : public detail::parameter_free {
    public:
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t macs = 0;

        template <Mode M>
        backend_view<float const, In, B> forward(backend_view<float const, In, B> x, M, step_context const& context) {
            if constexpr (!detail::training<M>) {
                return x;
            } else {
                context_ = context;
                output_.resize(x.stored_size());
                B::for_each(x.stored_size(),
                            detail::dropout_mask{x.data, output_.data(), context.seed, context.step, keep});
                return {output_.data(), x.batch, x.layout};
            }
        }

        backend_view<float, In, B> backward(backend_view<float const, In, B>, backend_view<float, In, B> dy, bool) {
            B::for_each(dy.stored_size(), detail::dropout_mask{dy.data, dy.data, context_.seed, context_.step, keep});
            return dy;
        }

    private:
        static constexpr float keep = 1.0f - Rate;
        step_context context_;
        buffer<float, B> output_;
    };
};

}  // namespace est
