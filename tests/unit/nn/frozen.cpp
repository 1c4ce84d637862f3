// est::frozen: an inference copy of a trained model computes what the model computes (its dense
// kernels read in the matmul's blocked layout where the host runs the matmul), keeps the values it
// was frozen with while the model trains on, gives back its parameters canonically, and runs on a
// back end without a fused product and with its own memory (the emulated device) too.
#include "../../../examples/fashion_mnist_model.hpp"
#include "support/kernel_order.hpp"
#include "support/omp_threads.hpp"

#include <est/device/emulated.hpp>
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <type_traits>
#include <vector>

namespace {

/// Batch normalisation (state the snapshot must carry), and dense layers of 64 units and more (the
/// matmul's, from 64 rows on) and fewer.
template <class B>
using small_model =
    est::basic_sequential<B, est::input<6, 6, 4>, est::conv2d<8, 3, est::same, est::relu>, est::batch_norm<>,
                          est::flatten, est::dense<96, est::relu>, est::dense<64, est::tanh>, est::dense<5>>;

template <class Net>
est::batch_tensor<float, typename Net::input_shape_type> random_inputs(std::size_t batch, std::uint64_t seed) {
    est::random_engine engine(seed);
    est::batch_tensor<float, typename Net::input_shape_type> x(batch);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);
    return x;
}

/// Moving statistics other than their initial values, so that inference reads them.
template <class Net>
void perturb_state(Net& net) {
    est::random_engine engine(3);
    for (auto const& p : net.parameters())
        if (p.spec.kind == est::parameter_kind::state) {
            std::vector<float> values(p.spec.size);
            for (auto& v : values) v = engine.uniform(0.5f, 1.5f);
            net.write(p, values);
        }
}

void check_close(auto const& output, std::vector<float> const& expected) {
    REQUIRE(output.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("output " << i);
        CHECK(output.data[i] == Approx(expected[i]).epsilon(1e-5).margin(1e-5));
    }
}

/// The frozen model's output against the model's, at batch sizes on either side of the matmul's 64
/// rows, in slices (two threads) and not, and at more batch sizes than the matmul keeps plans for.
template <class Net>
void check_against_model(int threads) {
    test::omp_threads use(threads);
    Net net;
    net.initialize(11);
    perturb_state(net);
    est::frozen<Net> served(net);
    for (std::size_t batch : {1, 63, 64, 100, 128, 200, 256, 64, 1}) {
        INFO("batch " << batch << ", " << threads << " threads");
        auto x = random_inputs<Net>(batch, batch);
        auto y = net(x, est::predict).value;
        std::vector<float> expected(y.data, y.data + y.size());
        auto frozen_y = served(x, est::predict);
        static_assert(std::is_same_v<decltype(frozen_y), decltype(y)>);
        REQUIRE(frozen_y.batch == batch);
        check_close(frozen_y, expected);
        check_close(served(x, est::eval), expected);
    }
}

}  // namespace

TEST_CASE("a frozen model computes what the model computes", "[frozen][dense]") {
    for (int threads : {1, 2}) {
        check_against_model<small_model<est::host>>(threads);
        check_against_model<fashion_mnist::mlp>(threads);
        // Both kernel orders through the fused matmul on every CPU (oneDNN's gemm-based matmul
        // where it has no brgemm kernels).
        check_against_model<small_model<test::host_with_kernels<est::kernel_order::inputs_major, true>>>(threads);
        check_against_model<small_model<test::host_with_kernels<est::kernel_order::units_major, true>>>(threads);
        check_against_model<fashion_mnist::mlp::on<test::host_with_kernels<est::kernel_order::units_major, true>>>(
            threads);
    }
}

TEST_CASE("a frozen model keeps the values it was frozen with", "[frozen]") {
    using net_type = small_model<est::host>;
    net_type net;
    net.initialize(2);
    perturb_state(net);
    auto x = random_inputs<net_type>(128, 9);
    auto before = net(x, est::predict).value;
    std::vector<float> expected(before.data, before.data + before.size());
    est::frozen<net_type> served(net);
    REQUIRE(served.parameters().size() == net.parameters().size());
    for (std::size_t i = 0; i < net.parameters().size(); ++i) {
        INFO(net.parameters()[i].name);
        CHECK(served.parameters()[i].name == net.parameters()[i].name);
        CHECK(served.read(served.parameters()[i]) == net.read(net.parameters()[i]));
    }

    // The model is written by name and through its arena: the frozen copy does not move, before or
    // after its first pass.
    std::vector<float> zeros(net.parameter("4_dense/kernel").spec.size, 0.0f);
    net.write(net.parameter("4_dense/kernel"), zeros);
    check_close(served(x, est::predict), expected);
    for (std::size_t i = 0; i < net.trainable_size(); ++i) net.values()[i] += 0.5f;
    check_close(served(x, est::predict), expected);
    auto after = net(x, est::predict).value;
    CHECK(after.data[0] != Approx(expected[0]).epsilon(1e-5));
}

TEST_CASE("a frozen model runs on a device back end", "[frozen]") {
    using device = est::emulated_device;
    using net_type = small_model<device>;
    net_type net;
    net.initialize(4);
    perturb_state(net);
    constexpr std::size_t batch = 70;
    auto host_x = random_inputs<net_type>(batch, 5);
    est::buffer<float, device> x(host_x.size());
    device::copy_from_host(x.data(), host_x.data(), host_x.size() * sizeof(float));
    est::batch_view<float const, net_type::input_shape_type, est::device_memory> features{x.data(), batch};
    auto to_host = [](auto y) {
        std::vector<float> out(y.size());
        device::copy_to_host(out.data(), y.data, y.size() * sizeof(float));
        return out;
    };
    auto expected = to_host(net(features, est::predict).value);
    est::frozen<net_type> served(net);
    auto got = to_host(served(features, est::predict));
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("output " << i);
        CHECK(got[i] == Approx(expected[i]).epsilon(1e-5).margin(1e-5));
    }
}
