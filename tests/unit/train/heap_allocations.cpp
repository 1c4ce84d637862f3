// Training allocates no heap memory after its first step: every workspace and optimizer slot is
// sized then. Counted with est_tests' counting operator new (tests/support/heap_allocations.cpp);
// the sanitized build keeps ASan's allocator and leaves this test out.
#if defined(EST_COUNTING_ALLOCATOR)
#include "../../../examples/fashion_mnist_model.hpp"
#include "support/heap_allocations.hpp"

#include <catch2/catch.hpp>

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
    std::size_t before = test::heap_allocations();
    for (int i = 0; i < 3; ++i) train_step();
    std::size_t in_three_steps = test::heap_allocations() - before;  // before INFO, which allocates
    INFO("gemm library: " << est::host::gemm_library);
    CHECK(in_three_steps == 0);
}
#endif
