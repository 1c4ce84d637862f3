// The Backend concept: where a model's memory lives and how its kernels run. Layers, losses, metrics
// and optimizers are written once against it; `est::host` (host/backend.hpp: Thrust's OpenMP system
// and oneDNN) is its first model, and a CUDA back end (Thrust's CUDA system, cuBLAS, cuDNN) plugs in
// beside it without touching a layer.
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/host_device.hpp>
#include <est/core/layout.hpp>
#include <est/core/memory_space.hpp>
#include <est/core/primitive.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <string_view>

namespace est {

namespace detail {
struct index_probe {
    EST_HOST_DEVICE void operator()(std::size_t) const {}
};
struct cell_probe {
    EST_HOST_DEVICE void operator()(std::size_t, std::size_t) const {}
};
struct value_probe {
    EST_HOST_DEVICE double operator()(std::size_t) const { return 0.0; }
};
struct predicate_probe {
    EST_HOST_DEVICE bool operator()(std::size_t) const { return false; }
};
using geometry_probe = window_geometry<4, 4, 1, 1, 3, 1, 1, 1, 4, 4>;

/// How every back end splits a sum (Backend::sum): blocks of a length that depends on n only.
struct sum_blocks {
    static constexpr std::size_t block = 1024, most = 64;
    std::size_t count, length;
    static constexpr sum_blocks of(std::size_t n) {
        std::size_t blocks = (n + block - 1) / block;
        blocks = blocks < most ? blocks : most;
        blocks = blocks > 0 ? blocks : 1;
        return {blocks, (n + blocks - 1) / blocks};
    }
};

/// The sum of f(i) over block b, in order.
template <class F>
struct block_sum {
    F f;
    double* partials;
    std::size_t n, length;
    EST_HOST_DEVICE void operator()(std::size_t b) const {
        double total = 0.0;
        std::size_t end = (b + 1) * length < n ? (b + 1) * length : n;
        for (std::size_t i = b * length; i < end; ++i) total += double(f(i));
        partials[b] = total;
    }
};

template <class T>
struct fill_values {
    T* data;
    T value;
    EST_HOST_DEVICE void operator()(std::size_t i) const { data[i] = value; }
};

/// What a for_each kernel that streams arrays larger than the caches (an optimizer's update over
/// the model's arenas) may declare with a `streams()` member: the arrays its element i reads and
/// writes at index i. A back end may fetch them ahead (est::host does: host/vector_width.hpp); null
/// entries are skipped.
template <std::size_t Reads, std::size_t Writes>
struct streamed_arrays {
    std::array<float const*, Reads> read;
    std::array<float*, Writes> written;
};
}  // namespace detail

/// Backend: the memory and the kernels a model runs on.
///
/// Minimal complete definition:
///   using memory_space;                       host_memory or device_memory: the type views carry
///   static constexpr std::string_view name;   "host", "cuda": how messages and benchmarks name it
///   allocate(bytes) -> void*, deallocate(p, bytes)
///                                             memory for `est::buffer<T, B>` (arenas, workspaces)
///   copy(to, from, bytes), copy_to_host(host, from, bytes), copy_from_host(to, host, bytes)
///   for_each(n, f[, grain])                   calls f(i) for every i in [0, n) in any order, in
///                                             parallel; f is a trivially copyable functor whose call
///                                             operator is EST_HOST_DEVICE (a Thrust kernel); `grain`,
///                                             the least work worth a thread, is a hint
///   for_each_2d(rows, cols, f)               calls f(r, c) for every cell of a rows x cols grid
///                                             (row-major work, such as a bias added to every row)
///   sum(n, f) -> double                       the sum of f(i), added in an order that depends on n
///                                             only, so results do not depend on the thread count
///   find_first(n, p) -> size_t                the smallest i with p(i), or n
///   gemm(transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c)
///                                             C(m, n) = alpha op(A) op(B) + beta C, row-major
///   transposed_product_faster(m, n, k) -> bool
///                                             whether C(m, n) = A B^T (B stored (n, k)) is faster
///                                             as C^T = B A^T; a function of the shape and of
///                                             the engine gemm runs on the calling thread only
///   template <class Geometry, post_op Op> convolution
///                                             a 2-D convolution (window_geometry) with bias and Op
///                                             fused: forward, backward data, backward weights, the
///                                             layout its weights are stored in; optionally
///                                             (with `fuses_max_pooling` true)
///                                             forward_max_pooled<PoolGeometry>(x, weights, bias):
///                                             it and a max pooling after it in one pass, at
///                                             inference (a view of no data where not covered)
///   template <class Geometry, pooling_kind K> pooling
///   dense_product (optional)                  a dense layer's inference pass y = op(x K + b) in
///                                             one primitive: constructed from (inputs, units, op,
///                                             kernel_order); forward(x, batch, kernel, bias, y) for
///                                             batches where faster_at(batch) says so;
///                                             preferred_order(inputs, units): the order the layer
///                                             stores K in (without it: (units, inputs))
///   inference_slices(batch) -> size_t, for_each_slice(slices, f) (optional)
///                                             the slices a model's inference pass over a batch runs
///                                             in, each through its own copy of the layers, and
///                                             f(s) for each slice on its own thread (host: one
///                                             slice a thread; a back end without them runs whole
///                                             batches)
///   template <Shape S> layout_converter         converts batches of shape S between layouts
///   template <Shape S> to_host_canonical(view, float* host)
///                                             a host copy of a batch in the canonical layout (hooks)
/// The primitives' full contracts are in host/convolution.hpp, kernels/pooling.hpp,
/// host/dense_product.hpp and host/layout_converter.hpp.
template <class B>
concept Backend = MemorySpace<typename B::memory_space> &&
    requires(std::size_t n, void* to, void const* from, float const* a, float* c) {
    { B::name } -> std::convertible_to<std::string_view>;
    { B::allocate(n) } -> std::same_as<void*>;
    B::deallocate(to, n);
    B::copy(to, from, n);
    B::copy_to_host(to, from, n);
    B::copy_from_host(to, from, n);
    B::for_each(n, detail::index_probe{});
    B::for_each(n, detail::index_probe{}, n);
    B::for_each_2d(n, n, detail::cell_probe{});
    { B::sum(n, detail::value_probe{}) } -> std::convertible_to<double>;
    { B::find_first(n, detail::predicate_probe{}) } -> std::convertible_to<std::size_t>;
    B::gemm(false, false, n, n, n, 1.0f, a, a, 0.0f, c);
    { B::transposed_product_faster(n, n, n) } -> std::same_as<bool>;
    typename B::template convolution<detail::geometry_probe, post_op::none>;
    typename B::template pooling<detail::geometry_probe, pooling_kind::max>;
    typename B::template layout_converter<shape<2, 2, 2>>;
};

/// A batch view in back end `B`'s memory.
template <class T, Shape S, class B>
using backend_view = batch_view<T, S, typename B::memory_space>;

/// Sets n values at `data` (in B's memory) to `value`.
template <class B, class T>
void fill(T* data, std::size_t n, T value) {
    B::for_each(n, detail::fill_values<T>{data, value});
}

}  // namespace est
