// Definitions of est/io/crc32c.hpp (see est/core/config.hpp).
#pragma once

#include <est/io/crc32c.hpp>

#include <boost/crc.hpp>

namespace est::io {

EST_DECL std::uint32_t crc32c(void const* data, std::size_t size) {
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
    crc.process_bytes(data, size);
    return crc.checksum();
}

EST_DECL std::uint32_t masked_crc32c(void const* data, std::size_t size) { return mask_crc(crc32c(data, size)); }

}  // namespace est::io
