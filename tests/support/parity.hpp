// The device parity suite: every layer's forward and backward pass, every loss, metric and
// optimizer, and a CNN trained for a number of steps, run on a device back end and on est::host from
// the same parameters and data, compared within 1e-4 of each tensor's largest value. It has no test
// framework of its own: the host test (tests/unit/device/parity.cpp, est::emulated_device) and the
// CUDA program (tests/cuda/parity.cu, est::cuda) both run it and check its report.
#pragma once

#include <est/est.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <vector>

namespace parity {

/// One comparison: the largest difference between the device's and the host's values, over the
/// largest magnitude of the host's.
struct comparison {
    std::string name;
    double error = 0.0;
    bool passed = false;
};

inline constexpr double tolerance = 1e-4;

class report {
public:
    void compare(std::string const& name, std::span<float const> device, std::span<float const> host) {
        if (device.size() != host.size()) {
            results_.push_back({name + " (" + std::to_string(device.size()) + " values on the device, " +
                                    std::to_string(host.size()) + " on the host)",
                                1.0, false});
            return;
        }
        double scale = 0.0, difference = 0.0;
        bool finite = true;
        for (std::size_t i = 0; i < host.size(); ++i) {
            finite = finite && std::isfinite(device[i]) && std::isfinite(host[i]);
            scale = std::max(scale, double(std::abs(host[i])));
            difference = std::max(difference, double(std::abs(device[i] - host[i])));
        }
        double error = scale > 0.0 ? difference / scale : difference;
        results_.push_back({name, error, finite && error <= tolerance && !host.empty()});
    }
    void compare(std::string const& name, double device, double host) {
        float d = float(device), h = float(host);
        compare(name, std::span<float const>(&d, 1), std::span<float const>(&h, 1));
    }
    void check(std::string const& name, bool passed) { results_.push_back({name, passed ? 0.0 : 1.0, passed}); }
    /// Runs one case: an exception (a device call that failed) is a failed comparison named after the
    /// case and the error, and the suite goes on, so one failing call hides no other result.
    template <class F>
    void guarded(std::string const& name, F&& run_case) {
        try {
            run_case();
        } catch (std::exception const& e) {
            results_.push_back({name + " stopped: " + e.what(), 1.0, false});
        }
    }
    std::vector<comparison> const& results() const { return results_; }

private:
    std::vector<comparison> results_;
};

/// `values` in back end B's memory (a buffer that owns them).
template <class B, class T>
est::buffer<T, B> on_backend(std::vector<T> const& values) {
    est::buffer<T, B> result(values.size());
    B::copy_from_host(result.data(), values.data(), values.size() * sizeof(T));
    return result;
}

template <class B, class T, class S, class Space>
std::vector<float> to_host(est::batch_view<T, S, Space> view) {
    std::vector<float> result(view.size());
    B::to_host_canonical(est::batch_view<float const, S, Space>{view.data, view.batch, view.layout}, result.data());
    return result;
}

inline std::vector<float> uniform_values(std::size_t n, std::uint64_t seed, float low = -1.0f, float high = 1.0f) {
    est::random_engine engine(seed);
    std::vector<float> values(n);
    for (float& v : values) v = engine.uniform(low, high);
    return values;
}

/// A model on the host and on `Device`, from the same seed.
template <class Model, class Device>
struct twins {
    using device_model = typename Model::template on<Device>;
    using input_shape = typename Model::input_shape_type;
    using output_shape = typename Model::output_shape_type;

    Model host;
    device_model device;

    explicit twins(std::uint64_t seed) {
        host.initialize(seed);
        device.initialize(seed);
    }

