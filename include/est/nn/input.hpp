// The first entry of every sequential model: the static shape of one input example.
#pragma once

#include <est/core/shape.hpp>

#include <cstddef>

namespace est {

/// `input<28, 28, 1>`: the model takes examples of this shape (the batch dimension is implied).
template <std::size_t... Dims>
struct input {
    static_assert(sizeof...(Dims) > 0, "est::input needs at least one dimension");
    static_assert(((Dims > 0) && ...), "est::input dimensions must be positive");
    using shape_type = shape<Dims...>;
};

template <class T>
inline constexpr bool is_input_v = false;
template <std::size_t... Dims>
inline constexpr bool is_input_v<input<Dims...>> = true;

}  // namespace est
