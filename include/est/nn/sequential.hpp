// A model as a typed layer list. `sequential<input<...>, L1, L2, ...>` folds the shapes at compile
// time, reports the first layer that does not fit (its position, type and both shapes), and at run
// time chains the layers' forward and backward passes on a back end without copies between them.
// Its parameters and their gradients live in one arena each, so an optimizer step is one pass, a
// checkpoint one walk and a gradient all-reduce one call.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/error.hpp>
#include <est/core/mode.hpp>
#include <est/core/parameter.hpp>
#include <est/core/random.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/host/backend.hpp>
#include <est/nn/input.hpp>
#include <est/nn/layer.hpp>
#include <est/nn/model_description.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace est {

/// The mistake of a layer that does not accept its input: the layer's position in the
/// sequential's argument list (input<...> is position 0), its type, the shape it was given and what
/// it requires.
template <class Position, class Layer, class Produced, class Required>
struct layer_shape_mismatch {
    static_assert(detail::always_false<Layer>,
                  "est::sequential: a layer does not accept the shape produced before it; "
                  "layer_shape_mismatch<position, layer, produced shape, requirement> names them");
    static constexpr bool reported = true;
};

/// The mistake of calling a model on a feature that does not fit its input<...>.
template <class ModelInput, class GivenShape, class GivenValueType>
struct input_shape_mismatch {
    static_assert(detail::always_false<ModelInput>,
                  "est::sequential: the input feature does not fit the model's est::input<...>; "
                  "input_shape_mismatch<model input, feature shape, feature value type> names both");
    static constexpr bool reported = true;
};

/// The mistake of calling a model on something other than a batch.
template <class Given>
struct model_called_on_a_non_batch {
    static_assert(detail::always_false<Given>,
                  "est::sequential: call the model on a batch of features, e.g. net(features[\"image\"_f], mode); "
                  "model_called_on_a_non_batch<given> names what it was given");
    static constexpr bool reported = true;
};

template <class Net>
struct model_output;
template <class Net>
class frozen;

/// A parameter of a model as its arenas hold it: "<position>_<kind>/<name>", e.g. "1_conv2d/kernel".
struct model_parameter {
    std::string name;
    parameter_spec spec;
    std::size_t offset = 0;    ///< in the values arena, and in the gradient arena if it trains
    std::size_t position = 0;  ///< of its layer: 1 is the first after input<...>
};

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
        return !layer_shape_mismatch<position<Position>, L, In, typename L::template requirement<In>>::reported;
    } else {
        return true;
    }
}

template <class B, class Shapes, class Layers, class Indices>
struct model_structure;
template <class B, class Shapes, class... Ls, std::size_t... I>
struct model_structure<B, Shapes, std::tuple<Ls...>, std::index_sequence<I...>> {
    static constexpr bool fits =
        (check_layer_fits<I + 1, Ls, std::tuple_element_t<I, Shapes>, std::tuple_element_t<I + 1, Shapes>>() && ...);
    // Where a layer does not fit (reported above), an empty model with output shape<1>, so that the
    // model's members add no errors.
    template <bool Fits>
    struct bound {
        using type = std::tuple<>;
        using input_views = std::tuple<>;
        using output_converters = std::tuple<>;
        using output_shape = shape<1>;
    };
    template <bool Fits>
    requires Fits struct bound<Fits> {
        using type = std::tuple<typename Ls::template layer<std::tuple_element_t<I, Shapes>, B>...>;
        using input_views = std::tuple<backend_view<float const, std::tuple_element_t<I, Shapes>, B>...>;
        using output_converters =
            std::tuple<typename B::template layout_converter<std::tuple_element_t<I + 1, Shapes>>...>;
        using output_shape = std::tuple_element_t<sizeof...(Ls), Shapes>;
    };
    using layers = typename bound<fits>::type;
    using input_views = typename bound<fits>::input_views;
    using output_converters = typename bound<fits>::output_converters;
    using output_shape = typename bound<fits>::output_shape;
};

/// Arena offsets are rounded up to 16 floats, so that every parameter starts 64-byte aligned.
constexpr std::size_t aligned_offset(std::size_t offset) { return (offset + 15) / 16 * 16; }
}  // namespace detail

