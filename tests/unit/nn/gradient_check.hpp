// Finite-difference checks of a layer's backward pass: the loss is sum(w * layer(x)) for fixed
// random w, and every analytic gradient (input and parameters) is compared with central
// differences at sampled positions.
#pragma once

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace test {

struct gradient_tolerance {
    float step = 1e-3f;
    double absolute = 2e-3;
    double relative = 2e-2;
};

template <class Layer, class Mode>
double weighted_output(Layer& layer, est::batch_view<float const, typename Layer::input_shape> x,
                       std::vector<float> const& w, Mode mode) {
    auto y = layer.forward(x, mode, est::step_context{7, 3});
    double sum = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) sum += double(w[i]) * double(y.data[i]);
    return sum;
}

inline void expect_close(double analytic, double numeric, gradient_tolerance t, char const* what, std::size_t index) {
    INFO(what << "[" << index << "]: analytic " << analytic << ", numeric " << numeric);
    CHECK(std::abs(analytic - numeric) <= t.absolute + t.relative * std::abs(numeric));
}

/// Checks d(sum(w * y))/dx and d/dparameters of `Layer` (bound to its input shape) at a random
/// point; `input` lets a test choose inputs away from kinks (ties in max pooling, relu at 0).
template <class Layer, class Mode = est::mode<est::mode_key::train>>
void check_gradients(std::size_t batch, gradient_tolerance t = {}, std::vector<float> input = {}, Mode mode = {}) {
    using In = typename Layer::input_shape;
    Layer layer;
    est::random_engine engine(11);
    layer.initialize(engine);
    layer.for_each_parameter([&](est::parameter_ref const& p) {  // move biases, gammas off their defaults
        if (p.trainable)
            for (float& v : p.value) v += engine.uniform(-0.3f, 0.3f);
    });
    est::batch_tensor<float, In> x(batch);
    if (input.empty())
        for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);
    else
        std::copy_n(input.begin(), x.size(), x.data());
    std::vector<float> w(batch * Layer::output_shape::size);
    for (float& v : w) v = engine.uniform(-1.0f, 1.0f);

    auto y = layer.forward(x.view(), mode, est::step_context{7, 3});
    est::batch_tensor<float, typename Layer::output_shape> dy(batch);
    REQUIRE(y.size() == w.size());
    std::copy(w.begin(), w.end(), dy.data());
    auto dx = layer.backward(x.view(), dy.view(), true);
    REQUIRE(dx.size() == x.size());
    std::vector<float> input_gradient(dx.data, dx.data + dx.size());
    std::vector<std::vector<float>> parameter_gradients;
    layer.for_each_parameter(
        [&](est::parameter_ref const& p) { parameter_gradients.emplace_back(p.gradient.begin(), p.gradient.end()); });

    auto numeric = [&](float& value) {
        float saved = value;
        value = saved + t.step;
        double up = weighted_output(layer, x.view(), w, mode);
        value = saved - t.step;
        double down = weighted_output(layer, x.view(), w, mode);
        value = saved;
        return (up - down) / (2.0 * double(t.step));
    };
    std::size_t stride = std::max<std::size_t>(1, x.size() / 40);
    for (std::size_t i = 0; i < x.size(); i += stride)
        expect_close(input_gradient[i], numeric(x.data()[i]), t, "input", i);

    std::size_t k = 0;
    std::vector<est::parameter_ref> parameters;
    layer.for_each_parameter([&](est::parameter_ref const& p) { parameters.push_back(p); });
    for (auto const& p : parameters) {
        if (p.trainable) {
            std::size_t step = std::max<std::size_t>(1, p.value.size() / 30);
            for (std::size_t i = 0; i < p.value.size(); i += step)
                expect_close(parameter_gradients[k][i], numeric(p.value[i]), t, std::string(p.name).c_str(), i);
        }
        ++k;
    }
}

}  // namespace test
