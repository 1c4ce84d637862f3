// Sums over the rows of a matrix, per column (a bias gradient: dy summed over the batch and the
// positions), as one GEMM with a row of ones: on the back end's BLAS, and in an order that does not
// depend on the number of threads.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/buffer.hpp>

#include <cstddef>

namespace est::detail {

/// out[c] = sum over r of m[r, c] for a rows x cols row-major matrix in B's memory.
template <class B>
class column_sums {
public:
    void operator()(float const* m, std::size_t rows, std::size_t cols, float* out) {
        if (ones_.size() < rows) {
            ones_.resize(rows);
            fill<B>(ones_.data(), rows, 1.0f);
        }
        B::gemm(false, false, 1, cols, rows, 1.0f, ones_.data(), m, 0.0f, out);
    }

private:
    buffer<float, B> ones_;  // grows to the most rows seen
};

}  // namespace est::detail
