// JPEG decoding with libjpeg-turbo, from memory (the JPEG images of TFRecord datasets). libjpeg's
// errors, which would end the process, become est::error with libjpeg's message.
#pragma once

#include <est/core/config.hpp>
#include <est/io/image.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace est::io {

/// Decodes a JPEG to 8-bit samples with `channels` channels (0: as stored, 1 gray, 3 RGB). Data
/// that ends before the image does is an error, as in tf.io.decode_jpeg; libjpeg's other warnings
/// are not printed.
EST_DECL image<std::uint8_t> decode_jpeg(std::string_view bytes, std::size_t channels = 0);

}  // namespace est::io

#if defined(EST_DEFINITIONS)
#include <est/io/impl/jpeg.ipp>
#endif
