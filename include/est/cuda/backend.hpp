// est::cuda, the back end for a CUDA device: est's kernels run through Thrust's CUDA system on one
// stream, matrix products through cuBLAS and convolutions through cuDNN (where est was built with
// it; im2col + cuBLAS otherwise) on the same stream, memory comes from a caching allocator over
// cudaMalloc. Only nvcc compiles this header; a host-only program never includes it.
// Failures (no device, a driver older than the runtime, out of memory, a failed kernel) are
// est::error exceptions that name the device and the operation.
#pragma once

#if !defined(__CUDACC__)
#error "est/cuda/backend.hpp is compiled by nvcc only; host programs use est::host"
#endif

#include <est/core/error.hpp>
#include <est/device/backend.hpp>
#include <est/kernels/gemm_convolution.hpp>
#if defined(EST_CUDNN)
#include <est/cuda/cudnn_convolution.hpp>
#endif

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <thrust/system/cuda/execution_policy.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <type_traits>
#include <string_view>

namespace est {

/// CUDA device 0 as a device system: its stream, cuBLAS handle and allocator.
struct cuda_system {
    static constexpr std::string_view name = "cuda";

    static auto policy() { return thrust::cuda::par_nosync.on(context().stream); }
    /// The stream every kernel and copy of the back end runs on.
    static cudaStream_t stream() { return context().stream; }

    /// cuDNN's convolutions where est was built with it (EST_CUDNN) and its symmetric padding fits,
    /// im2col + cuBLAS otherwise.
#if defined(EST_CUDNN)
    template <class B, class G, post_op Op>
    using convolution = std::conditional_t<detail::cudnn_fits<G>, detail::cudnn_convolution<B, G, Op>,
                                           detail::gemm_convolution<B, G, Op>>;
#else
    template <class B, class G, post_op Op>
    using convolution = detail::gemm_convolution<B, G, Op>;
#endif

    static void* try_allocate(std::size_t bytes) {
        context();
        void* block = nullptr;
        cudaError_t status = cudaMalloc(&block, bytes);
        if (status == cudaErrorMemoryAllocation) {
            (void)cudaGetLastError();  // clears the error, so that the next call does not report it
            return nullptr;
        }
        check(status, "cudaMalloc of " + std::to_string(bytes) + " bytes");
        return block;
    }
    static void release(void* block) { (void)cudaFree(block); }
    static std::string describe() { return context().description; }

    static void copy(void* to, void const* from, std::size_t bytes) {
        check(cudaMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToDevice, context().stream), "a device-to-device copy");
    }
    /// Returns once the values are in host memory (and every kernel before the copy has run).
    static void copy_to_host(void* to, void const* from, std::size_t bytes) {
        check(cudaMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToHost, context().stream), "a copy to the host");
        synchronize("a copy to the host");
    }
    /// Returns once the values are on the device, so `from` may be reused: an asynchronous copy may
    /// return before it has read `from`, pinned or pageable (CUDA's "API synchronization behavior").
    /// Steps upload through the pinned staging buffers below; this serves initialisation and restores.
    static void copy_from_host(void* to, void const* from, std::size_t bytes) {
        check(cudaMemcpyAsync(to, from, bytes, cudaMemcpyHostToDevice, context().stream), "a copy to the device");
        synchronize("a copy to the device");
    }

    /// Page-locked host memory, from which copies run without the host waiting.
    static void* allocate_pinned(std::size_t bytes) {
        context();
        void* block = nullptr;
        check(cudaHostAlloc(&block, bytes, cudaHostAllocDefault),
              "allocating " + std::to_string(bytes) + " bytes of page-locked host memory");
        return block;
    }
    static void release_pinned(void* block) { (void)cudaFreeHost(block); }

    /// Marks when a queued copy is done; created on first use.
    using event = cudaEvent_t;
    /// Queues a copy from page-locked memory on the stream and records `done` after it.
    static void copy_from_pinned(void* to, void const* from, std::size_t bytes, event& done) {
        check(cudaMemcpyAsync(to, from, bytes, cudaMemcpyHostToDevice, context().stream), "a copy to the device");
        if (!done)
            check(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "creating an event");
        check(cudaEventRecord(done, context().stream), "recording a copy's event");
    }
    static void wait(event& done) {
        if (done)
            check(cudaEventSynchronize(done), "a copy to the device");
    }
    static void destroy_event(event done) {
        if (done)
            (void)cudaEventDestroy(done);
    }

    /// Waits for every kernel and copy so far; a kernel that failed is reported here.
    static void synchronize(std::string const& what) { check(cudaStreamSynchronize(context().stream), what); }

    /// Row-major C = alpha op(A) op(B) + beta C through column-major cuBLAS: C^T = op(B)^T op(A)^T.
    /// Leading dimensions are at least 1, as cuBLAS requires even where k is 0 (C = beta C).
    static void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     float const* a, float const* b, float beta, float* c) {
        int lda = std::max(1, int(transpose_a ? m : k)), ldb = std::max(1, int(transpose_b ? k : n));
        cublasStatus_t status = cublasSgemm(context().blas, transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                            transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, int(n), int(m), int(k), &alpha, b,
                                            ldb, a, lda, &beta, c, int(n));
        if (status != CUBLAS_STATUS_SUCCESS)
            throw error("est::cuda: cublasSgemm (" + std::to_string(m) + "x" + std::to_string(n) + "x" +
                        std::to_string(k) + ") failed on " + describe() + ": " + cublasGetStatusString(status));
    }

    /// Throws an est::error naming the device and `what` unless `status` is cudaSuccess.
    static void check(cudaError_t status, std::string const& what) {
        if (status != cudaSuccess)
            throw error("est::cuda: " + what + " failed on " + describe() + ": " + cudaGetErrorName(status) + " (" +
                        cudaGetErrorString(status) + ")");
    }

