// CRC-32C (Castagnoli), as TFRecord frames and TensorBoard event files use it, computed by
// Boost.CRC; and TensorFlow's "masked" form, which keeps a CRC of data that holds CRCs unbiased.
#pragma once

#include <est/core/config.hpp>

#include <cstddef>
#include <cstdint>

namespace est::io {

/// CRC-32C of `size` bytes.
EST_DECL std::uint32_t crc32c(void const* data, std::size_t size);

/// TensorFlow's masked CRC: rotate right by 15 bits and add a constant.
constexpr std::uint32_t mask_crc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

/// The masked CRC-32C of `size` bytes, as stored in TFRecord frames.
EST_DECL std::uint32_t masked_crc32c(void const* data, std::size_t size);

}  // namespace est::io

#if defined(EST_DEFINITIONS)
#include <est/io/impl/crc32c.ipp>
#endif
