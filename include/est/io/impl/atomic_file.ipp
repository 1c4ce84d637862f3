// Definitions of est/io/atomic_file.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/io/atomic_file.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace est::io {

EST_DECL void write_file_atomically(std::filesystem::path const& path,
                                    std::vector<std::span<char const>> const& chunks) {
    auto temporary = path;
    temporary += ".tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw error("cannot create '" + temporary.string() + "': " + std::strerror(errno));
    auto fail = [&](std::string const& what) {
        int code = errno;
        if (fd >= 0)
            ::close(fd);
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw error(what + " '" + temporary.string() + "': " + std::strerror(code) + "; '" + path.string() +
                    "' was left as it was");
    };
    for (auto chunk : chunks) {
        while (!chunk.empty()) {
            ssize_t written = ::write(fd, chunk.data(), chunk.size());
            if (written < 0 && errno == EINTR)
                continue;
            if (written <= 0)
                fail("cannot write");
            chunk = chunk.subspan(std::size_t(written));
        }
    }
    if (::fsync(fd) != 0)
        fail("cannot write to disk");
    int closed = ::close(fd);
    fd = -1;
    if (closed != 0)
        fail("cannot write");
    std::error_code renamed;
    std::filesystem::rename(temporary, path, renamed);
    if (renamed) {
        errno = renamed.value();
        fail("cannot rename");
    }
    int directory = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(), O_RDONLY | O_CLOEXEC);
    if (directory >= 0) {
        ::fsync(directory);
        ::close(directory);
    }
}

EST_DECL void write_file_atomically(std::filesystem::path const& path, std::string_view text) {
    write_file_atomically(path, {std::span<char const>(text.data(), text.size())});
}

}  // namespace est::io
