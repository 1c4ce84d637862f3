// The device back end's code, run on the host (est::emulated_device: Thrust's OpenMP system, device
// memory from the caching allocator, im2col convolutions), against est::host: tests/support/parity.hpp.
#include <est/device/emulated.hpp>
#include <est/est.hpp>

#include <support/parity.hpp>

#include <catch2/catch.hpp>

#include <vector>

TEST_CASE("the device code path matches the host back end for every layer, loss, metric and optimizer") {
    auto report = parity::run<est::emulated_device>();
    REQUIRE(report.results().size() > 100);
    for (auto const& result : report.results()) {
        INFO(result.name << ": relative error " << result.error);
        CHECK(result.passed);
    }
}

TEST_CASE("device buffers are reused: a steady training step asks the device for no memory") {
    using net = parity::cnn::on<est::emulated_device>;
    auto& allocator = est::emulated_device::allocator();
    net model;
    model.initialize(1);
    est::buffer<float, est::emulated_device> x(8 * net::input_shape_type::size);
    est::buffer<std::int64_t, est::emulated_device> y(8);
    est::fill<est::emulated_device>(x.data(), x.size(), 0.5f);
    est::fill<est::emulated_device>(y.data(), y.size(), std::int64_t(3));
    est::optimizer_slots<est::adam<>, net> slots;
    std::vector<std::size_t> allocations;
    for (std::uint64_t step = 0; step < 4; ++step) {
        auto loss = est::sparse_softmax_cross_entropy(
            est::batch_view<std::int64_t const, est::shape<>, est::device_memory>{y.data(), 8},
            model(est::batch_view<float const, net::input_shape_type, est::device_memory>{x.data(), 8}, est::train));
        est::adam(0.001f).minimize(loss).run(slots, step);
        allocations.push_back(allocator.device_allocations());
    }
    CHECK(allocations[1] == allocations[0]);
    CHECK(allocations[3] == allocations[1]);
}

TEST_CASE("the caching allocator rounds requests to size classes and reuses freed blocks") {
    using allocator = est::detail::caching_allocator<est::emulated_device_system>;
    STATIC_REQUIRE(allocator::size_class(1) == 512);
    STATIC_REQUIRE(allocator::size_class(513) == 1024);
    STATIC_REQUIRE(allocator::size_class((1 << 20) + 1) == 2 << 20);
    allocator cache;
    void* a = cache.allocate(1000);
    cache.deallocate(a, 1000);
    void* b = cache.allocate(900);
    CHECK(b == a);
    CHECK(cache.device_allocations() == 1);
    void* c = cache.allocate(900);
    CHECK(c != a);
    CHECK(cache.device_allocations() == 2);
    cache.deallocate(b, 900);
    cache.deallocate(c, 900);
    CHECK(cache.reserved_bytes() == 2048);
    cache.release_cached();
    CHECK(cache.reserved_bytes() == 0);
    CHECK_THROWS_WITH(cache.deallocate(&cache, 8), Catch::Contains("not allocated by est's allocator"));
}
