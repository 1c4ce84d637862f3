// What every layer shares: the Layer concept, the per-step context, references to parameters for
// optimizers and checkpoints, and the Glorot initialiser TensorFlow uses by default.
#pragma once

#include <est/core/random.hpp>
#include <est/core/shape.hpp>

#include <cmath>
#include <cstddef>
#include <concepts>
#include <cstdint>
#include <span>
#include <string_view>

namespace est {

/// Layer: a type in a `sequential<...>` list.
///   static constexpr std::string_view kind;          the name summaries print ("dense")
///   template <Shape In> static constexpr bool accepts; whether it takes input shape In
///   template <Shape In> using requirement;            what it asks of In, named in errors
///   template <Shape In> using output_shape;           the shape it produces (only where accepted)
///   template <Shape In> using layer;                  the run-time layer bound to In, providing
///     parameter_count, macs (per example), initialize(engine), forward(x, mode, context),
///     backward(x, dy, need_input_gradient) and for_each_parameter(f).
/// Parameter-free layers may leave initialize and for_each_parameter empty.
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

/// A parameter as optimizers and checkpoints see it.
struct parameter_ref {
    std::string_view name;  ///< "kernel", "bias", "gamma", "moving_mean", ...
    std::span<float> value;
    std::span<float> gradient;  ///< empty for non-trainable state
    bool trainable = true;
    bool weight_decay = false;  ///< L2 weight decay applies (kernels, not biases or norms)
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
    void initialize(random_engine&) {}
    template <class F>
    void for_each_parameter(F&&) {}
};
}  // namespace detail

/// Glorot (Xavier) uniform, TensorFlow's default kernel initialiser.
inline void glorot_uniform(std::span<float> values, std::size_t fan_in, std::size_t fan_out, random_engine& engine) {
    float limit = std::sqrt(6.0f / static_cast<float>(fan_in + fan_out));
    for (float& v : values) v = engine.uniform(-limit, limit);
}

}  // namespace est