/// A feed-forward model on back end `B`: `basic_sequential<est::host, input<28, 28, 1>, conv2d<...>,
/// ..., dense<10>>`; users write `est::sequential<...>` (on the host) and `::on<B>` for another back
/// end. Shapes, parameter counts and MACs are constexpr; an instance holds the parameter and
/// gradient arenas and the workspaces of one training or inference pass. It stays where it is built
/// (layers hold the addresses of each other's workspaces).
template <Backend B, class Input, class... Layers>
class basic_sequential {
    static_assert(is_input_v<Input>, "est::sequential<...>: the first entry must be est::input<dims...>");
    static_assert(sizeof...(Layers) > 0, "est::sequential<...>: list at least one layer after est::input<...>");
    static_assert((Layer<Layers> && ...), "est::sequential<...>: every entry after the input must be an est::Layer");

    using shapes = typename detail::fold_shapes<typename Input::shape_type, std::tuple<>, Layers...>::type;
    using structure = detail::model_structure<B, shapes, std::tuple<Layers...>, std::index_sequence_for<Layers...>>;
    using layer_tuple = typename structure::layers;
    using input_views = typename structure::input_views;
    static constexpr std::size_t depth = sizeof...(Layers);

public:
    using backend_type = B;
    using memory_space = typename B::memory_space;
    using input_shape_type = typename Input::shape_type;
    using output_shape_type = typename structure::output_shape;
    static constexpr bool shapes_fit = structure::fits;
    static constexpr input_shape_type input_shape{};
    static constexpr output_shape_type output_shape{};

    /// The same model on another back end.
    template <Backend Other>
    using on = basic_sequential<Other, Input, Layers...>;

    /// The layers after input<...>; position P (1 to layer_count) is `layer_kind<P>`, as listed.
    static constexpr std::size_t layer_count = depth;
    template <std::size_t P>
    using layer_kind = std::tuple_element_t<P - 1, std::tuple<Layers...>>;
    /// The parameters of the layer at position P.
    template <std::size_t P>
    static constexpr std::size_t layer_parameter_count = std::tuple_element_t<P - 1, layer_tuple>::parameter_count;

    /// Whether layer I (0 is the first after input<...>, as in layer<I>()) is a max pooling of layer
    /// I - 1's ReLU output (conv2d's relu_output): the pooling's backward pass then applies ReLU's
    /// derivative along, which saves the ReLU's pass over the wider unpooled gradient
    /// (max(relu(z)) = relu(max(z)); the same gradients wherever they are finite:
    /// kernels/pooling.hpp, window_gradient). Where the layer's kernels run image by image, the
    /// pooling hands them its gradient so (image_gradients).
    template <std::size_t I>
    static constexpr bool pools_relu_output = [] {
        if constexpr (I == 0 || I >= depth)
            return false;
        else {
            using before = std::tuple_element_t<I - 1, layer_tuple>;
            using pool = std::tuple_element_t<I, layer_tuple>;
            if constexpr (requires { before::relu_output; } && requires { pool::pooling; })
                return before::relu_output && pool::pooling == pooling_kind::max;
            else
                return false;
        }
    }();

    /// Whether a layer below layer I (0 is the first after input<...>) has parameters: only then does
    /// the training pass need the gradient of layer I's input. Layers with none at the bottom
    /// (flatten before the MLP's first dense layer) would be handed a gradient nothing reads: for the
    /// MLP, its first layer's dy K^T, 28% of the FLOPs of a training step.
    template <std::size_t I>
    static constexpr bool parameters_below = []<std::size_t... J>(std::index_sequence<J...>) {
        return (false || ... || (std::tuple_element_t<J, layer_tuple>::parameter_count > 0));
    }
    (std::make_index_sequence<I>{});

    static constexpr std::size_t parameter_count = []<class... L>(std::type_identity<std::tuple<L...>>) {
        return (std::size_t{0} + ... + L::parameter_count);
    }(std::type_identity<layer_tuple>{});
    /// Multiply-accumulates of one example's forward pass.
    static constexpr std::size_t macs = []<class... L>(std::type_identity<std::tuple<L...>>) {
        return (std::size_t{0} + ... + L::macs);
    }(std::type_identity<layer_tuple>{});

