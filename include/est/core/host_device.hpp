// EST_HOST_DEVICE marks the small functions that kernels call (activations, random draws) as
// callable from CUDA device code when nvcc compiles them; for other compilers it is empty.
#pragma once

#if defined(__CUDACC__)
#define EST_HOST_DEVICE __host__ __device__
#else
#define EST_HOST_DEVICE
#endif

// EST_VECTORIZE, before a loop over the channels of a block, asks the host compiler to vectorize it
// (OpenMP's `simd`): g++ unrolls a loop of 8 or 16 iterations completely before it would vectorize
// it and leaves the copies scalar (est's pooling over oneDNN's channel blocks ran 5-10 times slower).
// The iterations must be independent. Empty in device code and without OpenMP.
#if defined(_OPENMP) && !defined(__CUDA_ARCH__)
#define EST_VECTORIZE _Pragma("omp simd")
#else
#define EST_VECTORIZE
#endif