    /// Every parameter's values (`what` = "value") or gradients.
    void compare_parameters(report& r, std::string const& prefix, bool gradients) {
        for (std::size_t i = 0; i < host.parameters().size(); ++i) {
            auto const& hp = host.parameters()[i];
            auto const& dp = device.parameters()[i];
            if (gradients && !hp.spec.trainable())
                continue;
            auto h = gradients ? host.read_gradient(hp) : host.read(hp);
            auto d = gradients ? device.read_gradient(dp) : device.read(dp);
            r.compare(prefix + " " + hp.name + (gradients ? " gradient" : ""), d, h);
        }
    }
};

/// Forward (TRAIN and EVAL) and backward passes of `Model` over a random batch: outputs, every
/// parameter's gradient and value, and the input's gradient.
template <class Model, class Device>
void layer_case(report& r, std::string const& name, std::size_t batch) {
    r.guarded(name, [&] {
        twins<Model, Device> t(11);
        using in = typename twins<Model, Device>::input_shape;
        using out = typename twins<Model, Device>::output_shape;
        auto x = uniform_values(batch * in::size, 3);
        auto device_x = on_backend<Device>(x);
        est::batch_view<float const, in> host_view{x.data(), batch};
        est::batch_view<float const, in, est::device_memory> device_view{device_x.data(), batch};

        r.compare(name + " forward (train)", to_host<Device>(t.device.forward(device_view, est::train)),
                  to_host<est::host>(t.host.forward(host_view, est::train)));
        auto dy = uniform_values(batch * out::size, 5);
        std::copy(dy.begin(), dy.end(), t.host.output_gradient(batch).data);
        Device::copy_from_host(t.device.output_gradient(batch).data, dy.data(), dy.size() * sizeof(float));
        t.host.backward(true);
        t.device.backward(true);
        r.compare(name + " input gradient", to_host<Device>(t.device.input_gradient()),
                  to_host<est::host>(t.host.input_gradient()));
        t.compare_parameters(r, name, true);
        t.compare_parameters(r, name, false);
        r.compare(name + " forward (eval)", to_host<Device>(t.device.forward(device_view, est::eval)),
                  to_host<est::host>(t.host.forward(host_view, est::eval)));
    });
}

template <class Device>
void layers(report& r) {
    using namespace est;
    layer_case<sequential<input<7, 6, 3>, conv2d<4, 3>>, Device>(r, "conv2d 3x3 valid", 3);
    layer_case<sequential<input<7, 6, 3>, conv2d<5, 3, same, relu, 2>>, Device>(r, "conv2d 3x3 same stride 2 relu", 3);
    layer_case<sequential<input<8, 8, 8>, conv2d<16, 5, same, est::tanh>>, Device>(
        r, "conv2d 5x5 same tanh (8 channels)", 2);
    layer_case<sequential<input<6, 6, 2>, conv2d<3, 1, valid, sigmoid>>, Device>(r, "conv2d 1x1 sigmoid", 4);
    layer_case<sequential<input<12>, dense<7>>, Device>(r, "dense", 5);
    layer_case<sequential<input<12>, dense<7, relu>>, Device>(r, "dense relu", 5);
    layer_case<sequential<input<12>, dense<7, sigmoid>>, Device>(r, "dense sigmoid", 5);
    layer_case<sequential<input<12>, dense<7, est::tanh>>, Device>(r, "dense tanh", 5);
    layer_case<sequential<input<12>, dense<7, softmax>>, Device>(r, "dense softmax", 5);
    layer_case<sequential<input<7, 6, 3>, max_pool2d<2>>, Device>(r, "max_pool2d 2x2", 3);
    layer_case<sequential<input<7, 7, 3>, max_pool2d<3, 2, same>>, Device>(r, "max_pool2d 3x3 stride 2 same", 3);
    layer_case<sequential<input<7, 6, 3>, avg_pool2d<2>>, Device>(r, "avg_pool2d 2x2", 3);
    layer_case<sequential<input<7, 7, 3>, avg_pool2d<3, 1, same>>, Device>(r, "avg_pool2d 3x3 stride 1 same", 3);
    layer_case<sequential<input<5, 5, 4>, batch_norm<>>, Device>(r, "batch_norm", 6);
    layer_case<sequential<input<20>, dropout<0.3f>>, Device>(r, "dropout", 7);
    layer_case<sequential<input<4, 3, 2>, flatten, dense<3>>, Device>(r, "flatten", 3);
    layer_case<sequential<input<4, 3, 2>, relu>, Device>(r, "relu", 3);
    layer_case<sequential<input<9>, softmax>, Device>(r, "softmax", 4);
    layer_case<sequential<input<9>, sigmoid>, Device>(r, "sigmoid", 4);
    layer_case<sequential<input<8, 8, 8>, conv2d<16, 3, same, relu>, max_pool2d<2>, conv2d<8, 3, valid, est::tanh>,
                          avg_pool2d<2>, batch_norm<>, flatten, dense<6, relu>, dropout<0.2f>, dense<3>>,
               Device>(r, "a stack of every layer", 4);
}

/// Labels of `classes` classes for `batch` examples.
inline std::vector<std::int64_t> class_labels(std::size_t batch, std::size_t classes, std::uint64_t seed) {
    est::random_engine engine(seed);
    std::vector<std::int64_t> labels(batch);
    for (auto& l : labels) l = std::int64_t(engine.below(classes));
    return labels;
}

template <class Device>
void losses_and_metrics(report& r) {
    using namespace est;
    using model = sequential<input<6>, dense<4>>;
    constexpr std::size_t batch = 9;
    auto x = uniform_values(batch * 6, 21, -2.0f, 2.0f);
    auto device_x = on_backend<Device>(x);
    batch_view<float const, shape<6>> host_x{x.data(), batch};
    batch_view<float const, shape<6>, device_memory> device_x_view{device_x.data(), batch};

    auto classes = class_labels(batch, 4, 23);
    auto device_classes = on_backend<Device>(classes);
    batch_view<std::int64_t const, shape<>> host_classes{classes.data(), batch};
    batch_view<std::int64_t const, shape<>, device_memory> device_classes_view{device_classes.data(), batch};

    auto soft = uniform_values(batch * 4, 25, 0.0f, 1.0f);
    auto device_soft = on_backend<Device>(soft);
    batch_view<float const, shape<4>> host_soft{soft.data(), batch};
    batch_view<float const, shape<4>, device_memory> device_soft_view{device_soft.data(), batch};

    auto run = [&](std::string const& name, auto&& on_host, auto&& on_device) {
        twins<model, Device> t(13);
        auto host_loss = on_host(t.host(host_x, train));
        auto device_loss = on_device(t.device(device_x_view, train));
        r.compare(name, double(device_loss.value()), double(host_loss.value()));
        host_loss.backward();
        device_loss.backward();
        t.compare_parameters(r, name, true);
    };
    run(
        "sparse_softmax_cross_entropy", [&](auto logits) { return sparse_softmax_cross_entropy(host_classes, logits); },
        [&](auto logits) { return sparse_softmax_cross_entropy(device_classes_view, logits); });
    run(
        "softmax_cross_entropy", [&](auto logits) { return softmax_cross_entropy(host_soft, logits); },
        [&](auto logits) { return softmax_cross_entropy(device_soft_view, logits); });
    run(
        "mean_squared_error", [&](auto p) { return mean_squared_error(host_soft, p); },
        [&](auto p) { return mean_squared_error(device_soft_view, p); });

    {
        auto bad = classes;
        bad[5] = 7;
        auto device_bad = on_backend<Device>(bad);
        twins<model, Device> t(13);
        std::string host_message, device_message;
        try {
            sparse_softmax_cross_entropy(batch_view<std::int64_t const, shape<>>{bad.data(), batch},
                                         t.host(host_x, train));
        } catch (est::error const& e) {
            host_message = e.what();
        }
        try {
            sparse_softmax_cross_entropy(
                batch_view<std::int64_t const, shape<>, device_memory>{device_bad.data(), batch},
                t.device(device_x_view, train));
        } catch (est::error const& e) {
            device_message = e.what();
        }
        r.check("a label out of range is the same error on both: " + device_message,
                host_message.find("example 5") != std::string::npos && device_message == host_message);
    }

    twins<model, Device> t(17);
    auto host_logits = t.host(host_x, eval);
    auto device_logits = t.device(device_x_view, eval);
    r.compare("accuracy", metrics::accuracy(device_classes_view, device_logits).result(),
              metrics::accuracy(host_classes, host_logits).result());
    r.compare("top_k_accuracy", metrics::top_k_accuracy(device_classes_view, device_logits, 2).result(),
              metrics::top_k_accuracy(host_classes, host_logits, 2).result());
    r.compare("mean", metrics::mean(device_logits).result(), metrics::mean(host_logits).result());
    r.compare("root_mean_squared_error", metrics::root_mean_squared_error(device_soft_view, device_logits).result(),
              metrics::root_mean_squared_error(host_soft, host_logits).result());
    auto host_classes_out = argmax(host_logits), device_classes_out = argmax(device_logits);
    r.compare("argmax",
              std::vector<float>(device_classes_out.data(), device_classes_out.data() + device_classes_out.size()),
              std::vector<float>(host_classes_out.data(), host_classes_out.data() + host_classes_out.size()));
    auto host_softmax = nn::softmax(host_logits), device_softmax = nn::softmax(device_logits);
    r.compare("nn::softmax", std::span<float const>(device_softmax.data(), device_softmax.size()),
              std::span<float const>(host_softmax.data(), host_softmax.size()));
}

/// `steps` training steps of `Model` with `optimizer` on the same batches on both back ends; the
/// parameters (and the last loss) are compared at the end.
template <class Model, class Device, class Optimizer>
void training_case(report& r, std::string const& name, Optimizer optimizer, std::size_t steps, std::size_t batch,
                   std::size_t classes) {
    r.guarded(name, [&] {
        using in = typename Model::input_shape_type;
        twins<Model, Device> t(29);
        est::optimizer_slots<Optimizer, Model> host_slots;
        est::optimizer_slots<Optimizer, typename twins<Model, Device>::device_model> device_slots;
        est::buffer<float, Device> device_x(batch * in::size);
        est::buffer<std::int64_t, Device> device_y(batch);
        double host_loss = 0.0, device_loss = 0.0;
        for (std::size_t step = 0; step < steps; ++step) {
            auto x = uniform_values(batch * in::size, 100 + step);
            auto y = class_labels(batch, classes, 200 + step);
            Device::copy_from_host(device_x.data(), x.data(), x.size() * sizeof(float));
            Device::copy_from_host(device_y.data(), y.data(), y.size() * sizeof(std::int64_t));
            t.host.begin_step(step);
            t.device.begin_step(step);
            auto hl = est::sparse_softmax_cross_entropy(
                est::batch_view<std::int64_t const, est::shape<>>{y.data(), batch},
                t.host(est::batch_view<float const, in>{x.data(), batch}, est::train));
            auto dl = est::sparse_softmax_cross_entropy(
                est::batch_view<std::int64_t const, est::shape<>, est::device_memory>{device_y.data(), batch},
                t.device(est::batch_view<float const, in, est::device_memory>{device_x.data(), batch}, est::train));
            host_loss = hl.value(), device_loss = dl.value();
            optimizer.minimize(hl).run(host_slots, step);
            optimizer.minimize(dl).run(device_slots, step);
        }
        r.compare(name + " last loss", device_loss, host_loss);
        t.compare_parameters(r, name + " after " + std::to_string(steps) + " steps:", false);
    });
}

template <class Device>
void optimizers(report& r) {
    using namespace est;
    using model = sequential<input<10>, dense<8, relu>, dense<4>>;
    training_case<model, Device>(r, "adam", adam(0.01f, {.weight_decay = 0.01f}), 5, 8, 4);
    training_case<model, Device>(r, "sgd", sgd(0.1f), 5, 8, 4);
    training_case<model, Device>(r, "sgd momentum", sgd(0.1f, {.momentum = 0.9f, .weight_decay = 0.01f}), 5, 8, 4);
}

/// The CNN of the parity suite: the example's layer kinds at a smaller size.
using cnn = est::sequential<est::input<16, 16, 1>, est::conv2d<8, 5, est::same, est::relu>, est::max_pool2d<2>,
                            est::conv2d<16, 3, est::same, est::relu>, est::max_pool2d<2>, est::flatten,
                            est::dense<64, est::relu>, est::dropout<0.4f>, est::dense<10>>;

template <class Device>
void cnn_training(report& r, std::size_t steps) {
    training_case<cnn, Device>(r, "CNN with Adam", est::adam(0.001f), steps, 16, 10);
}

/// The whole suite.
template <class Device>
report run(std::size_t cnn_steps = 50) {
    report r;
    layers<Device>(r);
    r.guarded("losses and metrics", [&] { losses_and_metrics<Device>(r); });
    optimizers<Device>(r);
    cnn_training<Device>(r, cnn_steps);
    return r;
}

}  // namespace parity
