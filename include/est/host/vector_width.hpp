// The host back end's kernel loops, compiled for the widest vector instructions the CPU has. est is
// built for the baseline of its target (x86-64: SSE2) unless a program asks for -march, so its own
// kernels (poolings, activations and their gradients, dropout, the optimizers' updates) would run
// 4 floats at a time on a machine with 8 or 16 lanes, while oneDNN's kernels, generated at run time,
// use them all. So each loop is also compiled for AVX2 with FMA and for AVX-512 (the kernel's body,
// a functor, is inlined into each), and the CPU picks one the first time (function multiversioning,
// by hand so that templates get it). A CPU always runs the same one, so results stay bit-identical
// from run to run; two machines may differ in the last bits (FMA contraction), as oneDNN's do.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <type_traits>

// Only where g++ or clang compile the host code for x86-64 below AVX-512 (a build for AVX-512 has
// nothing wider to pick). CUDA translation units too (nvcc hands their host code to g++ or clang):
// the inline functions here and the kernels that call them have one definition in a program, and
// a program of nvcc and C++ units must not get the bodies without kernels from whichever unit the
// linker reads first (that switched est's kernels off in the whole program; tests/cuda/mixed_host).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__AVX512F__)
#define EST_VECTOR_DISPATCH 1
#endif

// EST_AVX512_LOGIC_ON_AVX2, a test build's switch (tests/CMakeLists.txt, est_tests_avx512_logic):
// the AVX-512 copies of est's kernels compiled for AVX2 and picked on any CPU with AVX2 and FMA,
// g++ splitting each vector of 16 floats in two, so that their logic (tiles, panels and blocks 16
// lanes wide) is tested where no CPU has AVX-512. Nothing else defines it.
#if defined(EST_AVX512_LOGIC_ON_AVX2)
#define EST_AVX512_TARGET "avx2,fma"
#else
#define EST_AVX512_TARGET "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"
#endif

