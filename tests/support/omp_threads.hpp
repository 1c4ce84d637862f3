// OpenMP's thread count set for a scope and restored at its end, also where a check throws out of
// it: tests that compare runs on different numbers of threads.
#pragma once

#include <omp.h>

namespace test {

class omp_threads {
public:
    explicit omp_threads(int threads) : previous_(omp_get_max_threads()) { omp_set_num_threads(threads); }
    ~omp_threads() { omp_set_num_threads(previous_); }
    omp_threads(omp_threads const&) = delete;
    omp_threads& operator=(omp_threads const&) = delete;

private:
    int previous_;
};

}  // namespace test
