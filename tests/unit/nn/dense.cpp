#include "support/kernel_order.hpp"
#include "unit/nn/gradient_check.hpp"

TEST_CASE("dense: shapes, parameters and MACs are compile-time", "[nn][dense]") {
    using layer = est::dense<7, est::relu>::layer<est::shape<5>, est::host>;
    STATIC_REQUIRE(std::is_same_v<layer::output_shape, est::shape<7>>);
    STATIC_REQUIRE(layer::parameter_count == 5 * 7 + 7);
    STATIC_REQUIRE(layer::macs == 35);
    STATIC_REQUIRE(est::dense<7>::accepts<est::shape<5>>);
    STATIC_REQUIRE_FALSE(est::dense<7>::accepts<est::shape<2, 3>>);
}

TEST_CASE("dense: forward is x K + b", "[nn][dense]") {
    test::one_layer_model<est::dense<2>, est::shape<3>> net;
    std::vector<float> kernel{1, 2, 3, 4, 5, 6}, bias{0.5f, -1};
    net.write(net.parameter("1_dense/kernel"), kernel);
    net.write(net.parameter("1_dense/bias"), bias);
    est::batch_tensor<float, est::shape<3>> x(2);
    std::vector<float> values{1, 0, -1, 2, 1, 0};
    std::copy(values.begin(), values.end(), x.data());
    auto y = net.forward(x.view(), est::eval);
    CHECK(y.data[0] == Approx(1 - 5 + 0.5));
    CHECK(y.data[1] == Approx(2 - 6 - 1));
    CHECK(y.data[2] == Approx(2 + 3 + 0.5));
    CHECK(y.data[3] == Approx(4 + 4 - 1));
}

using kernels_by_units = test::host_with_kernels<est::kernel_order::units_major>;
using kernels_by_inputs = test::host_with_kernels<est::kernel_order::inputs_major>;
using fused_by_units = test::host_with_kernels<est::kernel_order::units_major, true>;
using fused_by_inputs = test::host_with_kernels<est::kernel_order::inputs_major, true>;

/// y = act(x K + b) in doubles, for x (batch, inputs) and K (inputs, units) row-major.
template <class Act>
std::vector<double> dense_reference(std::vector<float> const& x, std::vector<float> const& kernel,
                                    std::vector<float> const& bias, std::size_t batch) {
    std::size_t units = bias.size(), inputs = kernel.size() / units;
    std::vector<double> y(batch * units);
    for (std::size_t b = 0; b < batch; ++b) {
        double* row = y.data() + b * units;
        for (std::size_t u = 0; u < units; ++u) {
            row[u] = bias[u];
            for (std::size_t i = 0; i < inputs; ++i) row[u] += double(x[b * inputs + i]) * kernel[i * units + u];
        }
        if constexpr (std::is_same_v<Act, est::softmax>) {
            double top = *std::max_element(row, row + units), total = 0.0;
            for (std::size_t u = 0; u < units; ++u) total += (row[u] = std::exp(row[u] - top));
            for (std::size_t u = 0; u < units; ++u) row[u] /= total;
        } else {
            for (std::size_t u = 0; u < units; ++u) row[u] = Act::apply(float(row[u]));
        }
    }
    return y;
}

std::vector<float> uniform_values(std::size_t n, est::random_engine& engine) {
    std::vector<float> values(n);
    for (float& v : values) v = engine.uniform(-1.0f, 1.0f);
    return values;
}

