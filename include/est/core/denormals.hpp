// est::denormals_flushed: the estimator's runs flush denormal floats to zero, as TensorFlow's CPU
// threads do; real training makes denormals, and every x86 operation on one takes a microcode
// assist (benchmarks/README.md, "Denormals flushed"). Elsewhere than x86 it changes nothing.
#pragma once

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__CUDA_ARCH__)
#define EST_FLUSHES_DENORMALS 1
#include <pmmintrin.h>  // _MM_DENORMALS_ZERO_MASK; xmmintrin.h, MXCSR
#endif
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace est {

/// While one lives, the calling thread and the threads of OpenMP's team (which run est's kernels)
/// flush denormals to zero, as results (FTZ) and as inputs (DAZ); threads made meanwhile (an input
/// pipeline's) inherit the setting. Its destructor sets them all back as the calling thread had
/// them. The estimator's train(), evaluate() and each batch of predict() run under one; a program
/// that runs a model and an optimizer itself can hold one too (PyTorch's
/// `torch.set_flush_denormal(True)`).
class denormals_flushed {
public:
    denormals_flushed() { set_everywhere(flush_bits); }
    ~denormals_flushed() { set_everywhere(before_); }
    denormals_flushed(denormals_flushed const&) = delete;
    denormals_flushed& operator=(denormals_flushed const&) = delete;

    /// Whether the calling thread flushes denormals now.
    static bool active() { return (control() & flush_bits) == flush_bits; }

private:
#if defined(EST_FLUSHES_DENORMALS)
    static constexpr unsigned flush_bits = _MM_FLUSH_ZERO_MASK | _MM_DENORMALS_ZERO_MASK;
#else
    static constexpr unsigned flush_bits = 0;
#endif

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
    /// On the calling thread and, outside parallel regions, on the team_ threads of a region (the
    /// destructor reaches the threads the constructor set, whatever the thread count is by then).
    void set_everywhere(unsigned bits) {
        set_here(bits);
#if defined(_OPENMP)
        // Not one thread: libgomp allocates a team for every region of one thread.
        if (team_ > 1) {
#pragma omp parallel num_threads(team_)
            set_here(bits);
        }
#endif
    }

    unsigned before_ = control() & flush_bits;
#if defined(_OPENMP)
    int team_ = omp_get_level() == 0 ? omp_get_max_threads() : 1;
#endif
};

}  // namespace est

#undef EST_FLUSHES_DENORMALS
