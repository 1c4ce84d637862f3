// CRC-32C (Castagnoli), as TFRecord frames and TensorBoard event files use it, computed by
// Boost.CRC; and TensorFlow's "masked" form, which keeps a CRC of data that holds CRCs unbiased.
#pragma once

#include <boost/crc.hpp>

#include <cstddef>
#include <cstdint>

namespace est::io {

/// CRC-32C of `size` bytes.
inline std::uint32_t crc32c(void const* data, std::size_t size) {
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
    crc.process_bytes(data, size);
    return crc.checksum();
}

/// TensorFlow's masked CRC: rotate right by 15 bits and add a constant.
constexpr std::uint32_t mask_crc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

/// The masked CRC-32C of `size` bytes, as stored in TFRecord frames.
inline std::uint32_t masked_crc32c(void const* data, std::size_t size) { return mask_crc(crc32c(data, size)); }

}  // namespace est::io
