// Thrust as est's kernels use it. est passes explicit execution policies (thrust::omp::par on the
// host), so it needs no particular device system; where the including program chose none and is
// not compiled by nvcc, the sequential system keeps Thrust from looking for the CUDA runtime.
#pragma once

#if !defined(THRUST_DEVICE_SYSTEM) && !defined(__CUDACC__)
#define THRUST_DEVICE_SYSTEM THRUST_DEVICE_SYSTEM_CPP
#endif

#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/system/cpp/execution_policy.h>
#if defined(_OPENMP)
#include <thrust/system/omp/execution_policy.h>
#endif
