// Finite-difference checks of a layer's backward pass: the layer runs as a one-layer model on the
// host back end (or another), the loss is sum(w * layer(x)) for fixed random w, and every analytic
// gradient (input and parameters, in the canonical layout) is compared with central differences at
// sampled positions.
#pragma once

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace test {

template <std::size_t... Dims>
est::input<Dims...> input_for(est::shape<Dims...>);
/// The est::input<...> of a shape.
template <class S>
using input_of = decltype(input_for(S{}));

/// A model of the one layer `L` on input shape `In`.
template <class L, class In>
using one_layer_model = est::sequential<input_of<In>, L>;

struct gradient_tolerance {
    float step = 1e-3f;
    double absolute = 2e-3;
    double relative = 2e-2;
};

template <class Net, class Mode>
double weighted_output(Net& net, est::batch_tensor<float, typename Net::input_shape_type> const& x,
                       std::vector<float> const& w, Mode mode) {
    auto y = net.forward(x.view(), mode);
    double sum = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) sum += double(w[i]) * double(y.data[i]);
    return sum;
}

inline void expect_close(double analytic, double numeric, gradient_tolerance t, std::string const& what,
                         std::size_t index) {
    INFO(what << "[" << index << "]: analytic " << analytic << ", numeric " << numeric);
    CHECK(std::abs(analytic - numeric) <= t.absolute + t.relative * std::abs(numeric));
}

/// Checks d(sum(w * y))/dx and d/dparameters of layer `L` on input shape `In` on back end `B` at a
/// random point; `input` lets a test choose inputs away from kinks (ties in max pooling, relu at 0).
template <class B, class L, class In, class Mode = est::mode<est::mode_key::train>>
void check_gradients_on(std::size_t batch, gradient_tolerance t = {}, std::vector<float> input = {}, Mode mode = {}) {
    using net_type = typename one_layer_model<L, In>::template on<B>;
    net_type net;
    net.initialize(11);
    est::random_engine engine(11);
    for (auto const& p : net.parameters())  // move biases, gammas off their defaults
        if (p.spec.trainable()) {
            auto values = net.read(p);
            for (float& v : values) v += engine.uniform(-0.3f, 0.3f);
            net.write(p, values);
        }
    est::batch_tensor<float, In> x(batch);
    if (input.empty())
        for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);
    else
        std::copy_n(input.begin(), x.size(), x.data());
    std::vector<float> w(batch * net_type::output_shape_type::size);
    for (float& v : w) v = engine.uniform(-1.0f, 1.0f);

    auto y = net.forward(x.view(), mode);
    REQUIRE(y.size() == w.size());
    auto dy = net.output_gradient(batch);
    std::copy(w.begin(), w.end(), dy.data);
    net.backward(true);
    auto dx = net.input_gradient();
    REQUIRE(dx.size() == x.size());
    REQUIRE(dx.layout == est::layout::canonical);
    std::vector<float> input_gradient(dx.data, dx.data + dx.size());
    std::vector<std::vector<float>> parameter_gradients;
    for (auto const& p : net.parameters())
        parameter_gradients.push_back(p.spec.trainable() ? net.read_gradient(p) : std::vector<float>{});

    auto numeric = [&](auto&& set) {
        set(t.step);
        double up = weighted_output(net, x, w, mode);
        set(-t.step);
        double down = weighted_output(net, x, w, mode);
        set(0.0f);
        return (up - down) / (2.0 * double(t.step));
    };
    std::size_t stride = std::max<std::size_t>(1, x.size() / 40);
    for (std::size_t i = 0; i < x.size(); i += stride) {
        float saved = x.data()[i];
        expect_close(input_gradient[i], numeric([&](float delta) { x.data()[i] = saved + delta; }), t, "input", i);
    }

    std::size_t k = 0;
    for (auto const& p : net.parameters()) {
        if (p.spec.trainable()) {
            auto values = net.read(p);
            std::size_t step = std::max<std::size_t>(1, values.size() / 30);
            for (std::size_t i = 0; i < values.size(); i += step) {
                auto perturbed = values;
                double estimate = numeric([&](float delta) {
                    perturbed[i] = values[i] + delta;
                    net.write(p, perturbed);
                });
                expect_close(parameter_gradients[k][i], estimate, t, p.name, i);
            }
        }
        ++k;
    }
}

/// check_gradients_on the host back end.
template <class L, class In, class Mode = est::mode<est::mode_key::train>>
void check_gradients(std::size_t batch, gradient_tolerance t = {}, std::vector<float> input = {}, Mode mode = {}) {
    check_gradients_on<est::host, L, In, Mode>(batch, t, std::move(input), mode);
}

}  // namespace test
