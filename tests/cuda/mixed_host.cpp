// A program of an nvcc translation unit and a C++ one that both run a host model
// (mixed_host.hpp): each must run est's vector kernels where the CPU has them (an nvcc unit that
// compiled other bodies for est's inline functions once switched them off in the whole program,
// or in either unit, depending on the link order) and both must compute the same bits. Needs no
// GPU.
#include "mixed_host.hpp"

#include <cstdio>

mixed_host::result run_in_cuda_translation_unit();

int main() {
    // The widest vectors est's kernels run on this CPU, asked of the CPU, not of est.
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                  __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    std::size_t expected = avx512 ? 16 : avx2 ? 8 : 0;
    auto in_cpp = mixed_host::run();
    auto in_cuda = run_in_cuda_translation_unit();
    std::printf("widest lanes: CPU %zu, C++ unit %zu, nvcc unit %zu; %zu values\n", expected, in_cpp.lanes,
                in_cuda.lanes, in_cpp.values.size());
    int status = 0;
    if (in_cpp.lanes != expected || in_cuda.lanes != expected) {
        std::printf("est's vector kernels do not run as the CPU allows in both units\n");
        status = 1;
    }
    if (in_cpp.values.size() != in_cuda.values.size() ||
        std::memcmp(in_cpp.values.data(), in_cuda.values.data(), in_cpp.values.size() * sizeof(float)) != 0) {
        std::printf("the two units computed different results\n");
        status = 1;
    }
    return status;
}