namespace est::detail {

// Before a loop whose iterations are independent: g++ vectorizes it without checking at run time
// whether its pointers overlap (a check in every line of 16 floats). Nothing for clang, whose
// `assume_safety` turns a loop it cannot vectorize into a warning.
#if defined(__GNUC__) && !defined(__clang__)
#define EST_INDEPENDENT_ITERATIONS _Pragma("GCC ivdep")
#else
#define EST_INDEPENDENT_ITERATIONS
#endif

/// A for_each kernel that declares the arrays it streams (`f.streams()`, a
/// detail::streamed_arrays): an optimizer's update, whose arenas (the CNN's: 92 MB read and written
/// a step) the rest of a training step pushes out of the caches. The loops below fetch their lines
/// prefetch_distance elements ahead, where host::for_each finds them streamed_elements long or
/// longer (benchmarks/README.md, "The optimizer's update fetched ahead").
template <class F>
concept streaming_kernel = requires(F const& f) {
    f.streams().read;
    f.streams().written;
};

/// Elements ahead a streaming kernel's lines are fetched: 2 KiB of each of its arrays (1 and 4 KiB
/// were slower in a training step).
inline constexpr std::size_t prefetch_distance = 512;

/// Elements from which a streaming kernel's arrays are fetched ahead (host::for_each): 4 MiB an
/// array, twice a core's L2 cache here. Smaller arrays are still in the caches when the update
/// begins, and fetching ahead slowed it: the MLP's update (235,146 values) took 139 µs in a step
/// against 82 without.
inline constexpr std::size_t streamed_elements = std::size_t(1) << 20;

/// A streaming kernel run as a plain one, its arrays not fetched ahead.
template <class F>
struct unstreamed {
    F kernel;
    void operator()(std::size_t i) const { kernel(i); }
};

/// f(i) for i in [begin, end) on `local`, the loop function's copy of the kernel: a streaming
/// kernel runs a cache line of 16 floats at a time, each line fetching one line of each array
/// ahead (its iterations are independent: for_each runs them on any thread in any order).
template <class F>
[[gnu::always_inline]] inline void run_loop(F& local, std::size_t begin, std::size_t end) {
    if constexpr (streaming_kernel<F>) {
        constexpr std::size_t line = 16;
        auto const arrays = local.streams();
        std::size_t i = begin;
        for (; i + line <= end; i += line) {
            if (end - i > prefetch_distance) {
                for (float const* read : arrays.read)
                    if (read)
                        __builtin_prefetch(read + i + prefetch_distance, 0, 3);
                for (float* written : arrays.written)
                    if (written)
                        __builtin_prefetch(written + i + prefetch_distance, 1, 3);
            }
            EST_INDEPENDENT_ITERATIONS
            for (std::size_t j = i; j < i + line; ++j) local(j);
        }
        for (; i < end; ++i) local(i);
    } else {
        for (std::size_t i = begin; i < end; ++i) local(i);
    }
}

/// f(i) for i in [begin, end) as the build's baseline compiles it.
template <class F>
[[gnu::flatten]] void loop_baseline(F const& f, std::size_t begin, std::size_t end) {
    F local = f;
    run_loop(local, begin, end);
}

/// Whether EST_MAX_CPU_ISA=avx2 (in any case) holds est's kernels at AVX2, so that an AVX-512
/// machine can test the AVX2 kernels too.
inline bool held_at_avx2() {
    static bool const held = [] {
        char const* cap = std::getenv("EST_MAX_CPU_ISA");
        std::string_view wanted = "avx2";
        return cap && std::string_view(cap).size() == wanted.size() &&
               std::equal(wanted.begin(), wanted.end(), cap, [](char a, char b) { return a == (b | 0x20); });
    }();
    return held;
}

#if defined(EST_VECTOR_DISPATCH)
enum class vector_width { baseline, avx2, avx512 };

/// What this CPU runs, found once; at most AVX2 where held_at_avx2().
inline vector_width widest_vector_width() {
    static vector_width const width = [] {
        __builtin_cpu_init();
        bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#if defined(EST_AVX512_LOGIC_ON_AVX2)
        bool avx512 = avx2;
#else
        bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
#endif
        if (!held_at_avx2() && avx512)
            return vector_width::avx512;
        return avx2 ? vector_width::avx2 : vector_width::baseline;
    }();
    return width;
}

template <class F>
[[gnu::flatten, gnu::target("avx2,fma")]] void loop_avx2(F const& f, std::size_t begin, std::size_t end) {
    F local = f;
    run_loop(local, begin, end);
}
template <class F>
[[gnu::flatten, gnu::target(EST_AVX512_TARGET)]] void loop_avx512(F const& f, std::size_t begin, std::size_t end) {
    F local = f;
    run_loop(local, begin, end);
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

/// Floats in a vector of the widest instructions est's own kernels (matrix_product.hpp, the
/// Winograd convolutions) run on this CPU: 16 (AVX-512), 8 (AVX2 with FMA), or 0 where it has
/// neither and they do not run.
inline std::size_t widest_lanes() {
#if defined(EST_VECTOR_DISPATCH)
    switch (widest_vector_width()) {
        case vector_width::avx512:
            return 16;
        case vector_width::avx2:
            return 8;
        case vector_width::baseline:
            return 0;
    }
    return 0;
#elif defined(__AVX512F__)
    return held_at_avx2() ? 8 : 16;
#elif defined(__AVX2__) && defined(__FMA__)
    return 8;
#else
    return 0;
#endif
}

/// Whether the kernels of est's that the environment variable `off_switch` names run: where
/// widest_lanes() is not 0, unless that variable is "0" (for comparisons with oneDNN's).
inline bool vector_kernels_run(char const* off_switch) {
    char const* setting = std::getenv(off_switch);
    if (setting && std::string_view(setting) == "0")
        return false;
    return widest_lanes() != 0;
}

/// GCC's vector of `Lanes` floats: one AVX2 register (8) or one AVX-512 register (16).
template <std::size_t Lanes>
struct vector_of;
template <>
struct vector_of<8> {
    typedef float type __attribute__((vector_size(32)));
};
template <>
struct vector_of<16> {
    typedef float type __attribute__((vector_size(64)));
};

template <std::size_t Lanes>
using lanes_constant = std::integral_constant<std::size_t, Lanes>;

// f(lanes_constant<Lanes>{}) with all of f inlined into a function compiled for that width, where
// the build can compile it.
#if defined(EST_VECTOR_DISPATCH)
#define EST_LANES_8_TARGET gnu::target("avx2,fma")
#define EST_LANES_16_TARGET gnu::target(EST_AVX512_TARGET)
#else
#define EST_LANES_8_TARGET
#define EST_LANES_16_TARGET
#endif
#if defined(EST_VECTOR_DISPATCH) || defined(__AVX2__)
template <class F>
[[gnu::flatten, EST_LANES_8_TARGET]] void with_lanes_8(F&& f) {
    f(lanes_constant<8>{});
}
#endif
#if defined(EST_VECTOR_DISPATCH) || defined(__AVX512F__)
template <class F>
[[gnu::flatten, EST_LANES_16_TARGET]] void with_lanes_16(F&& f) {
    f(lanes_constant<16>{});
}
#endif
#undef EST_LANES_8_TARGET
#undef EST_LANES_16_TARGET
#undef EST_AVX512_TARGET
#undef EST_INDEPENDENT_ITERATIONS

/// f(lanes_constant<widest_lanes()>{}), compiled for those vectors. f is a generic lambda or
/// functor whose body is the kernel: everything it calls is inlined into the copy for each width.
/// Callers run it only where widest_lanes() is not 0 (elsewhere they run something else); a
/// translation unit that cannot compile the kernels (not x86-64, or not g++ or clang) throws
/// rather than leave the kernel's output unwritten.
template <class F>
void with_widest_vectors(F&& f) {
    switch (widest_lanes()) {
#if defined(EST_VECTOR_DISPATCH) || defined(__AVX512F__)
        case 16:
            return with_lanes_16(f);
#endif
#if defined(EST_VECTOR_DISPATCH) || defined(__AVX2__)
        case 8:
            return with_lanes_8(f);
#endif
        default:
            throw std::logic_error("est: a kernel for AVX2 or AVX-512 was called where it is not compiled");
    }
}

}  // namespace est::detail
