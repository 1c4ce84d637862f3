// Interposes the malloc family for test::heap_allocations(): each function counts the call and
// forwards to glibc's implementation. Where the call stack passes through libdnnl's code the call is
// also counted as oneDNN's (the stack is walked with backtrace(), which is warmed up once, outside
// any count, since its first call loads the unwinder).
#include "heap_allocations.hpp"

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* __libc_valloc(std::size_t);
void* __libc_pvalloc(std::size_t);
}

namespace {
std::atomic<std::size_t> total{0}, onednn{0};
std::atomic<bool> attributing{false};
std::uintptr_t onednn_begin = 0, onednn_end = 0;  // libdnnl's mapped code
thread_local bool walking = false;

int find_onednn(dl_phdr_info* info, std::size_t, void*) {
    if (!info->dlpi_name || !std::strstr(info->dlpi_name, "libdnnl"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        auto const& segment = info->dlpi_phdr[i];
        if (segment.p_type == PT_LOAD && (segment.p_flags & PF_X)) {
            onednn_begin = info->dlpi_addr + segment.p_vaddr;
            onednn_end = onednn_begin + segment.p_memsz;
        }
    }
    return 1;
}

void start_attributing() {
    if (attributing.load(std::memory_order_acquire))
        return;
    walking = true;
    void* frames[4];
    backtrace(frames, 4);  // loads the unwinder, which allocates
    dl_iterate_phdr(find_onednn, nullptr);
    walking = false;
    attributing.store(true, std::memory_order_release);
}

void count() {
    total.fetch_add(1, std::memory_order_relaxed);
    if (!attributing.load(std::memory_order_acquire) || walking || !onednn_begin)
        return;
    walking = true;
    void* frames[8];
    int depth = backtrace(frames, 8);
    for (int i = 0; i < depth; ++i) {
        auto address = reinterpret_cast<std::uintptr_t>(frames[i]);
        if (address >= onednn_begin && address < onednn_end) {
            onednn.fetch_add(1, std::memory_order_relaxed);
            break;
        }
    }
    walking = false;
}
}  // namespace

test::allocation_counts test::heap_allocations() {
    start_attributing();
    return {total.load(), onednn.load()};
}

extern "C" {
void* malloc(std::size_t size) {
    count();
    return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {
    count();
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {
    count();
    return __libc_realloc(p, size);
}
void* memalign(std::size_t alignment, std::size_t size) {
    count();
    return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
    count();
    return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
    count();
    if (alignment < sizeof(void*) || (alignment & (alignment - 1)))
        return EINVAL;
    void* p = __libc_memalign(alignment, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
void* valloc(std::size_t size) {
    count();
    return __libc_valloc(size);
}
void* pvalloc(std::size_t size) {
    count();
    return __libc_pvalloc(size);
}
}
