// decode_image: PNG or JPEG bytes to an image, the format told by its signature
// (tf.io.decode_image), for datasets whose examples mix the two.
#pragma once

#include <est/core/config.hpp>
#include <est/io/image.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace est::io {

/// Decodes PNG or JPEG, told apart by their signatures (tf.io.decode_image).
EST_DECL image<std::uint8_t> decode_image(std::string_view bytes, std::size_t channels = 0);

}  // namespace est::io

#if defined(EST_DEFINITIONS)
#include <est/io/impl/decode_image.ipp>
#endif
