// Crash-safe file replacement: write to `<path>.tmp`, fsync, rename over `path`, fsync the
// directory. A crash or a write error (a full disk) at any moment leaves either the old file or
// the new one under `path`, never a mix; on error the temporary file is removed.
#pragma once

#include <est/core/config.hpp>

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace est::io {

/// Writes the concatenation of `chunks` to `path` atomically.
EST_DECL void write_file_atomically(std::filesystem::path const& path,
                                    std::vector<std::span<char const>> const& chunks);

/// Writes `text` to `path` atomically.
EST_DECL void write_file_atomically(std::filesystem::path const& path, std::string_view text);

}  // namespace est::io

#if defined(EST_DEFINITIONS)
#include <est/io/impl/atomic_file.ipp>
#endif
