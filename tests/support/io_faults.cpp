// The interposer of support/io_faults.hpp. The executable's definitions of open, write, fsync,
// close and rename come before libc's in symbol lookup, so est's calls (and the C++ library's) land
// here and go on to the next definition (libc's, or a sanitizer's) through dlsym(RTLD_NEXT). Only
// calls on files opened while armed are counted, so the standard streams and files opened before
// stay out of the count.
#include "support/io_faults.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstddef>

namespace {
std::atomic<bool> armed{false};
std::atomic<long> counted{0};
std::atomic<long> failing{-1};
std::atomic<char const*> failed_name{""};
std::array<std::atomic<bool>, 4096> opened_while_armed{};

bool tracked(int fd) { return fd >= 0 && std::size_t(fd) < opened_while_armed.size() && opened_while_armed[fd]; }

/// Counts one call; true if it is the one to fail (errno is then set).
bool fails(char const* name, int error) {
    if (!armed.load())
        return false;
    if (counted.fetch_add(1) != failing.load())
        return false;
    failed_name = name;
    errno = error;
    return true;
}

template <class F>
F next(char const* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}
}  // namespace

namespace test::io_faults {
void count() { fail_call(-1); }
void fail_call(long call) {
    armed = false;
    for (auto& fd : opened_while_armed) fd = false;
    counted = 0;
    failing = call;
    failed_name = "";
    armed = true;
}
void disarm() { armed = false; }
long calls() { return counted.load(); }
std::string failed() { return failed_name.load(); }
}  // namespace test::io_faults

extern "C" {

int open(char const* path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list arguments;
        va_start(arguments, flags);
        mode = mode_t(va_arg(arguments, unsigned));
        va_end(arguments);
    }
    static auto const real = next<int (*)(char const*, int, ...)>("open");
    if (fails("open", (flags & (O_WRONLY | O_RDWR | O_CREAT)) ? ENOSPC : EIO))
        return -1;
    int fd = real(path, flags, mode);
    if (armed && fd >= 0 && std::size_t(fd) < opened_while_armed.size())
        opened_while_armed[fd] = true;
    return fd;
}

ssize_t write(int fd, void const* bytes, std::size_t size) {
    static auto const real = next<ssize_t (*)(int, void const*, std::size_t)>("write");
    if (tracked(fd) && fails("write", ENOSPC))
        return -1;
    return real(fd, bytes, size);
}

int fsync(int fd) {
    static auto const real = next<int (*)(int)>("fsync");
    if (tracked(fd) && fails("fsync", EIO))
        return -1;
    return real(fd);
}

int close(int fd) {
    static auto const real = next<int (*)(int)>("close");
    bool counted_fd = tracked(fd);
    if (counted_fd)
        opened_while_armed[fd] = false;
    if (counted_fd && fails("close", EIO)) {
        real(fd);  // as Linux does: the descriptor is released even when close reports an error
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int rename(char const* from, char const* to) {
    static auto const real = next<int (*)(char const*, char const*)>("rename");
    if (fails("rename", EIO))
        return -1;
    return real(from, to);
}

}  // extern "C"
