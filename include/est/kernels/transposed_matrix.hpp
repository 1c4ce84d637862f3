// A matrix parameter stored as its transpose, on any back end: dense kernels stored (units,
// inputs) ((inputs, units) in checkpoints; nn/dense.hpp) and cuDNN's convolution kernels ((window,
// window, channels, filters) in checkpoints, (filters, window, window, channels) in the arena).
#pragma once

#include <est/core/host_device.hpp>
#include <est/core/parameter.hpp>

#include <cstddef>

namespace est::detail {

/// to[c, r] <- from[r, c] for a rows x cols row-major matrix.
struct transpose {
    float const* from;
    float* to;
    std::size_t rows, cols;
    EST_HOST_DEVICE void operator()(std::size_t r, std::size_t c) const { to[c * rows + r] = from[r * cols + c]; }
};

/// A (rows, cols) canonical matrix stored as its transpose, in B's memory.
template <class B>
class transposed_matrix final : public parameter_layout {
public:
    transposed_matrix(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols) {}
    std::size_t stored_size() const override { return rows_ * cols_; }
    void to_canonical(float const* stored, float* canonical) const override {
        B::for_each_2d(cols_, rows_, transpose{stored, canonical, cols_, rows_});
    }
    void from_canonical(float const* canonical, float* stored) const override {
        B::for_each_2d(rows_, cols_, transpose{canonical, stored, rows_, cols_});
    }

private:
    std::size_t rows_, cols_;
};

}  // namespace est::detail
