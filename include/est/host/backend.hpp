// est::host, the back end for host memory: element-wise kernels (and pooling) are Thrust algorithms
// run with Thrust's OpenMP execution policy (its sequential one where OpenMP is off), convolutions
// are oneDNN primitives or est's own kernels, matrix products est's own (matrix_product.hpp) or
// oneDNN's sgemm (default_gemm_engine; a dense layer's inference pass on larger batches oneDNN's
// matmul). All of them share OpenMP's threads.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/config.hpp>
#include <est/core/thrust.hpp>
#include <est/host/convolution.hpp>
#include <est/host/dense_product.hpp>
#include <est/host/layout_converter.hpp>
#include <est/host/matrix_product.hpp>
#include <est/host/vector_width.hpp>
#include <est/kernels/pooling.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <exception>
#include <new>
#include <string_view>
#include <utility>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace est {

/// The host back end (a model of est::Backend).
struct host {
    using memory_space = host_memory;
    static constexpr std::string_view name = "host";

    /// The Thrust execution policy of host kernels.
    static auto policy() {
#if defined(_OPENMP)
        return thrust::omp::par;
#else
        return thrust::cpp::par;
#endif
    }

    /// The threads host kernels run on (OpenMP's, shared with oneDNN): one inside a parallel region
    /// (a slice of an inference batch, for_each_slice), where OpenMP runs nested regions on the
    /// calling thread.
    static int threads() {
#if defined(_OPENMP)
        return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
        return 1;
#endif
    }

    /// The slices a model's inference pass over a batch of `batch` runs in: one a thread, each
    /// through the whole model on the thread's own copy of the layers' workspaces, where every thread
    /// gets at least `rows_per_slice` examples; otherwise one (the layers then share the threads
    /// within each pass). In slices no thread waits on another between layers, and a layer's
    /// output stays in the cache of the thread that reads it next (benchmarks/README.md,
    /// "Inference in slices of the batch").
    static constexpr std::size_t rows_per_slice = 64;
    static std::size_t inference_slices(std::size_t batch) {
        auto t = std::size_t(threads());
        return t > 1 && batch >= t * rows_per_slice ? t : 1;
    }

    /// Calls `f(s)` for every s in [0, slices), each on its own thread; an exception thrown by any
    /// is rethrown here, after all have returned.
    template <class F>
    static void for_each_slice(std::size_t slices, F f) {
        std::exception_ptr error;
        auto run = [&](std::size_t s) {
            slice_mark mark;
            try {
                f(s);
            } catch (...) {
#if defined(_OPENMP)
#pragma omp critical(est_host_for_each_slice)
#endif
                if (!error)
                    error = std::current_exception();
            }
        };
#if defined(_OPENMP)
#pragma omp parallel for schedule(static, 1) num_threads(int(slices))
#endif
        for (std::size_t s = 0; s < slices; ++s) run(s);
        if (error)
            std::rethrow_exception(error);
    }

    /// Whether the calling thread runs one of for_each_slice's slices (a slice of an inference
    /// batch, est's convolution kernels' images), where every product runs on that thread alone.
    static bool in_slice() { return slice_flag(); }

    /// 64-byte aligned, as oneDNN's kernels and AVX-512 loads like it.
    static void* allocate(std::size_t bytes) { return onednn::aligned_memory::allocate(bytes); }
    static void deallocate(void* p, std::size_t bytes) { onednn::aligned_memory::deallocate(p, bytes); }
    static void copy(void* to, void const* from, std::size_t bytes) { copy_bytes(to, from, bytes); }
    static void copy_to_host(void* to, void const* from, std::size_t bytes) { copy_bytes(to, from, bytes); }
    static void copy_from_host(void* to, void const* from, std::size_t bytes) { copy_bytes(to, from, bytes); }

    /// Calls `f(i)` for every i in [0, n). The indices go to threads in ranges of at least `grain`
    /// (the loop over a range is inlined, so it vectorizes, in the CPU's widest vector instructions:
    /// host/vector_width.hpp); below two grains, or with one thread (inside a slice of an inference
    /// batch), the calling thread runs them all, as a parallel region would cost more than it saves
    /// (and libgomp allocates a team for every region of one thread or nested in another). A kernel
    /// that declares the arrays it streams (an optimizer's update) has them fetched ahead from
    /// detail::streamed_elements values on, which outgrow the L2 caches.
    template <class F>
    static void for_each(std::size_t n, F f, std::size_t grain = 4096) {
        if constexpr (detail::streaming_kernel<F>)
            if (n < detail::streamed_elements)
                return for_each(n, detail::unstreamed<F>{f}, grain);
        std::size_t ranges = std::min<std::size_t>(n / std::max<std::size_t>(grain, 1), max_ranges);
        if (ranges <= 1 || threads() == 1) {
            detail::vector_loop(f, 0, n);
            return;
        }
        std::size_t length = (n + ranges - 1) / ranges;
        thrust::for_each(policy(), thrust::counting_iterator<std::size_t>(0),
                         thrust::counting_iterator<std::size_t>(ranges),
                         [=](std::size_t r) { detail::vector_loop(f, r * length, std::min(n, (r + 1) * length)); });
    }

    /// Calls `f(r, c)` for every cell of a rows x cols grid: rows go to threads in ranges of about
    /// `grain` cells, and the loop over a row's columns vectorizes.
    template <class F>
    static void for_each_2d(std::size_t rows, std::size_t cols, F f, std::size_t grain = 4096) {
        for_each(
            rows,
            [=](std::size_t r) {
                for (std::size_t c = 0; c < cols; ++c) f(r, c);
            },
            std::max<std::size_t>(1, grain / std::max<std::size_t>(cols, 1)));
    }

