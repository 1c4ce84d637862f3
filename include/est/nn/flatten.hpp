// Flatten: reinterprets an example as a vector; the data is not copied.
#pragma once

#include <est/core/tensor.hpp>
#include <est/estimator/mode.hpp>
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

    template <Shape In>
    struct layer : detail::parameter_free {
        using input_shape = In;
        using output_shape = shape<In::size>;
        static constexpr std::size_t macs = 0;
        template <Mode M>
        batch_view<float const, output_shape> forward(batch_view<float const, In> x, M, step_context const&) {
            return {x.data, x.batch};
        }
        batch_view<float, In> backward(batch_view<float const, In>, batch_view<float, output_shape> dy, bool) {
            return {dy.data, dy.batch};
        }
    };
};

}  // namespace est
