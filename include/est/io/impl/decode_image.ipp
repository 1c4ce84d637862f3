// Definitions of est/io/decode_image.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/io/decode_image.hpp>
#include <est/io/jpeg.hpp>
#include <est/io/png.hpp>

#include <string>

namespace est::io {

EST_DECL image<std::uint8_t> decode_image(std::string_view bytes, std::size_t channels) {
    if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8))
        return decode_png(bytes, channels);
    if (bytes.size() >= 3 && bytes.substr(0, 3) == std::string_view("\xff\xd8\xff", 3))
        return decode_jpeg(bytes, channels);
    throw error("decode_image: neither PNG nor JPEG (" + std::to_string(bytes.size()) + " bytes)");
}

}  // namespace est::io
