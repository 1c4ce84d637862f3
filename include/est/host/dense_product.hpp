// A dense layer's forward pass at inference, y = op(x K + b), as one oneDNN matmul with the bias
// and the activation fused: its brgemm kernels read the kernel K in the order est stores it, (units,
// inputs) or (inputs, units) row-major, so nothing is reordered, and the separate bias pass over y is
// gone. On AVX-512 it is as fast as the host's sgemm and bias pass or faster from 64 rows and 64 units
// on (1.1 times on the CNN's first dense layer at batch 256, 1.5 on the MLP's second at batch 64),
// except for a kernel of a million weights or more below 256 rows; there, on fewer rows or units,
// and on AVX2 (where oneDNN 2.6 runs the matmul on its gemm) the sgemm is faster
// (`host_primitives`, "Dense layers" and its "dense forward" grid; benchmarks/README.md).
// Where the matmul runs, est::dense stores a kernel of fewer than a million weights (inputs, units)
// (preferred_order()): the MLP's inference, in slices of 128 rows on one thread each, then ran 1.05
// times as fast (benchmarks/README.md, "The MLP's kernels stored (inputs, units)"). In a frozen
// model (est::frozen) the matmul reads a copy of the kernel in the blocked layout it picks: the
// MLP's inference pass took 0.93-0.95 of the time again (benchmarks/README.md, "Frozen models").
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
    /// For a kernel of `inputs` x `units` stored in `order`, and `op` fused after the bias.
    EST_DECL dense_product(std::size_t inputs, std::size_t units, post_op op, kernel_order order);
    dense_product(dense_product const&) = delete;
    dense_product& operator=(dense_product const&) = delete;

    /// Whether forward() is the faster way for a batch of `batch` rows: from 64 rows and 64 units on
    /// (256 rows for a kernel of a million weights or more, which the sgemm's transposed product
    /// runs as fast below that), where oneDNN runs the matmul with its brgemm kernels (AVX-512). A
    /// product to fewer units (a classifier's last layer), on fewer rows, or through oneDNN's
    /// gemm-based matmul (AVX2) is faster as the host's sgemm and bias pass.
    EST_DECL bool faster_at(std::size_t batch);

    /// y (batch, units) = op(x K + b) for x (batch, inputs) and K stored in the constructor's order.
    EST_DECL void forward(float const* x, std::size_t batch, float const* kernel, float const* bias, float* y);

    /// Promises that `kernel`, stored in the constructor's order, keeps its values from now on (an
    /// est::frozen model owns them): the matmul then reads a copy of it in the blocked layout it
    /// picks, reordered at the first forward() that needs that layout and kept for every batch size
    /// that picks the same, and forward() ignores its `kernel` argument.
    EST_DECL void freeze(float const* kernel);

    /// The order a dense layer of `inputs` x `units` stores its kernel in: (inputs, units) where
    /// faster_at holds from 64 rows (oneDNN runs the matmul with its brgemm kernels; from 64 units;
    /// a kernel under a million weights): the MLP's inference slices ran faster so, its whole
    /// training steps as fast; (units, inputs) elsewhere, where the sgemm runs every pass (the CNN's
    /// first dense layer: 1.3 times faster in training than on (inputs, units)). A function of the
    /// shape and the CPU, so that runs stay bit-identical. The first call creates one small matmul
    /// to learn whether oneDNN runs its brgemm kernels here.
    EST_DECL static kernel_order preferred_order(std::size_t inputs, std::size_t units);

private:
    /// The primitive and memory objects for one batch size.
    struct plan {
        std::size_t batch = 0;
        bool brgemm = false;  ///< oneDNN runs it with its brgemm kernels
        primitive matmul;
        memory source, weights, bias, destination, scratchpad;
        std::size_t scratchpad_floats = 0;
        std::size_t frozen_copy = 0;  ///< where frozen: its kernel's copy, in frozen_copies_
    };
    /// The frozen kernel in a layout that a plan's matmul picked; empty until a forward() reads it.
    struct frozen_copy {
        dnnl_memory_desc_t layout;
        host_buffer<float> values;
    };
    static constexpr std::size_t plans_kept = 4;
    /// The matmul runs a product to fewer units (a classifier's last layer) slower than the sgemm.
    static constexpr std::size_t least_units = 64;
    /// From this many weights on, a kernel is large: the sgemm's transposed product runs it as fast
    /// below 256 rows, and in training faster on (units, inputs).
    static constexpr std::size_t large_kernel_weights = std::size_t(1) << 20;

    EST_DECL plan& plan_for(std::size_t batch);
    /// The kernel as it is stored, as the matmul's (inputs, units) weights.
    EST_DECL dnnl_memory_desc_t stored_kernel() const;
    /// The index of the frozen kernel's copy in `layout` (a new, empty one where there is none).
    EST_DECL std::size_t frozen_copy_in(dnnl_memory_desc_t const& layout);
    EST_DECL std::string name() const;
    /// Whether oneDNN runs this machine's matmuls with its brgemm kernels (AVX-512).
    EST_DECL static bool brgemm_runs();

    std::size_t inputs_, units_;
    post_op op_;
    kernel_order order_;
    float const* frozen_kernel_ = nullptr;
    std::vector<plan> plans_;
    std::vector<frozen_copy> frozen_copies_;  // outlive the plans, which keep only plans_kept
    host_buffer<float> scratchpad_;
};

}  // namespace est::onednn

#if defined(EST_DEFINITIONS)
#include <est/host/impl/dense_product.ipp>
#endif