// The host back end computes x K^T as (K x^T)^T for few units or a large kernel, and at inference
// from 64 rows on as one oneDNN matmul with the bias and activation fused, and stores K either way;
// every form must give act(x K + b), at inference and in training.
template <std::size_t Units, std::size_t Inputs, class Act = est::relu, class B = est::host>
void check_forward_against_loops(std::size_t batch) {
    using model = typename test::one_layer_model<est::dense<Units, Act>, est::shape<Inputs>>::template on<B>;
    model net;
    net.initialize(3);
    est::random_engine engine(5);
    auto kernel = uniform_values(Inputs * Units, engine), bias = uniform_values(Units, engine);
    net.write(net.parameter("1_dense/kernel"), kernel);
    net.write(net.parameter("1_dense/bias"), bias);
    CHECK(net.read(net.parameter("1_dense/kernel")) == kernel);
    est::batch_tensor<float, est::shape<Inputs>> x(batch);
    auto values = uniform_values(x.size(), engine);
    std::copy(values.begin(), values.end(), x.data());
    auto inference = net.forward(x.view(), est::eval);
    std::vector<float> inferred(inference.data, inference.data + inference.size());
    auto training = net.forward(x.view(), est::train);
    auto expected = dense_reference<Act>(values, kernel, bias, batch);
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("example " << i / Units << ", unit " << i % Units);
        CHECK(inferred[i] == Approx(expected[i]).margin(1e-4));
        CHECK(training.data[i] == Approx(expected[i]).margin(1e-4));
    }
}

template <class B>
void check_every_form() {
    check_forward_against_loops<5, 33, est::relu, B>(7);  // few units: transposed on the sgemm (units, inputs)
    check_forward_against_loops<40, 33, est::relu, B>(7);
    check_forward_against_loops<1024, 1024, est::relu, B>(3);  // a large kernel
    check_forward_against_loops<64, 33, est::relu, B>(64);     // oneDNN's matmul, where it is faster
    check_forward_against_loops<1024, 300, est::relu, B>(70);
    check_forward_against_loops<1024, 1024, est::relu, B>(256);
    check_forward_against_loops<64, 33, est::linear, B>(65);
    check_forward_against_loops<64, 33, est::sigmoid, B>(65);
    check_forward_against_loops<64, 33, est::tanh, B>(65);
    check_forward_against_loops<64, 33, est::softmax, B>(65);
    check_forward_against_loops<10, 33, est::relu, B>(65);  // few units: the sgemm
}

TEST_CASE("dense: forward is act(x K + b) whichever way the product is computed", "[nn][dense]") {
    auto units_major = est::kernel_order::units_major;
    est::host::dense_product to_64(33, 64, est::post_op::relu, units_major),
        to_63(33, 63, est::post_op::relu, units_major), large(1024, 1024, est::post_op::relu, units_major);
    CHECK(!to_64.faster_at(63));
    CHECK(!to_63.faster_at(64));
    CHECK(!large.faster_at(255));
    bool own = est::detail::own_matrix_product_runs();  // est's product: transposed where m < n
    REQUIRE(est::host::transposed_product_faster(7, 5, 33) == !own);
    REQUIRE(est::host::transposed_product_faster(7, 40, 33) == own);
    REQUIRE(est::host::transposed_product_faster(3, 1024, 1024));
    SECTION("each kernel in the order this CPU prefers") { check_every_form<est::host>(); }
    SECTION("every kernel stored (units, inputs)") { check_every_form<kernels_by_units>(); }
    SECTION("every kernel stored (inputs, units)") { check_every_form<kernels_by_inputs>(); }
    SECTION("every inference pass on the fused matmul, kernel (units, inputs)") { check_every_form<fused_by_units>(); }
    SECTION("every inference pass on the fused matmul, kernel (inputs, units)") { check_every_form<fused_by_inputs>(); }
}

// Checkpoints hold the canonical (inputs, units) kernel whatever the order it is stored in: a model
// storing it one way gives its values to a model storing it the other, and both compute the same.
TEST_CASE("dense: models storing the kernel in either order exchange it canonically", "[nn][dense]") {
    using by_units = test::one_layer_model<est::dense<70, est::relu>, est::shape<37>>::on<kernels_by_units>;
    using by_inputs = test::one_layer_model<est::dense<70, est::relu>, est::shape<37>>::on<kernels_by_inputs>;
    by_units from;
    from.initialize(7);
    by_inputs to;
    to.initialize(8);
    for (auto const& p : from.parameters()) to.write(to.parameter(p.name), from.read(p));
    CHECK(to.read(to.parameter("1_dense/kernel")) == from.read(from.parameter("1_dense/kernel")));
    est::random_engine engine(2);
    est::batch_tensor<float, est::shape<37>> x(9);
    auto values = uniform_values(x.size(), engine);
    std::copy(values.begin(), values.end(), x.data());
    for (bool training : {false, true}) {
        auto a = training ? from.forward(x.view(), est::train) : from.forward(x.view(), est::eval);
        auto b = training ? to.forward(x.view(), est::train) : to.forward(x.view(), est::eval);
        REQUIRE(a.size() == b.size());
        for (std::size_t i = 0; i < a.size(); ++i) CHECK(b.data[i] == Approx(a.data[i]).margin(1e-5));
    }
}