private:
    struct state {
        std::string description;
        cudaStream_t stream = nullptr;
        cublasHandle_t blas = nullptr;

        state() {
            int devices = 0;
            cudaError_t status = cudaGetDeviceCount(&devices);
            if (status != cudaSuccess)
                throw error(std::string("est::cuda: no CUDA device: cudaGetDeviceCount failed with ") +
                            cudaGetErrorName(status) + " (" + cudaGetErrorString(status) +
                            "), as on a machine without an NVIDIA driver or with one older than the CUDA "
                            "runtime est was built with");
            if (devices == 0)
                throw error("est::cuda: no CUDA device is present; build and run the model on est::host");
            cudaDeviceProp properties{};
            if (cudaGetDeviceProperties(&properties, 0) == cudaSuccess)
                description = "CUDA device 0 (" + std::string(properties.name) + ")";
            else
                description = "CUDA device 0";
            raise(cudaSetDevice(0), "selecting the device");
            raise(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "creating a stream");
            raise_blas(cublasCreate(&blas), "creating a cuBLAS handle");
            raise_blas(cublasSetStream(blas, stream), "binding cuBLAS to the stream");
        }
        void raise_blas(cublasStatus_t status, char const* what) const {
            if (status != CUBLAS_STATUS_SUCCESS)
                throw error("est::cuda: " + std::string(what) + " failed on " + description + ": " +
                            cublasGetStatusName(status) + " (" + cublasGetStatusString(status) + ")");
        }
        void raise(cudaError_t status, char const* what) const {
            if (status != cudaSuccess)
                throw error("est::cuda: " + std::string(what) + " failed on " + description + ": " +
                            cudaGetErrorName(status));
        }
        // The handle and stream live as long as the program: the runtime releases them at exit, and
        // destroying them from a static destructor after it has shut down would fail.
    };

    static state& context() {
        static state s;
        return s;
    }
};

/// The CUDA back end (a model of est::Backend with device memory).
using cuda = basic_device<cuda_system>;

static_assert(Backend<cuda>);

/// Why no CUDA device is usable, or "" where one is (for programs that choose a back end at run time,
/// or report themselves skipped without one).
inline std::string cuda_device_problem() {
    int devices = 0;
    cudaError_t status = cudaGetDeviceCount(&devices);
    if (status != cudaSuccess)
        return std::string("cudaGetDeviceCount failed with ") + cudaGetErrorName(status) + " (" +
               cudaGetErrorString(status) + ")";
    return devices > 0 ? "" : "no device is present";
}

/// Whether a CUDA device is usable.
inline bool cuda_device_available() { return cuda_device_problem().empty(); }

}  // namespace est
