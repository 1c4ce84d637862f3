// Fully connected layer: y = act(x K + b), one matrix product on the back end plus a fused
// bias/activation pass; the bias gradient is one more product (a row of ones times dy), which keeps
// it deterministic and on the back end. K is (inputs, units) row-major in checkpoints and hooks, as
// TensorFlow has it. The back end's dense product picks the order K is stored in (est::host:
// (inputs, units) where oneDNN's matmul reads it faster, host/dense_product.hpp); otherwise it is
// stored transposed, (units, inputs): each output then reads one contiguous row of K, the sgemm's
// faster form for the CNN's large layer (benchmarks/README.md, "Dense layers"); where the back end
// says so, the forward product is then computed transposed, K x^T, and transposed in the bias pass.
// At inference, where the back end has a fused dense product and says it is faster (est::host:
// oneDNN's matmul on AVX-512, from 64 rows and 64 units on; host/dense_product.hpp), the forward
// pass is that one primitive instead. Training keeps the sgemm: the matmul's executions would add
// oneDNN's heap allocations to every step (the MLP's: 16 to 28) for a gain within a step's noise.
// In a frozen model (est::frozen) that product reads a copy of the kernel in its own layout.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/error.hpp>
#include <est/core/parameter.hpp>
#include <est/core/primitive.hpp>
#include <est/core/tensor.hpp>
#include <est/kernels/column_sums.hpp>
#include <est/kernels/transposed_matrix.hpp>
#include <est/nn/activation.hpp>
#include <est/nn/layer.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace est {

namespace detail {
template <class B>
struct dense_product_of {
    using type = typename B::dense_product;
};
}  // namespace detail

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

    template <Shape In, class B>
    class layer {
    public:
        using input_shape = In;
        using output_shape = shape<Units>;
        static constexpr std::size_t inputs = In::size;
        static constexpr std::size_t parameter_count = inputs * Units + Units;
        static constexpr std::size_t macs = inputs * Units;

        /// The kernel, Glorot-uniform; the bias zero (TensorFlow's defaults).
        std::array<parameter_spec, 2> parameters() const {
            return {{{"kernel",
                      inputs * Units,
                      parameter_kind::weights,
                      {initializer::kind::glorot_uniform, 0.0f, inputs, Units},
                      by_inputs() ? nullptr : &kernel_layout_},
                     {"bias", Units, parameter_kind::trainable}}};
        }
        void bind(std::array<parameter_slot, 2> const& slots) { kernel_ = slots[0], bias_ = slots[1]; }

        template <Mode M>
        backend_view<float const, output_shape, B> forward(backend_view<float const, In, B> x, M, step_context const&) {
            check_canonical(x.layout);
            output_.resize(x.batch * Units);
            if constexpr (fused_product && !detail::training<M>) {
                if (product_primitive_.faster_at(x.batch)) {
                    product_primitive_.forward(x.data, x.batch, kernel_.value, bias_.value, output_.data());
                    if constexpr (!Act::elementwise)
                        detail::apply_activation<Act, B>(output_.data(), x.batch * Units, Units);
                    return {output_.data(), x.batch};
                }
            }
            if (!by_inputs() && B::transposed_product_faster(x.batch, Units, inputs)) {
                product_.resize(x.batch * Units);
                B::gemm(false, true, Units, x.batch, inputs, 1.0f, kernel_.value, x.data, 0.0f, product_.data());
                B::for_each_2d(
                    x.batch, Units,
                    detail::bias_activation<Act, true>{output_.data(), bias_.value, Units, product_.data(), x.batch});
            } else {
                B::gemm(false, !by_inputs(), x.batch, Units, inputs, 1.0f, x.data, kernel_.value, 0.0f, output_.data());
                B::for_each_2d(x.batch, Units, detail::bias_activation<Act>{output_.data(), bias_.value, Units});
            }
            if constexpr (!Act::elementwise)
                detail::apply_activation<Act, B>(output_.data(), x.batch * Units, Units);
            return {output_.data(), x.batch};
        }

        backend_view<float, In, B> backward(backend_view<float const, In, B> x, backend_view<float, output_shape, B> dy,
                                            bool need_input_gradient) {
            detail::activation_gradient<Act, B>(output_.data(), dy.data, dy.size(), Units);
            bias_gradient_(dy.data, x.batch, Units, bias_.gradient);
            if (by_inputs())
                B::gemm(true, false, inputs, Units, x.batch, 1.0f, x.data, dy.data, 0.0f, kernel_.gradient);
            else
                B::gemm(true, false, Units, inputs, x.batch, 1.0f, dy.data, x.data, 0.0f, kernel_.gradient);
            if (!need_input_gradient)
                return {};
            input_gradient_.resize(x.batch * inputs);
            B::gemm(false, by_inputs(), x.batch, inputs, Units, 1.0f, dy.data, kernel_.value, 0.0f,
                    input_gradient_.data());
            return {input_gradient_.data(), x.batch};
        }

    private:
        // Only a model's freeze (est::frozen's model) may call freeze(): after it the fused product
        // no longer reads the arena.
        template <Backend, class, class...>
        friend class basic_sequential;

        /// Promises that the kernel keeps its values (est::frozen): the back end's fused product may
        /// then read a copy of it in the layout it reads fastest.
        void freeze() {
            if constexpr (requires { product_primitive_.freeze(kernel_.value); })
                product_primitive_.freeze(kernel_.value);
        }

        /// Whether the back end runs the inference pass as one product with the bias and the
        /// activation fused (est::host: oneDNN's matmul, host/dense_product.hpp), where it is faster.
        static constexpr bool fused_product = requires { typename B::dense_product; };
        struct no_product_primitive {
            no_product_primitive(std::size_t, std::size_t, post_op, kernel_order) {}
        };
        using product_primitive = typename std::conditional_t<fused_product, detail::dense_product_of<B>,
                                                              std::type_identity<no_product_primitive>>::type;

        static void check_canonical(layout l) {
            if (l != layout::canonical)
                throw error("est::dense: input in layout " + std::string(layout_name(l)) + "; dense reads rows");
        }

        /// The order the back end's dense product asks for; (units, inputs) where it names none.
        static kernel_order preferred_order() {
            if constexpr (requires { product_primitive::preferred_order(inputs, Units); })
                return product_primitive::preferred_order(inputs, Units);
            else
                return kernel_order::units_major;
        }
        bool by_inputs() const { return order_ == kernel_order::inputs_major; }

        kernel_order const order_ = preferred_order();
        detail::transposed_matrix<B> kernel_layout_{inputs, Units};  // where stored (units, inputs)
        [[no_unique_address]] product_primitive product_primitive_{inputs, Units, Act::fused, order_};
        parameter_slot kernel_, bias_;
        buffer<float, B> output_, input_gradient_;
        buffer<float, B> product_;  // x K^T computed as K x^T, (units, batch), where that is faster
        detail::column_sums<B> bias_gradient_;
    };
};

}  // namespace est
