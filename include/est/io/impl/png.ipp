// Definitions of est/io/png.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/io/png.hpp>

#include <png.h>
#include <libdeflate.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

namespace est::io {

EST_DECL png_encoder::png_encoder() : compressor_(libdeflate_alloc_compressor(6)) {
    if (!compressor_)
        throw error("encode_png: libdeflate cannot allocate its compressor");
}

EST_DECL void png_encoder::free_compressor::operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }

EST_DECL std::string_view png_encoder::encode(std::span<std::uint8_t const> pixels, std::size_t height,
                                              std::size_t width, std::size_t channels) {
    if (channels != 1 && channels != 3 && channels != 4)
        throw error("encode_png: " + std::to_string(channels) + " channels; PNG takes 1, 3 or 4");
    if (pixels.size() != height * width * channels)
        throw error("encode_png: " + std::to_string(pixels.size()) + " samples for a " + std::to_string(height) + "x" +
                    std::to_string(width) + "x" + std::to_string(channels) + " image");
    if (height == 0 || width == 0 || height > 0x7fffffff || width > 0x7fffffff)
        throw error("encode_png: a " + std::to_string(height) + "x" + std::to_string(width) +
                    " image; PNG holds 1 to 2^31 - 1 rows and columns");
    std::size_t stride = width * channels;
    rows_.resize(height * (stride + 1));
    for (std::size_t row = 0; row < height; ++row) {
        rows_[row * (stride + 1)] = 0;
        std::memcpy(rows_.data() + row * (stride + 1) + 1, pixels.data() + row * stride, stride);
    }
    std::size_t bound = libdeflate_zlib_compress_bound(compressor_.get(), rows_.size());
    png_.resize(8 + 25 + 12 + bound + 12);
    auto* out = reinterpret_cast<unsigned char*>(png_.data());
    auto store32 = [](unsigned char* p, std::uint32_t v) {  // big-endian, as PNG's integers are
        for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (24 - 8 * i));
    };
    static constexpr unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    std::memcpy(out, signature, 8);
    std::size_t at = 8;
    // A chunk whose `length` bytes of data are already at out + at + 8: its length and type before
    // them, its CRC (over type and data) after.
    auto chunk = [&](char const (&type)[5], std::size_t length) {
        store32(out + at, std::uint32_t(length));
        std::memcpy(out + at + 4, type, 4);
        store32(out + at + 8 + length, std::uint32_t(libdeflate_crc32(0, out + at + 4, length + 4)));
        at += 12 + length;
    };
    unsigned char* header = out + at + 8;
    store32(header, std::uint32_t(width));
    store32(header + 4, std::uint32_t(height));
    unsigned char color = channels == 1 ? 0 : channels == 3 ? 2 : 6;  // gray, RGB, RGBA
    unsigned char const format[5] = {8, color, 0, 0, 0};  // 8 bits a sample, deflate, filter method 0, no interlace
    std::memcpy(header + 8, format, 5);
    chunk("IHDR", 13);
    std::size_t compressed =
        libdeflate_zlib_compress(compressor_.get(), rows_.data(), rows_.size(), out + at + 8, bound);
    if (compressed == 0)
        throw error("encode_png: libdeflate could not compress the image data");
    chunk("IDAT", compressed);
    chunk("IEND", 0);
    png_.resize(at);
    return png_;
}

EST_DECL std::string encode_png(std::span<std::uint8_t const> pixels, std::size_t height, std::size_t width,
                                std::size_t channels) {
    thread_local png_encoder encoder;
    return std::string(encoder.encode(pixels, height, width, channels));
}

namespace detail {
namespace png_format {
inline std::uint32_t big_endian(unsigned char const* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}
inline bool is_type(unsigned char const* type, char const (&name)[5]) { return std::memcmp(type, name, 4) == 0; }
/// The CRC a chunk ends with: over its type and data.
inline bool crc_matches(unsigned char const* type, std::uint32_t length) {
    return libdeflate_crc32(0, type, std::size_t(length) + 4) == big_endian(type + 4 + length);
}
}  // namespace png_format

EST_DECL void check_png_chunk_lengths(std::string_view bytes) {
    auto const* p = reinterpret_cast<unsigned char const*>(bytes.data());
    for (std::size_t at = 8; at + 8 <= bytes.size();) {  // after the signature: length, type, data, CRC
        std::uint64_t length = png_format::big_endian(p + at);
        if (length + 12 > bytes.size() - at) {
            std::string type(bytes.substr(at + 4, 4));
            for (char& c : type)
                if (c < 0x20 || c > 0x7e)
                    c = '?';
            throw error("decode_png: corrupt PNG: chunk '" + type + "' at byte " + std::to_string(at) + " declares " +
                        std::to_string(length) + " bytes of data, past the end of the " + std::to_string(bytes.size()) +
                        " bytes");
        }
        if (png_format::is_type(p + at + 4, "IEND"))
            break;  // libpng reads nothing after it
        at += std::size_t(length) + 12;
    }
}
}  // namespace detail