    /// Places every layer's parameters in the arenas (weights first, then the other trainable
    /// parameters, then state), zero; initialize() or a restore gives them values.
    basic_sequential() {
        for_each_layer([&]<std::size_t I>(auto& l) {
            for (auto const& spec : l.parameters())
                parameters_.push_back({layer_name<I>() + "/" + std::string(spec.name), spec, 0, I + 1});
        });
        std::size_t offset = 0;
        for (auto kind : {parameter_kind::weights, parameter_kind::trainable, parameter_kind::state}) {
            for (auto& p : parameters_)
                if (p.spec.kind == kind) {
                    p.offset = offset;
                    offset = detail::aligned_offset(offset + p.spec.stored_size());
                }
            if (kind == parameter_kind::weights)
                weights_size_ = offset;
            if (kind == parameter_kind::trainable)
                trainable_size_ = offset;
        }
        values_.resize(offset);
        gradients_.resize(trainable_size_);
        fill<B>(values_.data(), values_.size(), 0.0f);
        fill<B>(gradients_.data(), gradients_.size(), 0.0f);
        bind(layers_);
    }
    basic_sequential(basic_sequential const&) = delete;
    basic_sequential& operator=(basic_sequential const&) = delete;

    /// Layer I (0 is the first layer after input<...>).
    template <std::size_t I>
    auto& layer() {
        return std::get<I>(layers_);
    }

    /// Initialises every parameter from `seed`; each layer draws from its own stream, in the order
    /// of its parameters, the canonical values.
    void initialize(std::uint64_t seed) {
        seed_ = seed;
        std::size_t index = 0;
        std::vector<float> values;
        for_each_layer([&]<std::size_t I>(auto& l) {
            random_engine engine(derive_seed(seed, I));
            for (std::size_t j = 0; j < l.parameters().size(); ++j) {
                auto const& p = parameters_[index++];
                values.resize(p.spec.size);
                initial_values(p.spec.initial, values, engine);
                write(p, values, values_.data());
            }
        });
    }

    /// Sets the step that the next forward pass belongs to (dropout masks follow it).
    void begin_step(std::uint64_t step) { step_ = step; }

    /// Every parameter, weights first, then the other trainable ones, then state.
    std::span<model_parameter const> parameters() const { return parameters_; }
    /// The values arena, in B's memory: every parameter at its offset, in its stored layout.
    float* values() { return values_.data(); }
    float const* values() const { return values_.data(); }
    /// The gradient arena: the trainable parameters' gradients at their offsets.
    float* gradients() { return gradients_.data(); }
    float const* gradients() const { return gradients_.data(); }
    /// Stored values of the trainable parameters: the length of the gradient arena and of an
    /// optimizer's per-parameter state.
    std::size_t trainable_size() const { return trainable_size_; }
    /// Stored values of the weights (the parameters weight decay applies to), from offset 0.
    std::size_t weights_size() const { return weights_size_; }

