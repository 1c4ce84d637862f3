// A model as a typed layer list. `sequential<input<...>, L1, L2, ...>` folds the shapes at compile
// time, reports the first layer that does not fit (its position, type and both shapes), and at
// run time chains the layers' forward and backward passes without copies between them.
#pragma once

#include <est/core/error.hpp>
#include <est/core/random.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/estimator/mode.hpp>
#include <est/nn/input.hpp>
#include <est/nn/layer.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <span>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace est {

/// Named in the first error line when a layer does not accept its input: the layer's position in
/// the sequential's argument list (input<...> is position 0), its type, the shape it was given and
/// what it requires.
template <class Position, class Layer, class Produced, class Required>
struct layer_shape_mismatch;

/// Named in the first error line when the tensor passed to a model does not fit its input<...>.
template <class ModelInput, class GivenShape, class GivenValueType>
struct input_shape_mismatch;

template <class Net>
struct model_output;

namespace detail {
template <class L, class In>
struct output_of {
    using type = typename L::template output_shape<In>;
};
template <class T>
struct lazy_type {
    using type = T;
};
template <class L, class In>
struct accepts_trait : std::bool_constant<L::template accepts<In>> {};

/// The input shape of every layer and the model's output, as std::tuple<In_1, ..., In_n, Out>;
/// invalid_shape from the first layer that does not accept its input on.
template <class In, class Acc, class... Ls>
struct fold_shapes;
template <class In, class... Acc>
struct fold_shapes<In, std::tuple<Acc...>> {
    using type = std::tuple<Acc..., In>;
};
template <class In, class... Acc, class L, class... Rest>
struct fold_shapes<In, std::tuple<Acc...>, L, Rest...> {
    static constexpr bool accepted =
        std::conjunction_v<std::negation<std::is_same<In, invalid_shape>>, accepts_trait<L, In>>;
    using next = typename std::conditional_t<accepted, output_of<L, In>, lazy_type<invalid_shape>>::type;
    using type = typename fold_shapes<next, std::tuple<Acc..., In>, Rest...>::type;
};

template <std::size_t Position, class L, class In, class Out>
constexpr bool check_layer_fits() {
    if constexpr (!std::is_same_v<In, invalid_shape> && std::is_same_v<Out, invalid_shape>) {
        static_assert(always_false<L>,
                      "est::sequential: a layer does not accept the shape produced before it; "
                      "layer_shape_mismatch<position, layer, produced shape, requirement> names them");
        [[maybe_unused]] std::size_t report =
            sizeof(layer_shape_mismatch<position<Position>, L, In, typename L::template requirement<In>>);
        return false;
    } else {
        return true;
    }
}

template <class Shapes, class Layers, class Indices>
struct model_structure;
template <class Shapes, class... Ls, std::size_t... I>
struct model_structure<Shapes, std::tuple<Ls...>, std::index_sequence<I...>> {
    static constexpr bool fits =
        (check_layer_fits<I + 1, Ls, std::tuple_element_t<I, Shapes>, std::tuple_element_t<I + 1, Shapes>>() && ...);
    template <bool Fits>
    struct bound {
        using type = std::tuple<>;
    };
    template <bool Fits>
    requires Fits struct bound<Fits> {
        using type = std::tuple<typename Ls::template layer<std::tuple_element_t<I, Shapes>>...>;
    };
    using layers = typename bound<fits>::type;
    using input_views = std::tuple<batch_view<float const, std::tuple_element_t<I, Shapes>>...>;
};
}  // namespace detail

/// A feed-forward model: `sequential<input<28, 28, 1>, conv2d<...>, ..., dense<10>>`.
/// Shapes, parameter counts and MACs are constexpr; an instance holds the parameters and the
/// workspaces of one training or inference pass.
template <class Input, class... Layers>
class sequential {
    static_assert(is_input_v<Input>, "est::sequential<...>: the first entry must be est::input<dims...>");
    static_assert(sizeof...(Layers) > 0, "est::sequential<...>: list at least one layer after est::input<...>");
    static_assert((Layer<Layers> && ...), "est::sequential<...>: every entry after the input must be an est::Layer");

    using shapes = typename detail::fold_shapes<typename Input::shape_type, std::tuple<>, Layers...>::type;
    using structure = detail::model_structure<shapes, std::tuple<Layers...>, std::index_sequence_for<Layers...>>;
    using layer_tuple = typename structure::layers;
    static constexpr std::size_t depth = sizeof...(Layers);

public:
    using input_shape_type = typename Input::shape_type;
    using output_shape_type = std::tuple_element_t<depth, shapes>;
    static constexpr bool shapes_fit = structure::fits;
    static constexpr input_shape_type input_shape{};
    static constexpr output_shape_type output_shape{};

