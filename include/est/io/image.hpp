// A decoded image: what the PNG and JPEG decoders (io/png.hpp, io/jpeg.hpp, io/decode_image.hpp)
// produce and what the input pipeline's tf.image-style transforms take.
#pragma once

#include <cstddef>
#include <vector>

namespace est::io {

/// The most pixels a decoder produces (16384 x 16384): a few bytes of PNG or JPEG can declare an
/// image of gigabytes, and a decoder refuses it before allocating anything.
inline constexpr std::size_t max_image_pixels = std::size_t(1) << 28;

/// A decoded image: height x width x channels samples, row-major (HWC).
template <class T>
struct image {
    std::size_t height = 0, width = 0, channels = 0;
    std::vector<T> pixels;

    T& at(std::size_t y, std::size_t x, std::size_t c) { return pixels[(y * width + x) * channels + c]; }
    T const& at(std::size_t y, std::size_t x, std::size_t c) const { return pixels[(y * width + x) * channels + c]; }
};

}  // namespace est::io
