// Padding of convolution and pooling windows, with TensorFlow's arithmetic: `same` keeps
// ceil(n / stride) outputs and pads the end more than the start; `valid` uses whole windows only.
#pragma once

#include <est/core/primitive.hpp>
#include <est/core/shape.hpp>

#include <cstddef>
#include <type_traits>

namespace est {

/// Pad so that the output has ceil(extent / stride) positions.
struct same {};
/// No padding: only windows that fit inside the input.
struct valid {};

template <class P>
concept Padding = std::is_same_v<P, same> || std::is_same_v<P, valid>;

namespace detail {
/// One spatial dimension of a sliding window.
template <Padding P, std::size_t Extent, std::size_t Window, std::size_t Stride>
struct window_1d {
    static constexpr bool fits = std::is_same_v<P, same> || Extent >= Window;
    static constexpr std::size_t output =
        std::is_same_v<P, same> ? (Extent + Stride - 1) / Stride : (fits ? (Extent - Window) / Stride + 1 : 0);
    static constexpr std::size_t pad_total = std::is_same_v<P, same> && (output - 1) * Stride + Window > Extent
                                                 ? (output - 1) * Stride + Window - Extent
                                                 : 0;
    static constexpr std::size_t pad_before = pad_total / 2;
};

/// The window_geometry a back end's primitive gets for a window of `Window` over input `In`.
template <Padding P, Shape In, std::size_t OutChannels, std::size_t Window, std::size_t Stride>
using window_geometry_of = window_geometry<
    In::extents[0], In::extents[1], In::extents[2], OutChannels, Window, Stride,
    window_1d<P, In::extents[0], Window, Stride>::pad_before, window_1d<P, In::extents[1], Window, Stride>::pad_before,
    window_1d<P, In::extents[0], Window, Stride>::output, window_1d<P, In::extents[1], Window, Stride>::output>;
}  // namespace detail

}  // namespace est
