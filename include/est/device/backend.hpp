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

#include <array>
#include <cstddef>
#include <cstring>
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

/// The first i of block b with p(i), or n.
template <class P>
struct block_first {
    P p;
    std::size_t* firsts;
    std::size_t n, length;
    EST_HOST_DEVICE void operator()(std::size_t b) const {
        std::size_t end = (b + 1) * length < n ? (b + 1) * length : n, i = b * length;
        while (i < end && !p(i)) ++i;
        firsts[b] = i < end ? i : n;
    }
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
///   using event; allocate_pinned(bytes), release_pinned(p), copy_from_pinned(to, pinned, bytes, event&),
///   wait(event&), destroy_event(event)             page-locked staging memory, an asynchronous copy
///                                                  from it that records `event`, and waiting for it
///   static void gemm(...)                          est::Backend's gemm, on device memory
///   template <class B, class G, post_op Op> using convolution
///                                                  the convolution primitive (im2col + GEMM where the
///                                                  system has no library of its own)
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
        double* device_partials = per_block<double>();
        for_each(blocks.count, detail::block_sum<F>{f, device_partials, n, blocks.length});
        copy_to_host(partials.data(), device_partials, blocks.count * sizeof(double));
        double total = 0.0;
        for (std::size_t b = 0; b < blocks.count; ++b) total += partials[b];
        return total;
    }

    /// The smallest i in [0, n) with p(i), or n: each block of the sum's split finds its first, and
    /// the host takes the least (Thrust's find_if would ask the device for temporary memory).
    template <class P>
    static std::size_t find_first(std::size_t n, P p) {
        auto blocks = detail::sum_blocks::of(n);
        std::array<std::size_t, detail::sum_blocks::most> firsts{};
        std::size_t* device_firsts = per_block<std::size_t>();
        for_each(blocks.count, detail::block_first<P>{p, device_firsts, n, blocks.length});
        copy_to_host(firsts.data(), device_firsts, blocks.count * sizeof(std::size_t));
        for (std::size_t b = 0; b < blocks.count; ++b)
            if (firsts[b] < n)
                return firsts[b];
        return n;
    }

    static void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     float const* a, float const* b, float beta, float* c) {
        if (m && n)
            System::gemm(transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
    }

    /// cuBLAS picks its kernels by shape itself; dense layers call it as they are.
    static constexpr bool transposed_product_faster(std::size_t, std::size_t, std::size_t) { return false; }

    template <class Geometry, post_op Op>
    using convolution = typename System::template convolution<basic_device, Geometry, Op>;
    template <class Geometry, pooling_kind Kind>
    using pooling = detail::direct_pooling<basic_device, Geometry, Kind>;
    template <Shape S>
    using layout_converter = detail::canonical_layout_converter<S, basic_device>;

    /// Copies host values to the device through a staging buffer of the system's page-locked
    /// memory: the copy is queued on the device's stream behind the kernels already queued, and the
    /// call returns without waiting for them (a copy from pageable memory would), so the host
    /// prepares the next step while the device runs this one. The next upload through the same
    /// uploader waits until this copy has left the staging buffer. The buffer grows to the largest
    /// upload and is kept.
    class uploader {
    public:
        uploader() = default;
        uploader(uploader const&) = delete;
        uploader& operator=(uploader const&) = delete;
        ~uploader() {
            try {
                System::wait(done_);
            } catch (...) {  // a device error was reported where it happened
            }
            if (staging_)
                System::release_pinned(staging_);
            System::destroy_event(done_);
        }

        void operator()(void* to, void const* from, std::size_t bytes) {
            if (!bytes)
                return;
            System::wait(done_);
            if (bytes > capacity_) {
                if (staging_)
                    System::release_pinned(staging_);
                staging_ = nullptr;  // until the larger one exists, should allocating it fail
                staging_ = System::allocate_pinned(bytes);
                capacity_ = bytes;
            }
            std::memcpy(staging_, from, bytes);
            System::copy_from_pinned(to, staging_, bytes, done_);
        }

    private:
        void* staging_ = nullptr;
        std::size_t capacity_ = 0;
        typename System::event done_{};
    };

    /// A host copy of `x` (always canonical here).
    template <Shape S>
    static void to_host_canonical(batch_view<float const, S, memory_space> x, float* out) {
        copy_to_host(out, x.data, x.size() * sizeof(float));
    }

private:
    /// Device memory for one value per block of a sum or search, kept by each thread, so that
    /// neither asks the allocator for memory (a temporary could take a block a step's buffer
    /// needs next).
    template <class T>
    static T* per_block() {
        thread_local buffer<T, basic_device> values(detail::sum_blocks::most);
        return values.data();
    }
};

}  // namespace est
