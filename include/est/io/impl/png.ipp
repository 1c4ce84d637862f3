// Definitions of est/io/png.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/io/png.hpp>

#include <png.h>

#include <vector>

namespace est::io {

EST_DECL std::string encode_png(std::span<std::uint8_t const> pixels, std::size_t height, std::size_t width,
                                std::size_t channels) {
    if (channels != 1 && channels != 3 && channels != 4)
        throw error("encode_png: " + std::to_string(channels) + " channels; PNG takes 1, 3 or 4");
    if (pixels.size() != height * width * channels)
        throw error("encode_png: " + std::to_string(pixels.size()) + " samples for a " + std::to_string(height) + "x" +
                    std::to_string(width) + "x" + std::to_string(channels) + " image");
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

namespace detail {
EST_DECL void check_png_chunk_lengths(std::string_view bytes) {
    auto const* p = reinterpret_cast<unsigned char const*>(bytes.data());
    for (std::size_t at = 8; at + 8 <= bytes.size();) {  // after the signature: length, type, data, CRC
        std::uint64_t length = (std::uint64_t(p[at]) << 24) | (std::uint64_t(p[at + 1]) << 16) |
                               (std::uint64_t(p[at + 2]) << 8) | std::uint64_t(p[at + 3]);
        if (length + 12 > bytes.size() - at) {
            std::string type(bytes.substr(at + 4, 4));
            for (char& c : type)
                if (c < 0x20 || c > 0x7e)
                    c = '?';
            throw error("decode_png: corrupt PNG: chunk '" + type + "' at byte " + std::to_string(at) + " declares " +
                        std::to_string(length) + " bytes of data, past the end of the " + std::to_string(bytes.size()) +
                        " bytes");
        }
        at += std::size_t(length) + 12;
    }
}
}  // namespace detail

EST_DECL image<std::uint8_t> decode_png(std::string_view bytes, std::size_t channels) {
    detail::check_png_chunk_lengths(bytes);
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
        throw error(std::string("decode_png: not a readable PNG: ") + png.message);
    // Checked before allocating: deflate inflates at most 1032-fold and a pixel takes at least one
    // bit, so a PNG's bytes bound its pixels.
    std::uint64_t pixels = std::uint64_t(png.width) * png.height;
    if (pixels > max_image_pixels || pixels > 8 * 1032 * std::uint64_t(bytes.size())) {
        png_image_free(&png);
        throw error("decode_png: corrupt PNG: it declares a " + std::to_string(png.width) + "x" +
                    std::to_string(png.height) + " image, more than " +
                    (pixels > max_image_pixels ? "the " + std::to_string(max_image_pixels) + " pixels est decodes"
                                               : "its " + std::to_string(bytes.size()) + " bytes can hold"));
    }
    std::size_t stored = PNG_IMAGE_SAMPLE_CHANNELS(png.format);
    std::size_t wanted = channels ? channels : stored;
    png.format = wanted == 1   ? PNG_FORMAT_GRAY
                 : wanted == 2 ? PNG_FORMAT_GA
                 : wanted == 3 ? PNG_FORMAT_RGB
                               : PNG_FORMAT_RGBA;
    image<std::uint8_t> out{png.height, png.width, wanted, std::vector<std::uint8_t>(PNG_IMAGE_SIZE(png))};
    if (!png_image_finish_read(&png, nullptr, out.pixels.data(), 0, nullptr)) {
        std::string message = png.message;
        png_image_free(&png);
        throw error("decode_png: corrupt PNG: " + message);
    }
    return out;
}

}  // namespace est::io
