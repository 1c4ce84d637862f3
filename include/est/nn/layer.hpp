// What every layer shares: the Layer concept, the per-step context, and the bases of layers that
// keep their input's shape or hold no parameters.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/mode.hpp>
#include <est/core/parameter.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>

#include <array>
#include <tuple>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace est {

/// Layer: a type in a `sequential<...>` list.
///
/// Minimal complete definition:
///   static constexpr std::string_view kind;           the name summaries print ("dense")
///   template <Shape In> static constexpr bool accepts; whether it takes input shape In
///   template <Shape In> using requirement;            what it asks of In, named in errors
///   template <Shape In> using output_shape;           the shape it produces (only where accepted)
///   template <Shape In, Backend B> class layer;       the run-time layer bound to In on back end B,
///     with input_shape, output_shape, parameter_count and macs (per example) as constants, and
///       parameters() -> std::array<parameter_spec, N>  the parameters it holds (N may be 0), which
///                                                      the model places in its arenas
///       bind(std::array<parameter_slot, N> const&)    where the arenas hold them
///       forward(x, mode, step_context) -> y           views in B's memory; y may be in another layout
///       backward(x, dy, need_input_gradient) -> dx    after forward of the same batch in TRAIN; dy in
///                                                      y's layout (the layer may overwrite it), dx in
///                                                      x's layout, parameter gradients into the arena
/// A model runs backward passes down to its lowest layer with parameters only (to its input where
/// backward(true) asks for the input gradient), and asks a layer for dx only where a layer below
/// reads it (sequential::parameters_below): a backward pass has no other effect to rely on.
/// Layer<L> checks the type-level part for every shape (through shape<1>, which every layer
/// answers, accepted or not); LayerFor<L, In, B> checks the run-time part for an input shape it
/// accepts. Layers without parameters derive the run-time part from detail::parameter_free.
template <class L>
concept Layer = requires {
    { L::kind } -> std::convertible_to<std::string_view>;
    { L::template accepts<shape<1>> } -> std::convertible_to<bool>;
    typename L::template requirement<shape<1>>;
};

struct step_context;

/// A Layer that accepts input shape In, whose run-time layer on back end B has every member above.
template <class L, class In, class B>
concept LayerFor = Layer<L> && L::template accepts<In> && requires {
    typename L::template output_shape<In>;
    typename L::template layer<In, B>::input_shape;
    typename L::template layer<In, B>::output_shape;
    { L::template layer<In, B>::parameter_count } -> std::convertible_to<std::size_t>;
    { L::template layer<In, B>::macs } -> std::convertible_to<std::size_t>;
} && requires(typename L::template layer<In, B>& l, backend_view<float const, In, B> x,
              backend_view<float, typename L::template output_shape<In>, B> dy, step_context const& context) {
    l.bind(std::declval<std::array<parameter_slot, std::tuple_size_v<decltype(l.parameters())>> const&>());
    l.forward(x, mode<mode_key::train>{}, context);
    l.backward(x, dy, true);
};

/// What a forward pass needs beyond its input: the seed and step that make dropout reproducible.
struct step_context {
    std::uint64_t seed = 0;
    std::uint64_t step = 0;
};

namespace detail {
/// The type-level part of layers that keep their input's shape and take any rank >= 1.
struct shape_preserving {
    template <Shape In>
    static constexpr bool accepts = In::rank >= 1;
    template <Shape In>
    using requirement = requires_rank<1>;
    template <Shape In>
    using output_shape = In;
};

/// The run-time part of layers without parameters.
struct parameter_free {
    static constexpr std::size_t parameter_count = 0;
    static std::array<parameter_spec, 0> parameters() { return {}; }
    void bind(std::array<parameter_slot, 0> const&) {}
};

/// Whether a forward pass in mode M trains (keeps what backward needs, drops out, uses batch statistics).
template <Mode M>
inline constexpr bool training = std::remove_cvref_t<M>::key == mode_key::train;
}  // namespace detail

}  // namespace est
