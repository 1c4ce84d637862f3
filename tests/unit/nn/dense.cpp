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

// The host back end computes x K^T as (K x^T)^T for few units or a large kernel, and at inference
// from 64 rows on as one oneDNN matmul with the bias and activation fused; every form must give
// act(x K + b), at inference and in training.
template <std::size_t Units, std::size_t Inputs, class Act = est::relu>
void check_forward_against_loops(std::size_t batch) {
    test::one_layer_model<est::dense<Units, Act>, est::shape<Inputs>> net;
    net.initialize(3);
    std::vector<float> kernel(Inputs * Units), bias(Units);
    est::random_engine engine(5);
    for (float& v : kernel) v = engine.uniform(-1.0f, 1.0f);
    for (float& v : bias) v = engine.uniform(-1.0f, 1.0f);
    net.write(net.parameter("1_dense/kernel"), kernel);
    net.write(net.parameter("1_dense/bias"), bias);
    est::batch_tensor<float, est::shape<Inputs>> x(batch);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);
    auto inference = net.forward(x.view(), est::eval);
    std::vector<float> inferred(inference.data, inference.data + inference.size());
    auto training = net.forward(x.view(), est::train);
    for (std::size_t b = 0; b < batch; ++b) {
        std::vector<double> row(Units);
        for (std::size_t u = 0; u < Units; ++u) {
            row[u] = bias[u];
            for (std::size_t i = 0; i < Inputs; ++i) row[u] += double(x.data()[b * Inputs + i]) * kernel[i * Units + u];
        }
        if constexpr (std::is_same_v<Act, est::softmax>) {
            double top = *std::max_element(row.begin(), row.end()), total = 0.0;
            for (double& v : row) total += (v = std::exp(v - top));
            for (double& v : row) v /= total;
        } else {
            for (double& v : row) v = Act::apply(float(v));
        }
        for (std::size_t u = 0; u < Units; ++u) {
            INFO("example " << b << ", unit " << u);
            CHECK(inferred[b * Units + u] == Approx(row[u]).margin(1e-4));
            CHECK(training.data[b * Units + u] == Approx(row[u]).margin(1e-4));
        }
    }
}

TEST_CASE("dense: forward is act(x K + b) whichever way the product is computed", "[nn][dense]") {
    est::host::dense_product to_64(33, 64, est::post_op::relu), to_63(33, 63, est::post_op::relu),
        large(1024, 1024, est::post_op::relu);
    CHECK(!to_64.faster_at(63));
    CHECK(!to_63.faster_at(64));
    CHECK(!large.faster_at(255));
    bool own = est::detail::own_matrix_product_runs();  // est's product: transposed where m < n
    REQUIRE(est::host::transposed_product_faster(7, 5, 33) == !own);
    check_forward_against_loops<5, 33>(7);  // few units: transposed on the sgemm
    REQUIRE(est::host::transposed_product_faster(7, 40, 33) == own);
    check_forward_against_loops<40, 33>(7);  // the product as written
    REQUIRE(est::host::transposed_product_faster(3, 1024, 1024));
    check_forward_against_loops<1024, 1024>(3);  // a large kernel
    check_forward_against_loops<64, 33>(64);     // oneDNN's matmul, where it is faster
    check_forward_against_loops<1024, 300>(70);
    check_forward_against_loops<1024, 1024>(256);
    check_forward_against_loops<64, 33, est::linear>(65);
    check_forward_against_loops<64, 33, est::sigmoid>(65);
    check_forward_against_loops<64, 33, est::tanh>(65);
    check_forward_against_loops<64, 33, est::softmax>(65);
    check_forward_against_loops<10, 33>(65);  // few units: the sgemm
}

TEST_CASE("dense: gradients match finite differences", "[nn][dense][gradient]") {
    test::check_gradients<est::dense<6>, est::shape<5>>(3);
    test::check_gradients<est::dense<20>, est::shape<5>>(3);
    test::check_gradients<est::dense<4, est::sigmoid>, est::shape<7>>(2);
    test::check_gradients<est::dense<4, est::tanh>, est::shape<3>>(4);
    test::check_gradients<est::dense<5, est::softmax>, est::shape<3>>(2);
}
