// EST_HOST_DEVICE marks the small functions that kernels call (activations, random draws) as
// callable from CUDA device code when nvcc compiles them; for other compilers it is empty.
#pragma once

#if defined(__CUDACC__)
#define EST_HOST_DEVICE __host__ __device__
#else
#define EST_HOST_DEVICE
#endif
