// est::frozen: an inference copy of a trained model computes what the model computes (its dense
// kernels read in the matmul's blocked layout where the host runs the matmul), reaches every dense
// layer (also the slices' copies made later), keeps the values it was frozen with while the model
// trains on, gives back its parameters canonically, moves, and runs on a back end without a fused
// product and with its own memory (the emulated device) too.
#include "../../../examples/fashion_mnist_model.hpp"
#include "support/kernel_order.hpp"
#include "support/omp_threads.hpp"

#include <est/device/emulated.hpp>
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
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

/// est::host with every dense layer on the fused matmul (on every CPU), counting the kernels frozen.
struct freeze_counting_host : est::host {
    static inline std::atomic<int> freezes = 0;
    struct dense_product : est::host::dense_product {
        using est::host::dense_product::dense_product;
        bool faster_at(std::size_t) { return true; }
        void freeze(float const* kernel) {
            ++freezes;
            est::host::dense_product::freeze(kernel);
        }
    };
};

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

TEMPLATE_TEST_CASE("a frozen model keeps the values it was frozen with", "[frozen]", est::host,
                   (test::host_with_kernels<est::kernel_order::inputs_major, true>)) {
    using net_type = small_model<TestType>;
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
    // after its first pass, nor when it is moved.
    std::vector<float> zeros(net.parameter("4_dense/kernel").spec.size, 0.0f);
    net.write(net.parameter("4_dense/kernel"), zeros);
    check_close(served(x, est::predict), expected);
    for (std::size_t i = 0; i < net.trainable_size(); ++i) net.values()[i] += 0.5f;
    check_close(served(x, est::predict), expected);
    auto moved = std::move(served);
    check_close(moved(x, est::predict), expected);
    CHECK(moved.read(moved.parameter("4_dense/kernel")) != zeros);
    auto after = net(x, est::predict).value;
    CHECK(after.data[0] != Approx(expected[0]).epsilon(1e-5));
}

TEST_CASE("freezing reaches every dense layer, also in the slices made later", "[frozen]") {
    using net_type = fashion_mnist::mlp::on<freeze_counting_host>;
    net_type net;
    net.initialize(1);
    freeze_counting_host::freezes = 0;
    est::frozen<net_type> served(net);
    CHECK(freeze_counting_host::freezes == 3);
    test::omp_threads two(2);
    REQUIRE(est::host::inference_slices(256) == 2);
    auto x = random_inputs<net_type>(256, 1);
    auto y = net(x, est::predict).value;
    std::vector<float> expected(y.data, y.data + y.size());
    check_close(served(x, est::predict), expected);
    CHECK(freeze_counting_host::freezes == 6);  // the second slice's copy of the layers
    check_close(served(x, est::predict), expected);
    CHECK(freeze_counting_host::freezes == 6);
}

TEST_CASE("a frozen dense product reads its own copy of the kernel", "[frozen][dense]") {
    constexpr std::size_t inputs = 96, units = 64;
    est::random_engine engine(21);
    std::vector<float> kernel(inputs * units), bias(units), x(256 * inputs);
    for (auto* values : {&kernel, &bias, &x})
        for (auto& v : *values) v = engine.uniform(-1.0f, 1.0f);
    for (auto order : {est::kernel_order::units_major, est::kernel_order::inputs_major}) {
        est::host::dense_product product(inputs, units, est::post_op::relu, order);
        est::host::dense_product frozen_product(inputs, units, est::post_op::relu, order);
        frozen_product.freeze(kernel.data());
        for (std::size_t batch : {1, 64, 100, 256, 64}) {
            INFO("batch " << batch << ", kernel order " << int(order));
            std::vector<float> expected(batch * units), got(batch * units);
            product.forward(x.data(), batch, kernel.data(), bias.data(), expected.data());
            frozen_product.forward(x.data(), batch, nullptr, bias.data(), got.data());
            REQUIRE(std::any_of(expected.begin(), expected.end(), [](float v) { return v > 0.0f; }));
            for (std::size_t i = 0; i < got.size(); ++i)
                REQUIRE(got[i] == Approx(expected[i]).epsilon(1e-5).margin(1e-5));
        }
    }
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
