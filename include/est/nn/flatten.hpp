// Flatten: reads an example as a vector, in the canonical (row-major, channels-last) order; the data
// is not copied unless the layer before it left a back end's blocked layout.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/layer.hpp>

#include <string_view>

namespace est {

/// Maps any example shape to `shape<size>`.
struct flatten {
    static constexpr std::string_view kind = "flatten";
    template <Shape In>
    static constexpr bool accepts = In::rank >= 1;
    template <Shape In>
    using requirement = requires_rank<1>;
    template <Shape In>
    using output_shape = shape<In::size>;

    template <Shape In, class B>
    class layer : public detail::parameter_free {
    public:
        using input_shape = In;
        using output_shape = shape<In::size>;
        static constexpr std::size_t macs = 0;

        template <Mode M>
        backend_view<float const, output_shape, B> forward(backend_view<float const, In, B> x, M, step_context const&) {
            auto canonical = forward_converter_.convert(x, layout::canonical);
            return {canonical.data, canonical.batch};
        }
        backend_view<float, In, B> backward(backend_view<float const, In, B> x, backend_view<float, output_shape, B> dy,
                                            bool) {
            return backward_converter_.convert(backend_view<float, In, B>{dy.data, dy.batch}, x.layout);
        }

    private:
        // Two, so that the backward pass leaves the forward pass's output (the next layer's input) as it is.
        typename B::template layout_converter<In> forward_converter_, backward_converter_;
    };
};

}  // namespace est
