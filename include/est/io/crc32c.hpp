// CRC-32C (Castagnoli), as TFRecord frames and TensorBoard event files use it, and TensorFlow's
// "masked" form, which keeps a CRC of data that holds CRCs unbiased. x86-64 CPUs since SSE4.2 have
// an instruction for CRC-32C, eight bytes at a time; est uses it where the CPU has it (checked once)
// and Boost.CRC's table-driven form elsewhere. Checking every record's CRC was the largest single
// cost of reading a TFRecord of small examples (benchmarks/README.md, "Input pipeline").
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

namespace detail {
/// CRC-32C by Boost.CRC's tables, on any CPU.
EST_DECL std::uint32_t crc32c_portable(void const* data, std::size_t size);
/// Whether this CPU has the CRC-32C instruction (SSE4.2 on x86-64).
EST_DECL bool crc32c_instruction_available();
/// CRC-32C by that instruction; call only where crc32c_instruction_available().
EST_DECL std::uint32_t crc32c_instruction(void const* data, std::size_t size);
}  // namespace detail

}  // namespace est::io

#if defined(EST_DEFINITIONS)
#include <est/io/impl/crc32c.ipp>
#endif