    /// Copies a parameter out of an arena-shaped buffer (the values, the gradients, an optimizer's
    /// state) into host memory, in the canonical layout.
    void read(model_parameter const& p, float const* arena, std::span<float> out) const {
        check_size(p, out.size());
        float const* stored = arena + p.offset;
        if (!p.spec.layout) {
            B::copy_to_host(out.data(), stored, p.spec.size * sizeof(float));
        } else if constexpr (std::is_same_v<memory_space, host_memory>) {
            p.spec.layout->to_canonical(stored, out.data());
        } else {
            buffer<float, B> canonical(p.spec.size);
            p.spec.layout->to_canonical(stored, canonical.data());
            B::copy_to_host(out.data(), canonical.data(), p.spec.size * sizeof(float));
        }
    }
    /// Copies canonical host values into a parameter's place in an arena-shaped buffer.
    void write(model_parameter const& p, std::span<float const> in, float* arena) const {
        check_size(p, in.size());
        float* stored = arena + p.offset;
        if (!p.spec.layout) {
            B::copy_from_host(stored, in.data(), p.spec.size * sizeof(float));
        } else if constexpr (std::is_same_v<memory_space, host_memory>) {
            p.spec.layout->from_canonical(in.data(), stored);
        } else {
            buffer<float, B> canonical(p.spec.size);
            B::copy_from_host(canonical.data(), in.data(), p.spec.size * sizeof(float));
            p.spec.layout->from_canonical(canonical.data(), stored);
        }
    }
    /// A parameter's canonical values, as a host copy.
    std::vector<float> read(model_parameter const& p) const {
        std::vector<float> out(p.spec.size);
        read(p, values_.data(), out);
        return out;
    }
    /// A trainable parameter's gradient from the last backward pass, as a host copy.
    std::vector<float> read_gradient(model_parameter const& p) const {
        if (!p.spec.trainable())
            throw error("est::sequential: '" + p.name + "' does not train; it has no gradient");
        std::vector<float> out(p.spec.size);
        read(p, gradients_.data(), out);
        return out;
    }
    void write(model_parameter const& p, std::span<float const> in) { write(p, in, values_.data()); }
    /// The parameter named "<layer>/<name>"; an unknown name is an error that lists the known ones.
    model_parameter const& parameter(std::string_view name) const {
        std::string known;
        for (auto const& p : parameters_) {
            if (p.name == name)
                return p;
            known += (known.empty() ? "" : ", ") + p.name;
        }
        throw error("est::sequential: no parameter '" + std::string(name) + "'; the model has " + known);
    }

