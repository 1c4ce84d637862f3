// A dense layer's forward pass at inference, y = op(x K^T + b), as one oneDNN matmul with the bias
// and the activation fused: its brgemm kernels read the kernel K in the layout est stores it, (units,
// inputs) row-major, so nothing is reordered, and the separate bias pass over y is gone. On
// AVX-512 it is as fast as the host's sgemm and bias pass or faster from 64 rows and 64 units on
// (1.1 times on the CNN's first dense layer at batch 256, 1.5 on the MLP's second at batch 64),
// except for a kernel of a million weights or more below 256 rows; there, on fewer rows or units,
// and on AVX2 (where oneDNN 2.6 runs the matmul on its gemm) the sgemm is faster
// (`host_primitives`, "Dense layers" and its "dense forward" grid; benchmarks/README.md).
#pragma once

#include <est/core/config.hpp>
#include <est/core/primitive.hpp>
#include <est/host/onednn.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace est::onednn {

class dense_product {
public:
    EST_DECL dense_product(std::size_t inputs, std::size_t units, post_op op);
    dense_product(dense_product const&) = delete;
    dense_product& operator=(dense_product const&) = delete;

    /// Whether forward() is the faster way for a batch of `batch` rows: from 64 rows and 64 units on
    /// (256 rows for a kernel of a million weights or more, which the sgemm's transposed product
    /// runs as fast below that), where oneDNN runs the matmul with its brgemm kernels (AVX-512). A
    /// product to fewer units (a classifier's last layer), on fewer rows, or through oneDNN's
    /// gemm-based matmul (AVX2) is faster as the host's sgemm and bias pass.
    EST_DECL bool faster_at(std::size_t batch);

    /// y (batch, units) = op(x K^T + b) for x (batch, inputs) and K (units, inputs), row-major.
    EST_DECL void forward(float const* x, std::size_t batch, float const* kernel, float const* bias, float* y);

private:
    /// The primitive and memory objects for one batch size.
    struct plan {
        std::size_t batch = 0;
        bool brgemm = false;  ///< oneDNN runs it with its brgemm kernels
        primitive matmul;
        memory source, weights, bias, destination, scratchpad;
        std::size_t scratchpad_floats = 0;
    };
    static constexpr std::size_t plans_kept = 4;

    EST_DECL plan& plan_for(std::size_t batch);
    EST_DECL std::string name() const;

    std::size_t inputs_, units_;
    post_op op_;
    std::vector<plan> plans_;
    host_buffer<float> scratchpad_;
};

}  // namespace est::onednn

#if defined(EST_DEFINITIONS)
#include <est/host/impl/dense_product.ipp>
#endif