    static constexpr std::size_t parameter_count = []<class... L>(std::type_identity<std::tuple<L...>>) {
        return (std::size_t{0} + ... + L::parameter_count);
    }(std::type_identity<layer_tuple>{});
    /// Multiply-accumulates of one example's forward pass.
    static constexpr std::size_t macs = []<class... L>(std::type_identity<std::tuple<L...>>) {
        return (std::size_t{0} + ... + L::macs);
    }(std::type_identity<layer_tuple>{});

    /// Layer I (0 is the first layer after input<...>).
    template <std::size_t I>
    auto& layer() {
        return std::get<I>(layers_);
    }

    /// Initialises every parameter from `seed`; each layer draws from its own stream.
    void initialize(std::uint64_t seed) {
        seed_ = seed;
        for_each_layer([&]<std::size_t I>(auto& l) {
            random_engine engine(derive_seed(seed, I));
            l.initialize(engine);
        });
    }

    /// Sets the step that the next forward pass belongs to (dropout masks follow it).
    void begin_step(std::uint64_t step) { step_ = step; }

    /// Calls `f(layer_name, parameter_ref)` for every parameter, in a stable order; layer names
    /// are "<position>_<kind>", e.g. "1_conv2d".
    template <class F>
    void for_each_parameter(F&& f) {
        for_each_layer([&]<std::size_t I>(auto& l) {
            std::string name = layer_name<I>();
            l.for_each_parameter([&](parameter_ref const& p) { f(std::string_view(name), p); });
        });
    }

    /// Calls `f(layer_name, values)` with every layer's output of the last forward pass (the whole
    /// batch; empty before the first pass).
    template <class F>
    void for_each_activation(F&& f) const {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(std::string_view(layer_name<I>()), values_of_output<I>()), ...);
        }
        (std::make_index_sequence<depth>{});
    }

    /// "<position>_<kind>" of layer I, e.g. "1_conv2d".
    template <std::size_t I>
    static std::string layer_name() {
        return std::to_string(I + 1) + "_" + std::string(std::tuple_element_t<I, std::tuple<Layers...>>::kind);
    }

    /// Forward pass over a batch; keeps what the backward pass needs.
    template <Mode M>
    batch_view<float const, output_shape_type> forward(batch_view<float const, input_shape_type> x, M mode) {
        output_ = forward_from<0>(x, mode);
        return output_;
    }

    /// Runs the model on a batch of features: `net(features["image"_f], mode)`.
    template <class Features, Mode M>
    model_output<sequential> operator()(Features const& features, M mode) {
        using given = std::remove_cvref_t<Features>;
        if constexpr (!Batch<given>) {
            static_assert(
                detail::always_false<given>,
                "est::sequential: call the model on a batch of features, e.g. net(features[\"image\"_f], mode)");
            return {};
        } else if constexpr (!std::is_same_v<typename given::shape_type, input_shape_type> ||
                             !std::is_same_v<std::remove_const_t<typename given::value_type>, float>) {
            static_assert(detail::always_false<given>,
                          "est::sequential: the input feature does not fit the model's est::input<...>; "
                          "input_shape_mismatch<model input, feature shape, feature value type> names both");
            [[maybe_unused]] std::size_t report =
                sizeof(input_shape_mismatch<input_shape_type, typename given::shape_type, typename given::value_type>);
            return {};
        } else {
            return {this, forward(as_view(features), mode)};
        }
    }

    /// The gradient of the loss with respect to the model's output, written by a loss function.
    batch_view<float, output_shape_type> output_gradient(std::size_t batch) {
        output_gradient_.resize(batch);
        return output_gradient_.view();
    }

    /// Back-propagates output_gradient() through every layer, filling the parameter gradients.
    /// Kept out of line: g++ 12 at -O2 and above, inlining it into a training step, skipped the
    /// first resize of a layer's input-gradient workspace (tests/integration/determinism.cpp
    /// crashed in the BLAS call; -fno-tree-pta also avoided it). One call per step costs nothing.
    [[gnu::noinline]] void backward() { backward_from<depth - 1>(output_gradient_.view()); }

    /// A table of every layer's output shape, parameters and MACs, like Keras' model.summary().
    static std::string summary() {
        std::ostringstream out;
        out << std::left << std::setw(6) << "#" << std::setw(14) << "layer" << std::setw(18) << "output shape"
            << std::right << std::setw(12) << "parameters" << std::setw(14) << "MACs" << '\n';
        out << std::left << std::setw(6) << 0 << std::setw(14) << "input" << std::setw(18)
            << input_shape_type::to_string() << std::right << std::setw(12) << 0 << std::setw(14) << 0 << '\n';
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((out << std::left << std::setw(6) << I + 1 << std::setw(14)
                  << std::tuple_element_t<I, std::tuple<Layers...>>::kind << std::setw(18)
                  << std::tuple_element_t<I + 1, shapes>::to_string() << std::right << std::setw(12)
                  << std::tuple_element_t<I, layer_tuple>::parameter_count << std::setw(14)
                  << std::tuple_element_t<I, layer_tuple>::macs << '\n'),
             ...);
        }
        (std::index_sequence_for<Layers...>{});
        out << "total parameters: " << parameter_count << ", MACs per example: " << macs << '\n';
        return out.str();
    }

    /// The model as JSON: every layer's position, kind, output shape, parameters and MACs, and the
    /// totals (what a run records so that it can be compared with another).
    static nlohmann::ordered_json description() {
        auto extents = [](auto shape) { return nlohmann::ordered_json(decltype(shape)::extents); };
        nlohmann::ordered_json layers = nlohmann::ordered_json::array();
        layers.push_back({{"position", 0},
                          {"kind", "input"},
                          {"output_shape", extents(input_shape_type{})},
                          {"parameters", 0},
                          {"macs", 0}});
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (layers.push_back({{"position", I + 1},
                               {"kind", std::tuple_element_t<I, std::tuple<Layers...>>::kind},
                               {"output_shape", extents(std::tuple_element_t<I + 1, shapes>{})},
                               {"parameters", std::tuple_element_t<I, layer_tuple>::parameter_count},
                               {"macs", std::tuple_element_t<I, layer_tuple>::macs}}),
             ...);
        }
        (std::index_sequence_for<Layers...>{});
        return {{"layers", layers}, {"parameter_count", parameter_count}, {"macs_per_example", macs}};
    }

