// A program of an nvcc translation unit and a C++ one that both run a host model
// (mixed_host.hpp). Built twice, the nvcc object linked first (est_mixed_host_nvcc_first: the
// inline functions and templates both units have come from nvcc's compilation) and last
// (est_mixed_host_cpp_first: from the C++ compiler's). Each must run est's vector kernels where
// the CPU has them (an nvcc unit that compiled bodies without kernels once switched them off in
// the whole program, or not, by link order); it prints a hash of the results, which
// tests/cuda/same_output.cmake compares between the two programs. Needs no GPU.
#include "mixed_host.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>

mixed_host::result run_in_cuda_translation_unit();

int main() {
    // The widest vectors est's kernels may run on this CPU, asked of the CPU, not of est's
    // dispatch (at most AVX2's where EST_MAX_CPU_ISA=avx2 holds est there).
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                  __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    std::size_t expected = avx512 && !est::detail::held_at_avx2() ? 16 : avx2 ? 8 : 0;
    auto in_cpp = mixed_host::run();
    auto in_cuda = run_in_cuda_translation_unit();
    std::printf("widest lanes: CPU %zu, C++ unit %zu, nvcc unit %zu\n", expected, in_cpp.lanes, in_cuda.lanes);
    if (in_cpp.lanes != expected || in_cuda.lanes != expected) {
        std::printf("est's vector kernels do not run as the CPU allows in both units\n");
        return 1;
    }
    // FNV-1a over the results' bytes: the two programs must print the same line.
    std::uint64_t hash = 14695981039346656037ull;
    for (float value : in_cpp.values) {
        unsigned char bytes[sizeof value];
        std::memcpy(bytes, &value, sizeof value);
        for (unsigned char b : bytes) hash = (hash ^ b) * 1099511628211ull;
    }
    std::printf("results: %zu values, hash %016llx\n", in_cpp.values.size(), static_cast<unsigned long long>(hash));
    return 0;
}