EST_DECL image<std::uint8_t> decode_png(std::string_view bytes, std::size_t channels) {
    if (channels > 4)
        throw error("decode_png: channels must be 0 (as stored), 1, 2, 3 or 4, not " + std::to_string(channels));
    if (auto simple = detail::decode_simple_png(bytes, channels))
        return *std::move(simple);
    return detail::decode_png_with_libpng(bytes, channels);
}

namespace detail {

namespace png_format {
/// Ancillary chunks that do not change how samples decode.
inline bool is_harmless(unsigned char const* type) {
    return is_type(type, "tEXt") || is_type(type, "zTXt") || is_type(type, "iTXt") || is_type(type, "tIME") ||
           is_type(type, "pHYs");
}

/// A thread keeps its buffer of filtered rows between images up to this size (a 2048 x 2048 RGBA
/// image), not the largest image it ever decoded.
inline constexpr std::size_t kept_rows_bytes = std::size_t(16) << 20;

/// libdeflate's decompressor and the buffers of the image data, kept per thread and reused by
/// every image.
struct inflater {
    libdeflate_decompressor* decompressor = libdeflate_alloc_decompressor();
    std::vector<unsigned char> rows, joined;  // filtered rows; IDAT chunks' data when there are several
    inflater() = default;
    ~inflater() { libdeflate_free_decompressor(decompressor); }
    inflater(inflater const&) = delete;
    inflater& operator=(inflater const&) = delete;
};

inline unsigned char paeth(unsigned a, unsigned b, unsigned c) {  // left, up, upper left
    int p = int(a) + int(b) - int(c), pa = std::abs(p - int(a)), pb = std::abs(p - int(b)), pc = std::abs(p - int(c));
    return (pa <= pb && pa <= pc) ? a : pb <= pc ? b : c;
}

/// Reverses the filter of each of `height` rows of `row_bytes` (each after its filter byte) into
/// `out`, for `Bpp` bytes a pixel; false for an unknown filter type. The first pixel of a row, which
/// has no left neighbour, is handled apart so that the loops over the rest do not branch on it.
template <std::size_t Bpp>
bool unfilter(unsigned char const* filtered, std::size_t height, std::size_t row_bytes, unsigned char* out) {
    for (std::size_t y = 0; y < height; ++y) {
        unsigned char const* in = filtered + y * (row_bytes + 1) + 1;
        unsigned char* row = out + y * row_bytes;
        unsigned char const* up = y ? row - row_bytes : row;  // read only below the first row
        std::size_t first = std::min(Bpp, row_bytes);
        switch (in[-1]) {
            case 0:
                std::memcpy(row, in, row_bytes);
                break;
            case 1:
                std::memcpy(row, in, first);
                for (std::size_t i = Bpp; i < row_bytes; ++i) row[i] = in[i] + row[i - Bpp];
                break;
            case 2:
                if (y == 0)
                    std::memcpy(row, in, row_bytes);
                else
                    for (std::size_t i = 0; i < row_bytes; ++i) row[i] = in[i] + up[i];
                break;
            case 3:
                if (y == 0) {
                    std::memcpy(row, in, first);
                    for (std::size_t i = Bpp; i < row_bytes; ++i) row[i] = in[i] + (row[i - Bpp] >> 1);
                } else {
                    for (std::size_t i = 0; i < first; ++i) row[i] = in[i] + (up[i] >> 1);
                    for (std::size_t i = Bpp; i < row_bytes; ++i)
                        row[i] = in[i] + ((unsigned(row[i - Bpp]) + unsigned(up[i])) >> 1);
                }
                break;
            case 4:  // Paeth: with no row above it predicts the left neighbour; with none left, the one above
                if (y == 0) {
                    std::memcpy(row, in, first);
                    for (std::size_t i = Bpp; i < row_bytes; ++i) row[i] = in[i] + row[i - Bpp];
                } else {
                    for (std::size_t i = 0; i < first; ++i) row[i] = in[i] + up[i];
                    for (std::size_t i = Bpp; i < row_bytes; ++i)
                        row[i] = in[i] + paeth(row[i - Bpp], up[i], up[i - Bpp]);
                }
                break;
            default:
                return false;
        }
    }
    return true;
}
}  // namespace png_format

EST_DECL std::optional<image<std::uint8_t>> decode_simple_png(std::string_view bytes, std::size_t channels) {
    using namespace png_format;
    static constexpr unsigned char signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    auto const* p = reinterpret_cast<unsigned char const*>(bytes.data());
    std::size_t size = bytes.size();
    if (size < 8 + 25 || std::memcmp(p, signature, 8) != 0 || big_endian(p + 8) != 13 || !is_type(p + 12, "IHDR") ||
        !crc_matches(p + 12, 13))
        return std::nullopt;
    unsigned char const* header = p + 16;
    std::uint32_t width = big_endian(header), height = big_endian(header + 4);
    unsigned depth = header[8], color = header[9];
    std::size_t stored = color == 0 ? 1 : color == 4 ? 2 : color == 2 ? 3 : color == 6 ? 4 : 0;
    if (depth != 8 || stored == 0 || header[10] != 0 || header[11] != 0 || header[12] != 0 || width == 0 ||
        height == 0 || width > 0x7fffffffu || height > 0x7fffffffu || (channels != 0 && channels != stored))
        return std::nullopt;
    std::uint64_t pixels = std::uint64_t(width) * height;
    if (pixels > max_image_pixels || pixels > 8 * 1032 * std::uint64_t(size))
        return std::nullopt;
    std::size_t row_bytes = std::size_t(width) * stored, filtered_bytes = std::size_t(height) * (row_bytes + 1);

    thread_local inflater state;
    if (!state.decompressor)
        return std::nullopt;
    unsigned char const* data = nullptr;  // the zlib stream: one IDAT's data, or all of them joined
    std::size_t data_bytes = 0, idats = 0;
    bool after_data = false;
    state.joined.clear();
    for (std::size_t at = 33;;) {
        if (at + 12 > size)
            return std::nullopt;
        std::uint32_t length = big_endian(p + at);
        if (length > size - at - 12)
            return std::nullopt;
        unsigned char const* type = p + at + 4;
        if (is_type(type, "IDAT")) {
            if (after_data || !crc_matches(type, length))
                return std::nullopt;  // IDATs apart
            if (++idats == 2)
                state.joined.assign(data, data + data_bytes);
            if (idats >= 2)
                state.joined.insert(state.joined.end(), type + 4, type + 4 + length);
            data = type + 4;
            data_bytes = length;
        } else {
            after_data = idats > 0;
            if (is_type(type, "IEND")) {
                if (length != 0 || !crc_matches(type, 0))
                    return std::nullopt;
                break;
            }
            if (!is_harmless(type))
                return std::nullopt;
        }
        at += std::size_t(length) + 12;
    }
    if (idats == 0)
        return std::nullopt;
    if (idats >= 2) {
        data = state.joined.data();
        data_bytes = state.joined.size();
    }
    state.rows.resize(filtered_bytes);
    std::size_t consumed = 0, produced = 0;
    if (libdeflate_zlib_decompress_ex(state.decompressor, data, data_bytes, state.rows.data(), filtered_bytes,
                                      &consumed, &produced) != LIBDEFLATE_SUCCESS ||
        consumed != data_bytes || produced != filtered_bytes)
        return std::nullopt;  // corrupt, too little or too much data, or bytes after the stream's end
    image<std::uint8_t> out{height, width, stored, std::vector<std::uint8_t>(std::size_t(height) * row_bytes)};
    auto* rows = state.rows.data();
    auto* pixels_out = out.pixels.data();
    bool unfiltered = stored == 1   ? unfilter<1>(rows, height, row_bytes, pixels_out)
                      : stored == 2 ? unfilter<2>(rows, height, row_bytes, pixels_out)
                      : stored == 3 ? unfilter<3>(rows, height, row_bytes, pixels_out)
                                    : unfilter<4>(rows, height, row_bytes, pixels_out);
    if (state.rows.capacity() > kept_rows_bytes)
        std::vector<unsigned char>().swap(state.rows);
    if (state.joined.capacity() > kept_rows_bytes)
        std::vector<unsigned char>().swap(state.joined);
    if (!unfiltered)
        return std::nullopt;
    return out;
}

EST_DECL image<std::uint8_t> decode_png_with_libpng(std::string_view bytes, std::size_t channels) {
    check_png_chunk_lengths(bytes);
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

}  // namespace detail

}  // namespace est::io
