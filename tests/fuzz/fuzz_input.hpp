// What the fuzz targets share: a per-process scratch directory for readers that take a path, and
// the input written there as a file. Only est::error is an expected failure of a reader; every
// target lets any other exception escape, so that libFuzzer reports it as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include <unistd.h>

namespace fuzz {

/// A directory of this process, created on first use under the system's temporary directory and
/// removed at exit (a crashed run leaves it, with the input that crashed).
inline std::filesystem::path const& scratch_directory() {
    static std::filesystem::path const dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("est-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        return d;
    }();
    // Registered once `dir` is constructed, so that it runs before `dir`'s destructor: exit runs
    // both in the reverse order of their registration.
    static int const removed_at_exit = std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(scratch_directory(), ignored);
    });
    (void)removed_at_exit;
    return dir;
}

/// Writes `bytes` to `name` in the scratch directory (replacing it) and returns its path.
inline std::filesystem::path write_file(std::string const& name, std::string_view bytes) {
    auto path = scratch_directory() / name;
    // A new file, not a truncated one: ext4 flushes a file truncated and rewritten on close, which
    // made every run wait for the disk.
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return path;
}

inline std::string_view as_view(std::uint8_t const* data, std::size_t size) {
    return {reinterpret_cast<char const*>(data), size};
}

}  // namespace fuzz