    /// A copy of `x` in the canonical layout, in host memory at `out` (x.size() values).
    template <Shape S>
    static void to_host_canonical(batch_view<float const, S> x, float* out) {
        if (x.layout == layout::canonical) {
            copy_bytes(out, x.data, x.size() * sizeof(float));
            return;
        }
        layout_converter<S> converter;
        auto canonical = converter.convert(x, layout::canonical);
        copy_bytes(out, canonical.data, x.size() * sizeof(float));
    }

    /// The sum of f(i) over [0, n): blocks of a length that depends on n only, summed in parallel and
    /// then in order, so the result does not depend on the number of threads.
    template <class F>
    static double sum(std::size_t n, F f) {
        auto blocks = detail::sum_blocks::of(n);
        std::array<double, detail::sum_blocks::most> partials{};
        detail::block_sum<F> add{f, partials.data(), n, blocks.length};
        if (blocks.count == 1 || threads() == 1)
            for (std::size_t b = 0; b < blocks.count; ++b) add(b);
        else
            thrust::for_each(policy(), thrust::counting_iterator<std::size_t>(0),
                             thrust::counting_iterator<std::size_t>(blocks.count), add);
        double total = 0.0;
        for (std::size_t b = 0; b < blocks.count; ++b) total += partials[b];
        return total;
    }

    /// The smallest i in [0, n) with p(i), or n.
    template <class P>
    static std::size_t find_first(std::size_t n, P p) {
        for (std::size_t i = 0; i < n; ++i)
            if (p(i))
                return i;
        return n;
    }

    /// The engines gemm runs a product on: oneDNN's sgemm, or est's own (matrix_product.hpp), which
    /// allocates nothing after a thread's first product; est's where detail::own_matrix_product_runs
    /// (by default outside for_each_slice's slices; EST_OWN_GEMM=1 everywhere, =0 nowhere).
    enum class gemm_engine { onednn_sgemm, est_product };
    static gemm_engine default_gemm_engine() {
        return detail::own_matrix_product_runs(in_slice()) ? gemm_engine::est_product : gemm_engine::onednn_sgemm;
    }

    /// C(m, n) = alpha * op(A) * op(B) + beta * C for contiguous row-major matrices, where op(A) is
    /// (m, k) and A is stored (k, m) when `transpose_a`, on default_gemm_engine().
    static void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     float const* a, float const* b, float beta, float* c) {
        gemm_on(default_gemm_engine(), transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
    }

    /// gemm on `engine` (est_product only where detail::matrix_product_runs_on_this_cpu()). Each of
    /// est's threads runs one part of C on one thread, split along the longer of m and n for the
    /// sgemm and as detail::matrix_product_splits_rows says for est's product: oneDNN's sgemm
    /// allocates its packing buffers on most calls, est's product nothing after a thread's first
    /// call.
    EST_DECL static void gemm_on(gemm_engine engine, bool transpose_a, bool transpose_b, std::size_t m, std::size_t n,
                                 std::size_t k, float alpha, float const* a, float const* b, float beta, float* c);

    /// Whether C(m, n) = A(m, k) B(n, k)^T runs faster as its transpose, C^T = B A^T, on
    /// default_gemm_engine(). A function of the shape and the engine only, so that runs stay
    /// bit-identical.
    static bool transposed_product_faster(std::size_t m, std::size_t n, std::size_t k) {
        return transposed_product_faster_on(default_gemm_engine(), m, n, k);
    }
    /// est's product transposes the right operand as it packs it and runs over the left one's rows,
    /// so the transpose is faster where it packs the smaller operand: where m < n. oneDNN's sgemm:
    /// for a few columns, or a large B (a dense layer's kernel of a million weights or more), on AVX2
    /// and AVX-512 alike (`host_primitives`' "dense forward" sweep; benchmarks/README.md, "Dense
    /// layers").
    static bool transposed_product_faster_on(gemm_engine engine, std::size_t m, std::size_t n, std::size_t k) {
        if (engine == gemm_engine::est_product)
            return m < n;
        return n < 16 || n * k >= (std::size_t(1) << 20);
    }

    /// A dense layer's inference pass with the bias and activation fused, where it is faster.
    using dense_product = onednn::dense_product;
    template <class Geometry, post_op Op>
    using convolution = onednn::convolution<Geometry, Op>;
    template <class Geometry, pooling_kind Kind>
    using pooling = detail::direct_pooling<host, Geometry, Kind>;
    template <Shape S>
    using layout_converter = onednn::layout_converter<S>;

private:
    static constexpr std::size_t max_ranges = 64;

    static bool& slice_flag() {
        thread_local bool in = false;
        return in;
    }
    /// Marks the calling thread as running a slice while it lives (and restores the mark before).
    struct slice_mark {
        bool before = std::exchange(slice_flag(), true);
        slice_mark() = default;
        slice_mark(slice_mark const&) = delete;
        slice_mark& operator=(slice_mark const&) = delete;
        ~slice_mark() { slice_flag() = before; }
    };

    static void copy_bytes(void* to, void const* from, std::size_t bytes) {
        if (bytes)
            std::memcpy(to, from, bytes);
    }
};

static_assert(Backend<host>);

}  // namespace est

#if defined(EST_DEFINITIONS)
#include <est/host/impl/backend.ipp>
#endif