private:
    template <class F>
    void for_each_layer(F&& f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) { (f.template operator()<I>(std::get<I>(layers_)), ...); }
        (std::make_index_sequence<std::tuple_size_v<layer_tuple>>{});
    }

    template <std::size_t I>
    std::span<float const> values_of_output() const {
        if constexpr (I + 1 < depth) {
            auto const& v = std::get<I + 1>(inputs_);
            return {v.data, v.size()};
        } else {
            return {output_.data, output_.size()};
        }
    }

    template <std::size_t I, class In, Mode M>
    auto forward_from(batch_view<float const, In> x, M mode) {
        std::get<I>(inputs_) = x;
        step_context context{derive_seed(seed_, I), step_};
        auto y = std::get<I>(layers_).forward(x, mode, context);
        if constexpr (I + 1 < depth)
            return forward_from<I + 1>(y, mode);
        else
            return y;
    }

    template <std::size_t I, class Out>
    void backward_from(batch_view<float, Out> dy) {
        auto dx = std::get<I>(layers_).backward(std::get<I>(inputs_), dy, I > 0);
        if constexpr (I > 0)
            backward_from<I - 1>(dx);
    }

    layer_tuple layers_;
    typename structure::input_views inputs_;
    batch_view<float const, output_shape_type> output_;
    batch_tensor<float, output_shape_type> output_gradient_;
    std::uint64_t seed_ = 0;
    std::uint64_t step_ = 0;
};

/// What a model returns: its output for the batch and the model it came from, so that a loss can
/// hand its gradient back and a train_op can back-propagate it.
template <class Net>
struct model_output {
    using value_type = float const;
    using shape_type = typename Net::output_shape_type;

    Net* net = nullptr;
    batch_view<float const, shape_type> value;

    std::size_t batch_size() const { return value.batch; }
};

template <class T>
inline constexpr bool is_model_output_v = false;
template <class Net>
inline constexpr bool is_model_output_v<model_output<Net>> = true;

/// The values of a batch or a model output, as a read-only view.
template <class X>
auto values_of(X const& x) {
    if constexpr (is_model_output_v<X>)
        return x.value;
    else
        return as_view(x);
}

}  // namespace est
