// Training allocates no heap memory after its first step: every workspace and optimizer slot is
// sized then. Counted with est_tests' counting operator new (tests/support/heap_allocations.cpp);
// the sanitized build keeps ASan's allocator and leaves this test out.
#if defined(EST_COUNTING_ALLOCATOR)
#include "../../../examples/fashion_mnist_model.hpp"
#include "support/heap_allocations.hpp"

#include <catch2/catch.hpp>

#include <vector>

TEST_CASE("training the benchmark's CNN allocates no heap memory after step 1", "[train][allocation]") {
    fashion_mnist::cnn net;
    net.initialize(3);
    est::random_engine engine(5);
    est::batch_tensor<float, est::shape<28, 28, 1>> images(64);
    est::batch_tensor<std::int32_t, est::shape<>> labels(64);
    for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = engine.normal();
    for (std::size_t i = 0; i < labels.size(); ++i) labels.data()[i] = std::int32_t(engine.below(10));
    est::adam<>::slots slots;
    std::uint64_t step = 0;
    auto train_step = [&] {
        net.begin_step(step);
        auto loss = est::sparse_softmax_cross_entropy(labels, net(images, est::train));
        est::adam(0.001f).minimize(loss).run(slots, step++);
    };

    train_step();
    std::vector<est::gemm_shape> gemms;
    {
        est::gemm_trace trace;  // its own recording allocates, so this step is not counted
        train_step();
        gemms = trace.shapes();
    }
    REQUIRE(!gemms.empty());

    std::size_t before = test::heap_allocations();
    train_step();
    train_step();
    std::size_t in_two_steps = test::heap_allocations() - before;

    // The GEMM library's own allocations inside its calls (oneDNN's sgemm makes small ones for its
    // parallel regions; OpenBLAS none) are not est's: replaying the same GEMMs counts them.
    std::size_t largest = 0;
    for (auto const& g : gemms) largest = std::max({largest, g.m * g.k, g.k * g.n, g.m * g.n});
    std::vector<float> a(largest, 0.5f), b(largest, 0.25f), c(largest);
    before = test::heap_allocations();
    for (int round = 0; round < 2; ++round)
        for (auto const& g : gemms)
            est::host::gemm(g.transpose_a, g.transpose_b, g.m, g.n, g.k, 1.0f, a.data(), b.data(), 0.0f, c.data());
    std::size_t in_gemm_library = test::heap_allocations() - before;

    INFO("gemm library: " << est::host::gemm_library << ", its allocations in two steps' GEMMs: " << in_gemm_library);
    CHECK(in_two_steps == in_gemm_library);
}
#endif
