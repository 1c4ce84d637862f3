// 2-D convolution over (height, width, channels) examples: the back end's convolution primitive
// (oneDNN's on the host) with the bias and an element-wise activation fused into it. The kernel is
// (Kernel, Kernel, channels, Filters) row-major in checkpoints and hooks, and kept in whatever
// layout the back end's primitive prefers.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/parameter.hpp>
#include <est/core/primitive.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/activation.hpp>
#include <est/nn/layer.hpp>
#include <est/nn/padding.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace est {

/// `conv2d<Filters, Kernel, Padding, Activation, Stride>`: square Kernel x Kernel windows over a
/// (height, width, channels) input.
template <std::size_t Filters, std::size_t Kernel, Padding Pad = valid, Activation Act = linear, std::size_t Stride = 1>
struct conv2d {
    static_assert(Filters > 0 && Kernel > 0 && Stride > 0, "est::conv2d needs positive filters, kernel and stride");
    static_assert(Act::elementwise,
                  "est::conv2d: fuse an element-wise activation (relu, sigmoid, tanh); for a softmax over channels "
                  "add est::softmax as a layer after the convolution");
    static constexpr std::string_view kind = "conv2d";

    template <Shape In>
    static constexpr bool accepts = [] {
        if constexpr (In::rank != 3)
            return false;
        else
            return detail::window_1d<Pad, In::extents[0], Kernel, Stride>::fits &&
                   detail::window_1d<Pad, In::extents[1], Kernel, Stride>::fits;
    }();
    template <Shape In>
    using requirement = std::conditional_t<In::rank != 3, requires_rank<3>, requires_spatial_at_least<Kernel, Kernel>>;
    template <Shape In>
    using output_shape = shape<detail::window_1d<Pad, In::extents[0], Kernel, Stride>::output,
                               detail::window_1d<Pad, In::extents[1], Kernel, Stride>::output, Filters>;

    template <Shape In, class B>
    class layer {
        using geometry = detail::window_geometry_of<Pad, In, Filters, Kernel, Stride>;
        using convolution_type = typename B::template convolution<geometry, Act::fused>;

    public:
        using input_shape = In;
        using output_shape = conv2d::output_shape<In>;
        /// Whether est's own kernels, rather than the back end's library, train this layer on this
        /// CPU (host/convolution.hpp).
        static bool trains_on_own_kernels() {
            if constexpr (requires { convolution_type::own_kernels_train(); })
                return convolution_type::own_kernels_train();
            else
                return false;
        }
        static constexpr std::size_t channels = In::extents[2];
        static constexpr std::size_t patch = Kernel * Kernel * channels;
        static constexpr std::size_t parameter_count = patch * Filters + Filters;
        static constexpr std::size_t macs = output_shape::extents[0] * output_shape::extents[1] * patch * Filters;

        /// The kernel, Glorot-uniform with TensorFlow's fans (receptive field times channels in and
        /// out); the bias zero.
        std::array<parameter_spec, 2> parameters() const {
            return {{{"kernel",
                      patch * Filters,
                      parameter_kind::weights,
                      {initializer::kind::glorot_uniform, 0.0f, patch, Kernel * Kernel * Filters},
                      &convolution_.weights_layout()},
                     {"bias", Filters, parameter_kind::trainable}}};
        }
        void bind(std::array<parameter_slot, 2> const& slots) { kernel_ = slots[0], bias_ = slots[1]; }

        template <Mode M>
        backend_view<float const, output_shape, B> forward(backend_view<float const, In, B> x, M, step_context const&) {
            output_ = convolution_.forward(x, kernel_.value, bias_.value, detail::training<M>);
            return output_;
        }

        /// Whether the back end's convolution can run with a max pooling after it in one pass.
        static constexpr bool fuses_max_pooling = [] {
            if constexpr (requires { convolution_type::fuses_max_pooling; })
                return convolution_type::fuses_max_pooling;
            else
                return false;
        }();

        /// At inference, this convolution and the max pooling layer `Pool` after it without this
        /// layer's output for the whole batch, where the back end can (est::host: in one pass,
        /// host/convolution_max_pooling.hpp, or a part of the batch at a time): the pooled output;
        /// a view of no data where it cannot, and the two layers then run one after the other.
        template <class Pool>
        backend_view<float const, typename Pool::output_shape, B> forward_max_pooled(backend_view<float const, In, B> x) {
            if constexpr (fuses_max_pooling)
                return convolution_.template forward_max_pooled<typename Pool::pooling_geometry>(x, kernel_.value,
                                                                                                bias_.value);
            else
                return {};
        }

        backend_view<float, In, B> backward(backend_view<float const, In, B> x, backend_view<float, output_shape, B> dy,
                                            bool need_input_gradient) {
            detail::activation_gradient<Act, B>(output_.data, dy.data, dy.stored_size(), Filters);
            return backward_before_activation(x, dy, need_input_gradient);
        }

        /// Whether its output is a ReLU's: a max pooling after it can then apply ReLU's derivative
        /// in its own backward pass, and this layer goes on from backward_before_activation.
        static constexpr bool relu_output = std::is_same_v<Act, relu>;

        /// The backward pass from dz, the gradient of the output before the activation.
        backend_view<float, In, B> backward_before_activation(backend_view<float const, In, B> x,
                                                              backend_view<float, output_shape, B> dz,
                                                              bool need_input_gradient) {
            return convolution_.backward(x, dz, kernel_.value, kernel_.gradient, bias_.gradient, need_input_gradient);
        }

        /// Whether the back end's convolution can take its output gradient image by image
        /// (image_gradients: a max pooling's after it), and whether it can after the last forward
        /// pass (est::host: where that ran on est's own kernels).
        static constexpr bool backward_by_image = [] {
            if constexpr (requires { convolution_type::backward_by_image; })
                return convolution_type::backward_by_image;
            else
                return false;
        }();
        bool takes_gradients_by_image() const {
            if constexpr (backward_by_image)
                return convolution_.takes_gradients_by_image();
            else
                return false;
        }

        /// backward_before_activation with dz handed over image by image, where
        /// takes_gradients_by_image. (A template, so that only a back end that has it compiles it.)
        backend_view<float, In, B> backward_before_activation(backend_view<float const, In, B> x,
                                                              std::same_as<image_gradients> auto const& dz,
                                                              bool need_input_gradient) {
            return convolution_.backward(x, dz, kernel_.value, kernel_.gradient, bias_.gradient, need_input_gradient);
        }

    private:
        convolution_type convolution_;
        parameter_slot kernel_, bias_;
        backend_view<float const, output_shape, B> output_;
    };
};

}  // namespace est
