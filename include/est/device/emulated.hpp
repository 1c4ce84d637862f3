// est::emulated_device: the device back end's code (its kernels, reductions, caching allocator,
// im2col convolution and the typed device memory) run on the host through Thrust's OpenMP system,
// with est::host's GEMM in cuBLAS's place. It is how the CUDA back end's logic is tested where
// there is no GPU: a model on it must match the same model on est::host.
#pragma once

#include <est/core/thrust.hpp>
#include <est/device/backend.hpp>
#include <est/host/backend.hpp>

#include <cstddef>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

namespace est {

/// The host standing in for a device: memory from the C++ heap, kernels on OpenMP's threads.
struct emulated_device_system {
    static constexpr std::string_view name = "emulated device";

    static auto policy() { return host::policy(); }

    static void* try_allocate(std::size_t bytes) { return ::operator new(bytes, alignment, std::nothrow); }
    static void release(void* block) { ::operator delete(block, alignment); }
    static std::string describe() { return "the emulated device (host memory)"; }

    static void copy(void* to, void const* from, std::size_t bytes) { std::memcpy(to, from, bytes); }
    static void copy_to_host(void* to, void const* from, std::size_t bytes) { std::memcpy(to, from, bytes); }
    static void copy_from_host(void* to, void const* from, std::size_t bytes) { std::memcpy(to, from, bytes); }

    /// Copies are synchronous here, so an event has nothing to wait for.
    struct event {};
    static void* allocate_pinned(std::size_t bytes) { return ::operator new(bytes, alignment); }
    static void release_pinned(void* p) { ::operator delete(p, alignment); }
    static void copy_from_pinned(void* to, void const* from, std::size_t bytes, event&) {
        std::memcpy(to, from, bytes);
    }
    static void wait(event&) {}
    static void destroy_event(event) {}

    template <class B, class G, post_op Op>
    using convolution = detail::gemm_convolution<B, G, Op>;

    static void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     float const* a, float const* b, float beta, float* c) {
        host::gemm(transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
    }

private:
    static constexpr std::align_val_t alignment{256};  // cudaMalloc's
};

/// The device back end, emulated on the host (a model of est::Backend with device memory).
using emulated_device = basic_device<emulated_device_system>;

static_assert(Backend<emulated_device>);

}  // namespace est
