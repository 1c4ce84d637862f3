// safetensors files (the format of Hugging Face's safetensors): an 8-byte little-endian header
// length, a JSON header naming each tensor's dtype, shape and byte range, then the data. Written
// to a temporary file, fsynced and renamed, so a crash never leaves a half-written file under the
// final name; read with every offset checked, errors naming the file. The metadata entry
// "crc32c" holds the CRC-32C of the data, so that a flipped byte is found too.
#pragma once

#include <est/core/config.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace est::io {

/// A float32 tensor to write: its name, shape and values.
struct tensor_to_save {
    std::string name;
    std::vector<std::size_t> shape;
    std::span<float const> values;
};

/// A float32 tensor as read.
struct saved_tensor {
    std::vector<std::size_t> shape;
    std::vector<float> values;
};

/// The content of a safetensors file.
struct safetensors_content {
    std::map<std::string, std::string> metadata;
    std::map<std::string, saved_tensor> tensors;
};

/// Writes float32 tensors and string metadata to a safetensors file, atomically.
EST_DECL void write_safetensors(std::filesystem::path const& path, std::vector<tensor_to_save> const& tensors,
                                std::map<std::string, std::string> const& metadata = {});

/// Reads a safetensors file of float32 tensors; a truncated or malformed file is an error naming it.
EST_DECL safetensors_content read_safetensors(std::filesystem::path const& path);

}  // namespace est::io

#if defined(EST_DEFINITIONS)
#include <est/io/impl/safetensors.ipp>
#endif
