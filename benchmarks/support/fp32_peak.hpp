// The machine's FP32 peak, measured in the benchmark's own process: 12 independent chains of
// multiply-adds on every OpenMP thread, enough to keep the FMA units busy. One body for both vector
// widths, compiled for AVX2 + FMA and for AVX-512 whatever flags the rest of the program has (g++
// contracts `a * b + c` to one FMA under -std=gnu++20, est's own targets' dialect).
#pragma once

#include <est/host/backend.hpp>

#include <algorithm>
#include <chrono>

namespace bench {

namespace detail {

using floats8 = float __attribute__((vector_size(32)));
using floats16 = float __attribute__((vector_size(64)));
constexpr long fma_steps = 2'000'000;
constexpr int fma_chains = 12;

template <class Vector>
[[gnu::always_inline]] inline float run_fma_chains() {
    Vector acc[fma_chains];
    for (int i = 0; i < fma_chains; ++i) acc[i] = Vector{} + (1.0f + 1e-3f * float(i));
    Vector scale = Vector{} + 0.999999f, offset = Vector{} + 1e-7f;
    for (long s = 0; s < fma_steps; ++s)
        for (int i = 0; i < fma_chains; ++i) acc[i] = acc[i] * scale + offset;
    float sum = 0.0f;
    for (int i = 0; i < fma_chains; ++i)
        for (std::size_t l = 0; l < sizeof(Vector) / sizeof(float); ++l) sum += acc[i][l];
    return sum;
}
[[gnu::target("avx2,fma")]] inline float fma_chains_avx2() { return run_fma_chains<floats8>(); }
[[gnu::target("avx512f")]] inline float fma_chains_avx512() { return run_fma_chains<floats16>(); }

/// GFLOP/s of one round of `chains` (`lanes` floats a vector) on every OpenMP thread.
inline double fma_rate(float (*chains)(), int lanes) {
    auto start = std::chrono::steady_clock::now();
    float sink = 0.0f;
#pragma omp parallel reduction(+ : sink)
    sink += chains();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    volatile float keep = sink;
    (void)keep;
    return 2.0 * double(fma_steps) * fma_chains * lanes * est::host::threads() / seconds / 1e9;
}

}  // namespace detail

/// FP32 GFLOP/s of one round of the FMA chains on every thread: the better of AVX2 and (where the
/// CPU has it) AVX-512. Callers take the best of rounds spread over their run.
inline double fp32_peak_gflops() {
    double best = detail::fma_rate(detail::fma_chains_avx2, 8);
    if (__builtin_cpu_supports("avx512f"))
        best = std::max(best, detail::fma_rate(detail::fma_chains_avx512, 16));
    return best;
}

}  // namespace bench
