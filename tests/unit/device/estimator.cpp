// est::estimator with a model on a device back end (est::emulated_device: the CUDA back end's code
// on the host): the same model_fn trains, evaluates and predicts with the same results as on
// est::host, batches are staged into device memory, and checkpoints move between the two.
#include <est/device/emulated.hpp>
#include <est/est.hpp>

#include <support/classifier.hpp>

#include <catch2/catch.hpp>

#include <xtensor/xbuilder.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

using namespace est::literals;

namespace {
using host_model = est::sequential<est::input<8, 8, 1>, est::conv2d<4, 3, est::same, est::relu>, est::max_pool2d<2>,
                                   est::flatten, est::dense<16, est::relu>, est::dense<3>>;
using device_model = host_model::on<est::emulated_device>;

/// Three classes of 8x8 images: a bright row, a bright column or a bright diagonal, with noise.
struct patterns {
    xt::xarray<float> x = xt::zeros<float>({96, 8, 8, 1});
    xt::xarray<std::int32_t> y = xt::zeros<std::int32_t>({96});
    patterns() {
        est::random_engine engine(5);
        for (std::size_t i = 0; i < 96; ++i) {
            y(i) = std::int32_t(i % 3);
            std::size_t where = engine.below(8);
            for (std::size_t r = 0; r < 8; ++r)
                for (std::size_t c = 0; c < 8; ++c) {
                    bool lit = y(i) == 0 ? r == where : y(i) == 1 ? c == where : r == c;
                    x(i, r, c, 0) = (lit ? 1.0f : 0.0f) + engine.uniform(-0.2f, 0.2f);
                }
        }
    }
    auto dataset() const {
        return est::data::from_tensor_slices(est::fields("image"_f = est::data::slices<est::shape<8, 8, 1>>(x)),
                                             est::fields("label"_f = est::data::slices<est::shape<>>(y)));
    }
};

using input_spec = est::element_spec<est::features<est::tensor_spec<"image", float, est::shape<8, 8, 1>>>,
                                est::labels<est::tensor_spec<"label", std::int32_t>>>;

auto model_fn() {
    return test::classifier_model_fn<"image">([] { return est::adam(0.01f); });
}

/// An estimator of `Model` in `model_dir`, trained for 30 steps.
template <class Model>
auto trained(patterns const& data, std::filesystem::path const& model_dir) {
    auto estimator = est::make_estimator<Model, input_spec>(model_fn(), {.model_dir = model_dir.string(), .seed = 4});
    estimator.train([&] { return data.dataset().repeat().batch(16); }, {.steps = 30});
    return est::estimator_from_disk<Model, input_spec>(model_dir, model_fn());
}
}  // namespace

TEST_CASE("an estimator trains, evaluates and predicts on a device back end as on the host") {
    patterns data;
    std::filesystem::path dir = est::detail::make_temporary_model_dir();
    auto host = trained<host_model>(data, dir / "host");
    auto device = trained<device_model>(data, dir / "device");

    auto host_result = host.evaluate([&] { return data.dataset().batch(32); });
    auto device_result = device.evaluate([&] { return data.dataset().batch(32); });
    CHECK(host_result["accuracy"_f] > 0.9);
    CHECK(device_result["accuracy"_f] == host_result["accuracy"_f]);
    CHECK(device_result["loss"_f] == Approx(host_result["loss"_f]).epsilon(1e-4));
    CHECK(device_result["global_step"_f] == 30);

    std::vector<std::int64_t> host_classes, device_classes;
    for (auto const& p : host.predict([&] { return data.dataset().batch(32); })) host_classes.push_back(p["classes"_f]);
    for (auto const& p : device.predict([&] { return data.dataset().batch(32); }))
        device_classes.push_back(p["classes"_f]);
    CHECK(device_classes.size() == 96);
    CHECK(device_classes == host_classes);

    for (auto const& p : host.model().parameters()) {
        auto h = host.model().read(p);
        auto d = device.model().read(device.model().parameter(p.name));
        double largest = 0.0, difference = 0.0;
        for (std::size_t i = 0; i < h.size(); ++i) {
            largest = std::max(largest, double(std::abs(h[i])));
            difference = std::max(difference, double(std::abs(h[i] - d[i])));
        }
        INFO(p.name);
        CHECK(difference <= 1e-4 * largest);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("a checkpoint written on a device back end restores on the host, and the other way round") {
    patterns data;
    std::filesystem::path dir = est::detail::make_temporary_model_dir();
    auto device = trained<device_model>(data, dir / "device");
    auto host = trained<host_model>(data, dir / "host");
    auto device_result = device.evaluate([&] { return data.dataset().batch(32); });
    auto host_result = host.evaluate([&] { return data.dataset().batch(32); });

    auto on_host = est::estimator_from_disk<host_model, input_spec>(dir / "device", model_fn());
    auto on_device = est::estimator_from_disk<device_model, input_spec>(dir / "host", model_fn());
    CHECK(on_host.evaluate([&] { return data.dataset().batch(32); })["loss"_f] ==
          Approx(device_result["loss"_f]).epsilon(1e-5));
    CHECK(on_device.evaluate([&] { return data.dataset().batch(32); })["loss"_f] ==
          Approx(host_result["loss"_f]).epsilon(1e-5));

    // Training goes on from the restored step and optimizer state on the other back end.
    on_host.train([&] { return data.dataset().repeat().batch(16); }, {.steps = 5});
    CHECK(on_host.evaluate([&] { return data.dataset().batch(32); })["global_step"_f] == 35);
    std::filesystem::remove_all(dir);
}
