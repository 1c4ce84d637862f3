// The device back ends: est's kernels run as Thrust algorithms with a device system's execution
// policy, over device memory from a caching allocator; matrix products come from the system's BLAS,
// convolutions are im2col + GEMM, pooling is est's own kernel, and every activation stays in the
// canonical layout. Everything here is ordinary C++ over a `System`, so the same code runs on CUDA
// (cuda/backend.hpp: Thrust's CUDA system, cuBLAS) and on the host (device/emulated.hpp: Thrust's
// OpenMP system), where the tests check it against the host back end without a GPU.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/error.hpp>
#include <est/core/host_device.hpp>
#include <est/core/layout.hpp>
#include <est/core/memory_space.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/core/thrust.hpp>
#include <est/device/caching_allocator.hpp>
#include <est/kernels/gemm_convolution.hpp>
#include <est/kernels/pooling.hpp>

#include <thrust/find.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace est {

namespace detail {
/// f(i / cols, i % cols): a cell of a grid, as one index.
template <class F>
struct grid_cell {
    F f;
    std::size_t cols;
    EST_HOST_DEVICE void operator()(std::size_t i) const { f(i / cols, i % cols); }
};

/// Converts nothing: batches on a device back end are always in the canonical layout.
template <Shape S, class B>
class canonical_layout_converter {
public:
    template <class T>
    batch_view<T, S, typename B::memory_space> convert(batch_view<T, S, typename B::memory_space> x, layout to) {
        if (x.layout != to)
            throw error("est: the " + std::string(B::name) +
                        " back end keeps batches in the canonical layout; "
                        "it cannot convert one from " +
                        std::string(layout_name(x.layout)) + " to " + std::string(layout_name(to)));
        return x;
    }
};
}  // namespace detail

/// A device back end (a model of est::Backend) over `System`, which provides
///   static constexpr std::string_view name;       "cuda", "emulated device"
///   static auto policy()                           the Thrust execution policy kernels run with
///   static void* try_allocate(bytes), release(p), describe()
///                                                  the device's own allocator (caching_allocator)
///   static void copy(to, from, bytes), copy_to_host(...), copy_from_host(...)
///                                                  copies; copy_to_host returns once the data is there
///   static void gemm(...)                          est::Backend's gemm, on device memory
template <class System>
struct basic_device {
    using memory_space = device_memory;
    using system_type = System;
    static constexpr std::string_view name = System::name;

    static void* allocate(std::size_t bytes) { return allocator().allocate(bytes); }
    static void deallocate(void* p, std::size_t bytes) { allocator().deallocate(p, bytes); }
    static void copy(void* to, void const* from, std::size_t bytes) {
        if (bytes)
            System::copy(to, from, bytes);
    }
    static void copy_to_host(void* to, void const* from, std::size_t bytes) {
        if (bytes)
            System::copy_to_host(to, from, bytes);
    }
    static void copy_from_host(void* to, void const* from, std::size_t bytes) {
        if (bytes)
            System::copy_from_host(to, from, bytes);
    }

    /// The caching allocator of the device's memory.
    static detail::caching_allocator<System>& allocator() { return detail::caching_allocator<System>::instance(); }

    /// Calls `f(i)` for every i in [0, n), one device thread each (the grain is for the host).
    template <class F>
    static void for_each(std::size_t n, F f, std::size_t = 0) {
        if (n)
            thrust::for_each(System::policy(), thrust::counting_iterator<std::size_t>(0),
                             thrust::counting_iterator<std::size_t>(n), f);
    }

    /// Calls `f(r, c)` for every cell of a rows x cols grid, one device thread each.
    template <class F>
    static void for_each_2d(std::size_t rows, std::size_t cols, F f, std::size_t = 0) {
        for_each(rows * cols, detail::grid_cell<F>{f, cols});
    }

    /// The sum of f(i) over [0, n), split as est::host splits it: the same values give the same sum
    /// on every back end and thread count. Only the blocks' partial sums cross to the host.
    template <class F>
    static double sum(std::size_t n, F f) {
        auto blocks = detail::sum_blocks::of(n);
        std::array<double, detail::sum_blocks::most> partials{};
        buffer<double, basic_device> device_partials(blocks.count);
        for_each(blocks.count, detail::block_sum<F>{f, device_partials.data(), n, blocks.length});
        copy_to_host(partials.data(), device_partials.data(), blocks.count * sizeof(double));
        double total = 0.0;
        for (std::size_t b = 0; b < blocks.count; ++b) total += partials[b];
        return total;
    }

    /// The smallest i in [0, n) with p(i), or n.
    template <class P>
    static std::size_t find_first(std::size_t n, P p) {
        if (n == 0)
            return 0;
        return *thrust::find_if(System::policy(), thrust::counting_iterator<std::size_t>(0),
                                thrust::counting_iterator<std::size_t>(n), p);
    }

    static void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     float const* a, float const* b, float beta, float* c) {
        if (m && n)
            System::gemm(transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
    }

    template <class Geometry, post_op Op>
    using convolution = detail::gemm_convolution<basic_device, Geometry, Op>;
    template <class Geometry, pooling_kind Kind>
    using pooling = detail::direct_pooling<basic_device, Geometry, Kind>;
    template <Shape S>
    using layout_converter = detail::canonical_layout_converter<S, basic_device>;

    /// A host copy of `x` (always canonical here).
    template <Shape S>
    static void to_host_canonical(batch_view<float const, S, memory_space> x, float* out) {
        copy_to_host(out, x.data, x.size() * sizeof(float));
    }
};

}  // namespace est
