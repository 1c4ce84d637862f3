// Compile-time shapes of one example (`shape<28, 28, 1>`) and the dynamic batch dimension in
// front of them (`batch_shape<S>`): both answer rank, size and extents the same way.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>

namespace est {

/// The static shape of one example; the batch dimension is not part of it.
template <std::size_t... Dims>
struct shape {
    static constexpr std::size_t rank = sizeof...(Dims);
    static constexpr std::size_t size = (std::size_t{1} * ... * Dims);
    static constexpr std::array<std::size_t, rank> extents{Dims...};

    template <std::size_t... Other>
    constexpr bool operator==(shape<Other...>) const {
        return std::is_same_v<shape, shape<Other...>>;
    }

    /// "(28, 28, 1)": how summaries and error messages print a shape.
    static std::string to_string() {
        std::string text = "(";
        std::size_t i = 0;
        ((text += (i++ ? ", " : "") + std::to_string(Dims)), ...);
        return text + (rank == 1 ? ",)" : ")");
    }
};

template <class T>
inline constexpr bool is_shape_v = false;
template <std::size_t... Dims>
inline constexpr bool is_shape_v<shape<Dims...>> = true;

/// A type that is an `est::shape<...>`.
template <class T>
concept Shape = is_shape_v<T>;

/// A static example shape behind a dynamic batch size.
template <Shape S>
struct batch_shape {
    std::size_t batch = 0;

    static constexpr std::size_t rank = S::rank + 1;
    constexpr std::size_t size() const { return batch * S::size; }
    constexpr std::array<std::size_t, rank> extents() const {
        std::array<std::size_t, rank> result{batch};
        for (std::size_t i = 0; i < S::rank; ++i) result[i + 1] = S::extents[i];
        return result;
    }
};

/// Shape of the layer position that reports a mismatch: `est::position<3>` is the fourth layer.
template <std::size_t I>
struct position {
    static constexpr std::size_t value = I;
};

/// What a layer asks of its input, named in `layer_shape_mismatch` errors.
template <std::size_t Rank>
struct requires_rank {};
template <std::size_t Height, std::size_t Width>
struct requires_spatial_at_least {};

/// Stands for the input of layers after the first one that did not accept its input, so that the
/// compiler reports one mismatch and not a cascade.
struct invalid_shape {
    static constexpr std::size_t rank = 0;
    static constexpr std::size_t size = 0;
};

}  // namespace est