    /// Calls `f(layer_name, values)` with every layer's output of the last forward pass (the whole
    /// batch, a canonical host copy; nothing before the first pass). A convolution that ran in one
    /// pass with the pooling after it (at inference) has its output computed now.
    template <class F>
    void for_each_activation(F&& f) {
        if (sliced_input_.data) {  // the layers' outputs are spread over the slices: the whole batch again
            auto x = std::exchange(sliced_input_, {});
            last_output_ = forward_from<0>(layers_, inputs_, x, predict);
        }
        [&]<std::size_t... I>(std::index_sequence<I...>) { (compute_skipped_output<I>(), ...); }
        (std::make_index_sequence<depth>{});
        std::as_const(*this).for_each_activation(std::forward<F>(f));
    }
    /// As above, with nothing for a convolution that ran in one pass with the pooling after it, nor
    /// for any layer after an inference pass that ran in slices of the batch.
    /// The conversions and the host copy keep their memory, so that calls after the first allocate
    /// nothing (summaries every save_summary_steps).
    template <class F>
    void for_each_activation(F&& f) const {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (
                [&] {
                    auto view = sliced_input_.data ? decltype(output_of_layer<I>()){} : output_of_layer<I>();
                    activation_copy_.resize(view.size());
                    if (view.data) {
                        auto canonical = std::get<I>(activation_converters_).convert(view, layout::canonical);
                        B::copy_to_host(activation_copy_.data(), canonical.data, view.size() * sizeof(float));
                    }
                    f(std::string_view(layer_name<I>()), std::span<float const>(activation_copy_));
                }(),
                ...);
        }
        (std::make_index_sequence<std::tuple_size_v<layer_tuple>>{});  // none where a layer did not fit
    }

    /// "<position>_<kind>" of layer I, e.g. "1_conv2d".
    template <std::size_t I>
    static std::string layer_name() {
        return std::to_string(I + 1) + "_" + std::string(std::tuple_element_t<I, std::tuple<Layers...>>::kind);
    }

    /// Forward pass over a batch in B's memory; keeps what the backward pass needs. The output is in
    /// the canonical layout.
    template <Mode M>
    backend_view<float const, output_shape_type, B> forward(backend_view<float const, input_shape_type, B> x, M mode) {
        sliced_input_ = {};
        last_pass_trains_ = detail::training<M>;
        if constexpr (!detail::training<M> && requires { B::inference_slices(x.batch); }) {
            std::size_t slices = B::inference_slices(x.batch);
            if (slices > 1 && x.layout == layout::canonical)
                return forward_in_slices(x, mode, slices);
        }
        last_output_ = forward_from<0>(layers_, inputs_, x, mode);
        output_ = output_converter_.convert(last_output_, layout::canonical);
        return output_;
    }

    /// Runs the model on a batch of features: `net(features["image"_f], mode)`, a model_output.
    template <class Features, Mode M>
    auto operator()(Features const& features, M mode) {
        using given = std::remove_cvref_t<Features>;
        if constexpr (Invalid<given> || !shapes_fit) {
            return invalid_value{};  // reported where it was made
        } else if constexpr (!Batch<given>) {
            static_assert(model_called_on_a_non_batch<given>::reported);
            return invalid_value{};
        } else if constexpr (!std::is_same_v<typename given::shape_type, input_shape_type> ||
                             !std::is_same_v<std::remove_const_t<typename given::value_type>, float>) {
            static_assert(input_shape_mismatch<input_shape_type, typename given::shape_type,
                                               typename given::value_type>::reported);
            return invalid_value{};
        } else if constexpr (!std::is_same_v<memory_space_of<given>, memory_space>) {
            static_assert(memory_space_mismatch<memory_space, memory_space_of<given>>::reported);
            return invalid_value{};
        } else {
            return model_output<basic_sequential>{this, forward(as_view(features), mode)};
        }
    }

    /// The gradient of the loss with respect to the model's output (canonical layout), written by a
    /// loss function.
    backend_view<float, output_shape_type, B> output_gradient(std::size_t batch) {
        output_gradient_.resize(batch * output_shape_type::size);
        return {output_gradient_.data(), batch};
    }

    /// Back-propagates output_gradient() through every layer, filling the gradient arena; with
    /// `input_gradient`, also the gradient with respect to the model's input (input_gradient()).
    void backward(bool input_gradient = false) {
        // The layers keep what their backward passes read (inputs, masks, oneDNN's training
        // primitives and their buffers) only in a training pass.
        if (!last_pass_trains_)
            throw error(
                "est::sequential::backward: the last forward pass was not one in est::train mode (or there "
                "was none); backward follows the training pass whose gradient it computes");
        backend_view<float, output_shape_type, B> dy{output_gradient_.data(), output_.batch};
        backward_from<depth - 1>(gradient_converter_.convert(dy, last_output_.layout), input_gradient);
    }

    /// d(loss)/d(input) of the last backward(true), in the input's layout; empty after a
    /// backward(false) (the backward pass then stops at the lowest layer with parameters).
    backend_view<float const, input_shape_type, B> input_gradient() const { return input_gradient_; }

    /// Scratch space of `n` floats in B's memory, for losses and metrics (per-example terms).
    float* scratch(std::size_t n) {
        scratch_.resize(n);
        return scratch_.data();
    }

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
        (std::make_index_sequence<std::tuple_size_v<layer_tuple>>{});
        out << "total parameters: " << parameter_count << ", MACs per example: " << macs << '\n';
        return out.str();
    }

    /// The model's layers (position, kind, output shape, parameters, MACs) and totals: what a run
    /// records so that it can be compared with another.
    static model_description description() {
        auto extents = [](auto shape) {
            auto e = decltype(shape)::extents;
            return std::vector<std::size_t>(e.begin(), e.end());
        };
        model_description model{{}, parameter_count, macs};
        model.layers.push_back({0, "input", extents(input_shape_type{}), 0, 0});
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (model.layers.push_back({I + 1, std::string(std::tuple_element_t<I, std::tuple<Layers...>>::kind),
                                     extents(std::tuple_element_t<I + 1, shapes>{}),
                                     std::tuple_element_t<I, layer_tuple>::parameter_count,
                                     std::tuple_element_t<I, layer_tuple>::macs}),
             ...);
        }
        (std::make_index_sequence<std::tuple_size_v<layer_tuple>>{});
        return model;
    }

