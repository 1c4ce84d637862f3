// Definitions of est/io/crc32c.hpp (see est/core/config.hpp).
#pragma once

#include <est/io/crc32c.hpp>

#include <boost/crc.hpp>

#include <cstring>

// CUDA translation units too: in a header-only program the functions below are inline, and an
// nvcc unit's body without the instruction, taken by the linker, would turn it off everywhere.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EST_CRC32C_INSTRUCTION 1
#include <nmmintrin.h>
#endif

namespace est::io {

namespace detail {
EST_DECL std::uint32_t crc32c_portable(void const* data, std::size_t size) {
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
    crc.process_bytes(data, size);
    return crc.checksum();
}

#if defined(EST_CRC32C_INSTRUCTION)
EST_DECL bool crc32c_instruction_available() {
    static bool const available = [] {
        __builtin_cpu_init();
        return bool(__builtin_cpu_supports("sse4.2"));
    }();
    return available;
}

[[gnu::target("sse4.2")]] EST_DECL std::uint32_t crc32c_instruction(void const* data, std::size_t size) {
    auto const* bytes = static_cast<unsigned char const*>(data);
    std::uint64_t crc = 0xFFFFFFFFu;
    for (; size >= 8; size -= 8, bytes += 8) {
        std::uint64_t word;
        std::memcpy(&word, bytes, 8);
        crc = _mm_crc32_u64(crc, word);
    }
    auto crc32 = static_cast<std::uint32_t>(crc);
    for (; size > 0; --size, ++bytes) crc32 = _mm_crc32_u8(crc32, *bytes);
    return crc32 ^ 0xFFFFFFFFu;
}
#else
EST_DECL bool crc32c_instruction_available() { return false; }
EST_DECL std::uint32_t crc32c_instruction(void const* data, std::size_t size) { return crc32c_portable(data, size); }
#endif
}  // namespace detail

EST_DECL std::uint32_t crc32c(void const* data, std::size_t size) {
    return detail::crc32c_instruction_available() ? detail::crc32c_instruction(data, size)
                                                  : detail::crc32c_portable(data, size);
}

EST_DECL std::uint32_t masked_crc32c(void const* data, std::size_t size) { return mask_crc(crc32c(data, size)); }

}  // namespace est::io
