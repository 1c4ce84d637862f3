// est::denormals_flushed: while one lives, the host threads that run est's kernels (the calling
// thread and OpenMP's) flush denormal floats to zero, as results (FTZ) and as inputs (DAZ), as
// TensorFlow's CPU threads do; its destructor sets them back as the calling thread had them. The
// estimator's train(), evaluate() and predict() run under one. Real training makes denormals:
// Adam's first moment of a value whose gradient stays 0 (a ReLU unit that no example activates)
// shrinks by beta1 each step, down through the denormal range, where every x86 operation on it
// takes a microcode assist. After one epoch of the flagship CNN a quarter of dense1's first
// moments were denormal, and its updates took about twice the time (benchmarks/README.md,
// "Denormals flushed"). Elsewhere than x86 it changes nothing.
#pragma once

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__CUDA_ARCH__)
#define EST_FLUSHES_DENORMALS 1
#include <xmmintrin.h>
#endif
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace est {

class denormals_flushed {
public:
    denormals_flushed() { set_everywhere(flush_bits); }
    ~denormals_flushed() { set_everywhere(before_); }
    denormals_flushed(denormals_flushed const&) = delete;
    denormals_flushed& operator=(denormals_flushed const&) = delete;

    /// Whether the calling thread flushes denormals now.
    static bool active() { return (control() & flush_bits) == flush_bits; }

private:
    static constexpr unsigned flush_bits = 0x8040;  // MXCSR's flush-to-zero (bit 15) and denormals-are-zero (6)

    static unsigned control() {
#if defined(EST_FLUSHES_DENORMALS)
        return _mm_getcsr();
#else
        return 0;
#endif
    }
    /// Sets the two bits as in `bits` on this thread, leaving its other settings (rounding,
    /// exception masks).
    static void set_here([[maybe_unused]] unsigned bits) {
#if defined(EST_FLUSHES_DENORMALS)
        _mm_setcsr((_mm_getcsr() & ~flush_bits) | (bits & flush_bits));
#endif
    }
    /// On the calling thread and on every thread of an OpenMP team of the size est's kernels use.
    static void set_everywhere(unsigned bits) {
        set_here(bits);
#if defined(_OPENMP)
        if (!omp_in_parallel()) {
#pragma omp parallel
            set_here(bits);
        }
#endif
    }

    unsigned before_ = control() & flush_bits;
};

}  // namespace est

#undef EST_FLUSHES_DENORMALS