private:
    /// Calls `f.template operator()<I>(layer I)` for every layer of `layers` (layers_, or a slice's
    /// copy).
    template <class F>
    static void for_each_layer(layer_tuple& layers, F&& f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) { (f.template operator()<I>(std::get<I>(layers)), ...); }
        (std::make_index_sequence<std::tuple_size_v<layer_tuple>>{});
    }
    template <class F>
    void for_each_layer(F&& f) {
        for_each_layer(layers_, std::forward<F>(f));
    }

    static void check_size(model_parameter const& p, std::size_t size) {
        if (size != p.spec.size)
            throw error("est::sequential: parameter '" + p.name + "' has " + std::to_string(p.spec.size) +
                        " values, not " + std::to_string(size));
    }

    template <std::size_t I>
    auto output_of_layer() const {
        if constexpr (I + 1 < depth)
            return std::get<I + 1>(inputs_);
        else
            return last_output_;
    }

    /// Whether layer I can run in one pass with layer I + 1 at inference: a layer whose back end
    /// can run it with a max pooling after it (conv2d's forward_max_pooled), then a pooling.
    template <std::size_t I>
    static constexpr bool fuses_with_next = [] {
        if constexpr (I + 1 >= depth)
            return false;
        else {
            using first = std::tuple_element_t<I, layer_tuple>;
            using second = std::tuple_element_t<I + 1, layer_tuple>;
            if constexpr (requires { first::fuses_max_pooling; } && requires { second::pooling; })
                return first::fuses_max_pooling && second::pooling == pooling_kind::max;
            else
                return false;
        }
    }();

    /// The forward pass from layer I on, through `layers` (layers_, or a slice's copy), keeping each
    /// layer's input in `inputs`.
    template <std::size_t I, class In, Mode M>
    auto forward_from(layer_tuple& layers, input_views& inputs, backend_view<float const, In, B> x, M mode) {
        std::get<I>(inputs) = x;
        if constexpr (fuses_with_next<I> && !detail::training<M>) {
            using second = std::tuple_element_t<I + 1, layer_tuple>;
            auto pooled = std::get<I>(layers).template forward_max_pooled<second>(x);
            if (pooled.data) {
                std::get<I + 1>(inputs) = {};  // not computed; for_each_activation computes it
                if constexpr (I + 2 < depth)
                    return forward_from<I + 2>(layers, inputs, pooled, mode);
                else
                    return pooled;
            }
        }
        step_context context{derive_seed(seed_, I), step_};
        auto y = std::get<I>(layers).forward(x, mode, context);
        if constexpr (I + 1 < depth)
            return forward_from<I + 1>(layers, inputs, y, mode);
        else
            return y;
    }

    /// An inference pass in `slices` slices of the batch, one a thread (B::for_each_slice), each
    /// through its own copy of the layers (the first through layers_), all bound to the same
    /// parameters; the slices' outputs gathered in the canonical layout. Every layer is a function
    /// of each example alone at inference, so the result is the whole batch's.
    template <Mode M>
    backend_view<float const, output_shape_type, B> forward_in_slices(backend_view<float const, input_shape_type, B> x,
                                                                     M mode, std::size_t slices) {
        while (slice_copies_.size() + 1 < slices) {
            slice_copies_.push_back(std::make_unique<slice_copy>());
            prepare(slice_copies_.back()->layers);
        }
        sliced_output_.resize(x.batch * output_shape_type::size);
        B::for_each_slice(slices, [&](std::size_t s) {
            std::size_t begin = x.batch * s / slices, end = x.batch * (s + 1) / slices;
            backend_view<float const, input_shape_type, B> part{x.data + begin * input_shape_type::size, end - begin,
                                                                x.layout};
            auto& layers = s == 0 ? layers_ : slice_copies_[s - 1]->layers;
            auto& inputs = s == 0 ? inputs_ : slice_copies_[s - 1]->inputs;
            auto& converter = s == 0 ? output_converter_ : slice_copies_[s - 1]->output_converter;
            auto y = converter.convert(forward_from<0>(layers, inputs, part, mode), layout::canonical);
            B::copy(sliced_output_.data() + begin * output_shape_type::size, y.data, y.size() * sizeof(float));
        });
        sliced_input_ = x;
        last_output_ = output_ = {sliced_output_.data(), x.batch, layout::canonical};
        return output_;
    }

    /// Gives `layers` the places of their parameters in the arenas.
    void bind(layer_tuple& layers) {
        std::size_t index = 0;
        for_each_layer(layers, [&]<std::size_t I>(auto& l) {
            using layer_type = std::remove_cvref_t<decltype(l)>;
            std::array<parameter_slot, std::tuple_size_v<decltype(std::declval<layer_type const&>().parameters())>>
                slots;
            for (auto& slot : slots) {
                auto const& p = parameters_[index++];
                bool has_gradient = p.spec.trainable() && gradients_.size() != 0;  // none where frozen
                slot = {values_.data() + p.offset, has_gradient ? gradients_.data() + p.offset : nullptr};
            }
            l.bind(slots);
        });
    }

    template <class Net>
    friend class frozen;

    /// Promises the layers that the values arena keeps its values from now on (est::frozen owns
    /// this model, lets nothing write them and runs only inference): a layer with a freeze() may
    /// then keep its parameters in a layout its back end reads faster. Layers made later (a
    /// slice's) follow. The gradient arena goes: an inference pass reads none.
    void freeze() {
        frozen_ = true;
        gradients_ = buffer<float, B>();
        prepare(layers_);
        for (auto& copy : slice_copies_) prepare(copy->layers);
    }
    /// Binds `layers` (layers_, or a slice's copy) and, in a frozen model, freezes them.
    void prepare(layer_tuple& layers) {
        bind(layers);
        if (frozen_)
            for_each_layer(layers, []<std::size_t I>(auto& l) {
                if constexpr (requires { l.freeze(); })
                    l.freeze();
            });
    }

    /// Runs layer I alone on its last input where the last pass ran it in one pass with the next
    /// layer (it then has an input and no output).
    template <std::size_t I>
    void compute_skipped_output() {
        if constexpr (fuses_with_next<I>) {
            auto x = std::get<I>(inputs_);
            if (x.data && !std::get<I + 1>(inputs_).data) {
                step_context context{derive_seed(seed_, I), step_};
                std::get<I + 1>(inputs_) = std::get<I>(layers_).forward(x, predict, context);
            }
        }
    }

    template <std::size_t I, class Out>
    void backward_from(backend_view<float, Out, B> dy, bool input_gradient) {
        if constexpr (pools_relu_output<I>) {
            auto& layer = std::get<I - 1>(layers_);
            using layer_type = std::remove_cvref_t<decltype(layer)>;
            bool const layer_input_gradient = parameters_below<I - 1> || input_gradient;
            // Where the layer's kernels run image by image, the pooling's gradient goes to them so,
            // never written for the whole batch (image_gradients).
            if constexpr (requires { requires layer_type::backward_by_image; }) {
                auto& pool = std::get<I>(layers_);
                if (layer.takes_gradients_by_image())
                    if (auto by_image = pool.gradients_by_image_through_relu(std::get<I>(inputs_), dy)) {
                        auto dx =
                            layer.backward_before_activation(std::get<I - 1>(inputs_), by_image, layer_input_gradient);
                        below<I - 1>(dx, input_gradient);
                        return;
                    }
            }
            auto dz = std::get<I>(layers_).backward_through_relu(std::get<I>(inputs_), dy);
            below<I - 1>(layer.backward_before_activation(std::get<I - 1>(inputs_), dz, layer_input_gradient),
                         input_gradient);
        } else {
            below<I>(std::get<I>(layers_).backward(std::get<I>(inputs_), dy, parameters_below<I> || input_gradient),
                     input_gradient);
        }
    }
    /// Goes on below layer I with dx, the gradient of its input: down to the lowest layer with
    /// parameters, or to the model's input where `input_gradient` asks for it.
    template <std::size_t I, class In>
    void below(backend_view<float, In, B> dx, bool input_gradient) {
        if constexpr (I > 0) {
            if (parameters_below<I> || input_gradient)
                backward_from<I - 1>(dx, input_gradient);
            else
                input_gradient_ = {};
        } else {
            input_gradient_ = dx;
        }
    }

    /// The layers' workspaces of one more slice of an inference batch (forward_in_slices).
    struct slice_copy {
        layer_tuple layers;
        input_views inputs;
        typename B::template layout_converter<output_shape_type> output_converter;
    };

    layer_tuple layers_;
    std::vector<std::unique_ptr<slice_copy>> slice_copies_;
    std::vector<model_parameter> parameters_;
    std::size_t weights_size_ = 0, trainable_size_ = 0;
    buffer<float, B> values_, gradients_;
    input_views inputs_;
    backend_view<float const, input_shape_type, B> sliced_input_;  // the last pass's input where it ran in slices
    backend_view<float const, output_shape_type, B> last_output_, output_;
    backend_view<float const, input_shape_type, B> input_gradient_;
    typename B::template layout_converter<output_shape_type> output_converter_, gradient_converter_;
    mutable typename structure::output_converters activation_converters_;  // for_each_activation's
    mutable std::vector<float> activation_copy_;
    buffer<float, B> output_gradient_, scratch_, sliced_output_;
    std::uint64_t seed_ = 0;
    std::uint64_t step_ = 0;
    bool last_pass_trains_ = false;  // whether the last forward pass ran in est::train mode
    bool frozen_ = false;            // freeze(): the values arena no longer changes
};

