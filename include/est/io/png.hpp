// PNG encoding and decoding of 8-bit images, in memory (TensorBoard's image summaries and image
// TFRecord datasets hold PNG bytes): est writes PNGs itself (libdeflate compresses the image data)
// and decodes the common case itself, libpng the rest.
#pragma once

#include <est/core/config.hpp>
#include <est/io/image.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct libdeflate_compressor;

namespace est::io {

/// Encodes 8-bit images as PNG into a buffer it keeps, so that after the first image of a size it
/// allocates nothing (TensorBoard's image summaries, every save_summary_steps). Rows unfiltered, the
/// image data one zlib stream from libdeflate.
class png_encoder {
public:
    EST_DECL png_encoder();
    png_encoder(png_encoder const&) : png_encoder() {}  // a copy encodes on its own
    png_encoder& operator=(png_encoder const&) { return *this; }

    /// The PNG of a height x width image of `channels` (1 gray, 3 RGB, 4 RGBA) samples, row-major;
    /// valid until the next call.
    EST_DECL std::string_view encode(std::span<std::uint8_t const> pixels, std::size_t height, std::size_t width,
                                     std::size_t channels);

private:
    struct free_compressor {
        EST_DECL void operator()(libdeflate_compressor* c) const;
    };
    std::unique_ptr<libdeflate_compressor, free_compressor> compressor_;
    std::vector<std::uint8_t> rows_;  ///< each row after its filter type (0: none)
    std::string png_;
};

/// encode_png(pixels, height, width, channels): a PNG as png_encoder writes it, in a string of its own.
EST_DECL std::string encode_png(std::span<std::uint8_t const> pixels, std::size_t height, std::size_t width,
                                std::size_t channels);

namespace detail {
/// A chunk (up to IEND) whose declared length runs past the end of the bytes is corrupt, and is
/// refused before libpng sees it: libpng allocates a chunk's declared length before reading it (half
/// a gigabyte for a flipped bit in a text chunk's length).
EST_DECL void check_png_chunk_lengths(std::string_view bytes);
}  // namespace detail

/// Decodes a PNG (8- or 16-bit, any color type) to 8-bit samples with `channels` channels (0: as
/// stored, 1 gray, 3 RGB, 4 RGBA). A corrupt file is an error that says what libpng found.
EST_DECL image<std::uint8_t> decode_png(std::string_view bytes, std::size_t channels = 0);

namespace detail {
/// decode_png through libpng alone.
EST_DECL image<std::uint8_t> decode_png_with_libpng(std::string_view bytes, std::size_t channels);
/// The common case decoded without libpng: 8-bit gray, gray+alpha, RGB or RGBA, not interlaced,
/// asked for as stored, with no chunks but IHDR, IDAT, IEND and text, time and pixel-size chunks
/// (nothing that changes the samples: no gamma, color profile, transparency or palette), every
/// critical chunk's CRC right and the image data exactly complete. Anything else, corrupt files
/// included, is nullopt, and libpng decodes it (or names what is wrong). The image data is
/// inflated by libdeflate, whose decompressor is kept per thread: for images of MNIST's size
/// libpng's setup and zlib's inflate took twice as long (benchmarks/README.md, "Input pipeline").
EST_DECL std::optional<image<std::uint8_t>> decode_simple_png(std::string_view bytes, std::size_t channels);
}  // namespace detail

}  // namespace est::io

#if defined(EST_DEFINITIONS)
#include <est/io/impl/png.ipp>
#endif