TEST_CASE("dense: the kernel is stored (inputs, units) only where the matmul runs and reads it faster", "[nn][dense]") {
    using product = est::host::dense_product;
    auto by_units = est::kernel_order::units_major;
    CHECK(product::preferred_order(784, 63) == by_units);     // few units: the sgemm runs every pass
    CHECK(product::preferred_order(1024, 1024) == by_units);  // a large kernel: the sgemm in training
    CHECK(product::preferred_order(3136, 1024) == by_units);
    product probe(784, 256, est::post_op::relu, est::kernel_order::inputs_major);
    bool matmul_runs = probe.faster_at(64);  // oneDNN's brgemm matmul (AVX-512)
    CHECK(product::preferred_order(784, 256) == (matmul_runs ? est::kernel_order::inputs_major : by_units));
    using layer = est::dense<256, est::relu>::layer<est::shape<784>, est::host>;
    layer l;
    CHECK((l.parameters()[0].layout == nullptr) == matmul_runs);  // stored canonically, or transposed
}

// The fused matmul on its own, on a kernel in either order, whether or not it is the faster form here.
TEST_CASE("dense: the fused matmul reads its kernel in either order", "[nn][dense]") {
    constexpr std::size_t inputs = 37, units = 70, batch = 66;
    est::random_engine engine(9);
    auto kernel = uniform_values(inputs * units, engine), bias = uniform_values(units, engine),
         x = uniform_values(batch * inputs, engine);
    std::vector<float> transposed(kernel.size());
    for (std::size_t i = 0; i < inputs; ++i)
        for (std::size_t u = 0; u < units; ++u) transposed[u * inputs + i] = kernel[i * units + u];
    auto expected = dense_reference<est::relu>(x, kernel, bias, batch);
    for (auto order : {est::kernel_order::units_major, est::kernel_order::inputs_major}) {
        est::host::dense_product product(inputs, units, est::post_op::relu, order);
        std::vector<float> y(batch * units);
        auto const& stored = order == est::kernel_order::inputs_major ? kernel : transposed;
        product.forward(x.data(), batch, stored.data(), bias.data(), y.data());
        for (std::size_t i = 0; i < y.size(); ++i) {
            INFO("order " << int(order) << ", example " << i / units << ", unit " << i % units);
            CHECK(y[i] == Approx(expected[i]).margin(1e-4));
        }
    }
}

TEST_CASE("dense: gradients match finite differences", "[nn][dense][gradient]") {
    test::check_gradients<est::dense<6>, est::shape<5>>(3);
    test::check_gradients<est::dense<20>, est::shape<5>>(3);
    test::check_gradients<est::dense<4, est::sigmoid>, est::shape<7>>(2);
    test::check_gradients<est::dense<4, est::tanh>, est::shape<3>>(4);
    test::check_gradients<est::dense<5, est::softmax>, est::shape<3>>(2);
    test::check_gradients_on<kernels_by_inputs, est::dense<6>, est::shape<5>>(3);
    test::check_gradients_on<kernels_by_inputs, est::dense<4, est::tanh>, est::shape<3>>(4);
    test::check_gradients_on<kernels_by_inputs, est::dense<64>, est::shape<9>>(70);
    test::check_gradients_on<kernels_by_units, est::dense<64>, est::shape<9>>(70);
}
