// What max_pool2d and avg_pool2d share: the type-level geometry, and a run-time layer that runs the
// back end's pooling primitive in the layout of its input.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/primitive.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/layer.hpp>
#include <est/nn/padding.hpp>

#include <cstddef>
#include <type_traits>

namespace est::detail {

/// The layer type of a `Kind` pooling over Pool x Pool windows.
template <pooling_kind Kind, std::size_t Pool, std::size_t Stride, Padding Pad>
struct pool2d {
    static_assert(Pool > 0 && Stride > 0, "pooling needs a positive window and stride");

    template <Shape In>
    static constexpr bool accepts = [] {
        if constexpr (In::rank != 3)
            return false;
        else
            return window_1d<Pad, In::extents[0], Pool, Stride>::fits &&
                   window_1d<Pad, In::extents[1], Pool, Stride>::fits;
    }();
    template <Shape In>
    using requirement = std::conditional_t<In::rank != 3, requires_rank<3>, requires_spatial_at_least<Pool, Pool>>;
    template <Shape In>
    using output_shape = shape<window_1d<Pad, In::extents[0], Pool, Stride>::output,
                               window_1d<Pad, In::extents[1], Pool, Stride>::output, In::extents[2]>;

    template <Shape In, class B>
    class layer : public parameter_free {
        using geometry = window_geometry_of<Pad, In, In::extents[2], Pool, Stride>;

    public:
        using input_shape = In;
        using output_shape = pool2d::output_shape<In>;
        static constexpr std::size_t macs = output_shape::size * Pool * Pool;
        /// What a convolution before it needs to know to run the two in one pass.
        using pooling_geometry = geometry;
        static constexpr pooling_kind pooling = Kind;

        template <Mode M>
        backend_view<float const, output_shape, B> forward(backend_view<float const, In, B> x, M, step_context const&) {
            return pooling_.forward(x, training<M>);
        }

        backend_view<float, In, B> backward(backend_view<float const, In, B> x, backend_view<float, output_shape, B> dy,
                                            bool need_input_gradient) {
            if (!need_input_gradient)
                return {};
            return pooling_.backward(x, dy);
        }

        /// Max pooling of a ReLU's output: the input gradient with ReLU's derivative applied too
        /// (kernels/pooling.hpp, window_gradient), for the layer before to go on from.
        backend_view<float, In, B> backward_through_relu(backend_view<float const, In, B> x,
                                                         backend_view<float, output_shape, B> dy)
            requires(Kind == pooling_kind::max)
        {
            return pooling_.template backward<true>(x, dy);
        }

        /// backward_through_relu image by image, for the convolution before it where its kernels
        /// run so (image_gradients); none where the back end's pooling cannot.
        image_gradients gradients_by_image_through_relu(
            backend_view<float const, In, B> x,
            backend_view<float, output_shape, B> dy) requires(Kind == pooling_kind::max) {
            if constexpr (requires { pooling_.gradients_by_image_through_relu(x, dy); })
                return pooling_.gradients_by_image_through_relu(x, dy);
            else
                return {};
        }

    private:
        typename B::template pooling<geometry, Kind> pooling_;
    };
};

}  // namespace est::detail