/// A model on the host back end: `sequential<input<28, 28, 1>, conv2d<...>, ..., dense<10>>`.
template <class Input, class... Layers>
using sequential = basic_sequential<host, Input, Layers...>;

/// What a model returns: its output for the batch and the model it came from, so that a loss can
/// hand its gradient back and a train_op can back-propagate it.
template <class Net>
struct model_output {
    using value_type = float const;
    using shape_type = typename Net::output_shape_type;
    using memory_space = typename Net::memory_space;

    Net* net = nullptr;
    backend_view<float const, shape_type, typename Net::backend_type> value;

    std::size_t batch_size() const { return value.batch; }
};

template <class T>
inline constexpr bool is_model_output_v = false;
template <class Net>
inline constexpr bool is_model_output_v<model_output<Net>> = true;

/// Model: what an estimator trains, evaluates and predicts with (est::sequential<...> is one).
///
/// Minimal complete definition: a default-constructible type with
///   using backend_type; using memory_space;                  where it computes, and its memory
///   using input_shape_type; using output_shape_type;         one example's input and output
///   static constexpr std::size_t parameter_count;
///   static model_description description();                  recorded in run.json and checkpoints
///   void initialize(std::uint64_t seed);                     parameters from a seed
///   void begin_step(std::uint64_t step);                     the step the next forward pass is of
///   model_output<M> operator()(batch of input_shape_type, mode);   the forward pass
///   void backward();                                         from the output gradient a loss wrote
///   std::span<model_parameter const> parameters() const;     with read(p) / write(p, values)
///   float* values(); float* gradients(); std::size_t trainable_size() const;
///   std::size_t weights_size() const;                        the arenas an optimizer updates
template <class M>
concept Model = std::default_initializable<M> && requires(M& m, M const& c, std::uint64_t n, model_parameter const& p) {
    typename M::backend_type;
    typename M::memory_space;
    typename M::input_shape_type;
    typename M::output_shape_type;
    { M::parameter_count } -> std::convertible_to<std::size_t>;
    { M::description() } -> std::convertible_to<model_description>;
    m.initialize(n);
    m.begin_step(n);
    m.backward();
    { c.parameters() } -> std::convertible_to<std::span<model_parameter const>>;
    { c.read(p) } -> std::same_as<std::vector<float>>;
    { m.values() } -> std::same_as<float*>;
    { m.gradients() } -> std::same_as<float*>;
    { c.trainable_size() } -> std::convertible_to<std::size_t>;
    { c.weights_size() } -> std::convertible_to<std::size_t>;
    {
        m(std::declval<batch_view<float const, typename M::input_shape_type, typename M::memory_space>>(), est::train)
        } -> std::same_as<model_output<M>>;
};

/// The mistake of giving an estimator something other than a model.
template <class Given>
struct not_a_model {
    static_assert(detail::always_false<Given>,
                  "est::make_estimator<Model, Input>: Model is an est::Model, e.g. est::sequential<est::input<...>, "
                  "layers...>; not_a_model<given> names what was given");
    static constexpr bool reported = true;
};

/// The values of a batch or a model output, as a read-only view.
template <class X>
auto values_of(X const& x) {
    if constexpr (is_model_output_v<X>)
        return x.value;
    else
        return as_view(x);
}

}  // namespace est
