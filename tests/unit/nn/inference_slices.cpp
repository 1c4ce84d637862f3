// A model's inference pass in slices of the batch, one a thread (host::for_each_slice): the same
// output as the pass on one thread over the whole batch, the layers' outputs still there for hooks,
// and an error in a slice reported after the others have returned.
#include "../../../examples/fashion_mnist_model.hpp"
#include "support/omp_threads.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace {

/// Batch normalisation (its moving averages at inference) and an odd number of examples a slice.
using normalized = est::sequential<est::input<6, 6, 8>, est::conv2d<16, 3, est::same, est::tanh>, est::batch_norm<>,
                                   est::max_pool2d<2>, est::flatten, est::dense<32, est::relu>, est::dense<3>>;

using activations = std::map<std::string, std::vector<float>>;

activations activations_of(auto& net) {
    activations out;
    net.for_each_activation([&](std::string_view layer, std::span<float const> values) {
        out[std::string(layer)].assign(values.begin(), values.end());
    });
    return out;
}

template <class Net>
void check_slices_against_one_thread(std::size_t batch) {
    Net net;
    net.initialize(5);
    est::random_engine engine(13);
    est::batch_tensor<float, typename Net::input_shape_type> x(batch);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);
    // Moving averages other than their initial values, so that inference uses them.
    for (auto const& p : net.parameters())
        if (p.spec.kind == est::parameter_kind::state) {
            std::vector<float> values(p.spec.size);
            for (auto& v : values) v = engine.uniform(0.5f, 1.5f);
            net.write(p, values);
        }

    std::vector<float> whole;
    activations whole_activations;
    {
        test::omp_threads one(1);
        REQUIRE(est::host::inference_slices(batch) == 1);
        auto y = net.forward(x.view(), est::predict);
        whole.assign(y.data, y.data + y.size());
        whole_activations = activations_of(net);
    }

    test::omp_threads two(2);
    REQUIRE(est::host::inference_slices(batch) == 2);
    auto y = net.forward(x.view(), est::predict);
    REQUIRE(y.batch == batch);
    std::vector<float> sliced(y.data, y.data + y.size());
    REQUIRE(sliced.size() == whole.size());
    for (std::size_t i = 0; i < sliced.size(); ++i) {
        INFO("output " << i);
        CHECK(sliced[i] == Approx(whole[i]).epsilon(1e-5).margin(1e-5));
    }

    // The slices keep no whole-batch outputs: nothing where they are only read ...
    std::size_t nonempty = 0;
    std::as_const(net).for_each_activation([&](std::string_view, std::span<float const> values) {
        nonempty += values.empty() ? 0 : 1;
    });
    CHECK(nonempty == 0);
    // ... and the whole batch's, computed again, on request.
    auto sliced_activations = activations_of(net);
    REQUIRE(sliced_activations.size() == whole_activations.size());
    for (auto const& [layer, values] : whole_activations) {
        INFO("layer " << layer);
        auto const& again = sliced_activations.at(layer);
        REQUIRE(again.size() == values.size());
        REQUIRE(!again.empty());
        for (std::size_t i = 0; i < again.size(); i += 7) CHECK(again[i] == Approx(values[i]).margin(1e-5));
    }
}

}  // namespace

TEST_CASE("an inference pass in slices of the batch gives the whole batch's output", "[sequential][slices]") {
    check_slices_against_one_thread<fashion_mnist::cnn>(256);
    check_slices_against_one_thread<normalized>(131);
}

TEST_CASE("small batches and training passes run unsliced", "[sequential][slices]") {
    test::omp_threads two(2);
    CHECK(est::host::inference_slices(2 * est::host::rows_per_slice - 1) == 1);
    CHECK(est::host::inference_slices(2 * est::host::rows_per_slice) == 2);

    normalized net;
    net.initialize(1);
    est::batch_tensor<float, normalized::input_shape_type> x(200);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 17) / 17.0f;
    net.forward(x.view(), est::train);
    std::size_t whole = 0;
    std::as_const(net).for_each_activation([&](std::string_view, std::span<float const> values) {
        whole += values.empty() ? 0 : 1;
    });
    CHECK(whole == normalized::layer_count);
}

TEST_CASE("an error in one slice is reported once every slice has returned", "[host][slices]") {
    test::omp_threads two(2);
    std::atomic<int> returned{0};
    auto run = [&] {
        est::host::for_each_slice(2, [&](std::size_t s) {
            ++returned;
            if (s == 1)
                throw est::error("slice 1 failed");
        });
    };
    CHECK_THROWS_WITH(run(), Catch::Contains("slice 1 failed"));
    CHECK(returned == 2);
}
