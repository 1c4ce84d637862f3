// What every layer shares: the Layer concept, the per-step context, and the bases of layers that
// keep their input's shape or hold no parameters.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/mode.hpp>
#include <est/core/parameter.hpp>
#include <est/core/shape.hpp>

#include <array>
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
/// Layers without parameters derive the run-time part from detail::parameter_free.
template <class L>
concept Layer = requires {
    { L::kind } -> std::convertible_to<std::string_view>;
    { L::template accepts<shape<1>> } -> std::convertible_to<bool>;
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
