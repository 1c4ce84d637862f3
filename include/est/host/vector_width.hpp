// The host back end's kernel loops, compiled for the widest vector instructions the CPU has. est is
// built for the baseline of its target (x86-64: SSE2) unless a program asks for -march, so its own
// kernels (poolings, activations and their gradients, dropout, the optimizers' updates) would run
// 4 floats at a time on a machine with 8 or 16 lanes, while oneDNN's kernels, generated at run time,
// use them all. So each loop is also compiled for AVX2 with FMA and for AVX-512 (the kernel's body,
// a functor, is inlined into each), and the CPU picks one the first time (function multiversioning,
// by hand so that templates get it). A CPU always runs the same one, so results stay bit-identical
// from run to run; two machines may differ in the last bits (FMA contraction), as oneDNN's do.
#pragma once

#include <cstddef>

// Only where g++ or clang compile the host code for x86-64 below AVX-512 (a build for AVX-512 has
// nothing wider to pick), and not in CUDA translation units, whose host pass est does not tune.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__CUDACC__) && \
    !defined(__AVX512F__)
#define EST_VECTOR_DISPATCH 1
#endif

namespace est::detail {

/// f(i) for i in [begin, end) as the build's baseline compiles it.
template <class F>
[[gnu::flatten]] void loop_baseline(F const& f, std::size_t begin, std::size_t end) {
    F local = f;
    for (std::size_t i = begin; i < end; ++i) local(i);
}

#if defined(EST_VECTOR_DISPATCH)
enum class vector_width { baseline, avx2, avx512 };

/// What this CPU runs, found once.
inline vector_width widest_vector_width() {
    static vector_width const width = [] {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
            __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
            return vector_width::avx512;
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            return vector_width::avx2;
        return vector_width::baseline;
    }();
    return width;
}

template <class F>
[[gnu::flatten, gnu::target("avx2,fma")]] void loop_avx2(F const& f, std::size_t begin, std::size_t end) {
    F local = f;
    for (std::size_t i = begin; i < end; ++i) local(i);
}
template <class F>
[[gnu::flatten, gnu::target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]] void loop_avx512(F const& f,
                                                                                              std::size_t begin,
                                                                                              std::size_t end) {
    F local = f;
    for (std::size_t i = begin; i < end; ++i) local(i);
}
#endif

/// Whether the loops below run vectors of `floats` floats (8: AVX2, 16: AVX-512) in instructions of
/// that width on this CPU.
inline bool runs_vectors_of(std::size_t floats) {
#if defined(EST_VECTOR_DISPATCH)
    auto width = widest_vector_width();
    return floats <= 4 || (floats <= 8 && width != vector_width::baseline) || width == vector_width::avx512;
#else
    (void)floats;
    return true;
#endif
}

/// f(i) for i in [begin, end), on a local copy of f (its fields, pointers and constants, are then
/// known not to change when the kernel stores through its pointers, so the loop vectorizes), in
/// the widest vector instructions this CPU runs.
template <class F>
void vector_loop(F const& f, std::size_t begin, std::size_t end) {
#if defined(EST_VECTOR_DISPATCH)
    switch (widest_vector_width()) {
        case vector_width::avx512:
            return loop_avx512(f, begin, end);
        case vector_width::avx2:
            return loop_avx2(f, begin, end);
        case vector_width::baseline:
            break;
    }
#endif
    loop_baseline(f, begin, end);
}

}  // namespace est::detail
