// PNG encoding of 8-bit images with libpng, into memory (TensorBoard's image summaries hold PNG
// bytes).
#pragma once

#include <est/core/error.hpp>

#include <png.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace est::io {

/// Encodes a height x width image of `channels` (1 gray, 3 RGB, 4 RGBA) 8-bit samples, row-major.
inline std::string encode_png(std::span<std::uint8_t const> pixels, std::size_t height, std::size_t width,
                              std::size_t channels) {
    if (channels != 1 && channels != 3 && channels != 4)
        throw error("encode_png: " + std::to_string(channels) + " channels; PNG takes 1, 3 or 4");
    if (pixels.size() != height * width * channels)
        throw error("encode_png: " + std::to_string(pixels.size()) + " samples for a " + std::to_string(height) +
                    "x" + std::to_string(width) + "x" + std::to_string(channels) + " image");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!info) {
        png_destroy_write_struct(&png, nullptr);
        throw error("encode_png: libpng cannot allocate its state");
    }
    std::string out;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        throw error("encode_png: libpng failed");
    }
    png_set_write_fn(
        png, &out,
        [](png_structp p, png_bytep data, png_size_t size) {
            static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char const*>(data), size);
        },
        nullptr);
    int color = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
    png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8, color, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (std::size_t row = 0; row < height; ++row)
        png_write_row(png, const_cast<png_bytep>(pixels.data() + row * width * channels));
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return out;
}

}  // namespace est::io
