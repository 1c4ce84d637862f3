// hooks::summary_saver: TensorBoard summaries of training every N steps: the loss and learning
// rate, images of the input batch (PNG) and histograms of every parameter and activation.
// The estimator runs one every run_config::save_summary_steps.
#pragma once

#include <est/estimator/hook.hpp>
#include <est/io/png.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>
#include <utility>

namespace est::hooks {

/// The settings of hooks::summary_saver.
struct summary_saver_options {
    std::uint64_t every_steps = 100;
    bool scalars = true;
    std::size_t max_images = 3;  ///< input images per feature; 0: none
    bool histograms = true;      ///< of parameters and activations
};

class summary_saver {
public:
    using options = summary_saver_options;

    summary_saver() = default;
    explicit summary_saver(summary_saver_options options) : options_(std::move(options)) {}

    void after_run(run_context& context, run_values const& values) {
        if (context.mode != mode_key::train || values.update_skipped || !options_.every_steps ||
            context.global_step % options_.every_steps != 0)
            return;
        auto& events = context.session->train_summaries();
        auto step = std::int64_t(context.global_step);
        if (options_.scalars) {
            events.scalar("loss", values.loss, step);
            events.scalar("learning_rate", values.learning_rate, step);
        }
        if (options_.max_images)
            context.session->for_each_input_image([&](std::string_view feature, image_batch const& images) {
                std::size_t size = images.height * images.width * images.channels;
                for (std::size_t i = 0; i < std::min(options_.max_images, images.count); ++i) {
                    auto pixels = to_bytes(images.values.subspan(i * size, size));
                    events.image("input/" + std::string(feature) + "/image/" + std::to_string(i),
                                 io::encode_png(pixels, images.height, images.width, images.channels), images.height,
                                 images.width, images.channels, step);
                }
            });
        if (options_.histograms) {
            context.session->for_each_parameter(
                [&](std::string_view name, std::span<float> v) { events.histogram(name, v, step); });
            context.session->for_each_activation(
                [&](std::string_view name, std::span<float const> v) { events.histogram(name, v, step); });
        }
        events.flush();
    }

private:
    summary_saver_options options_;
    /// Maps an image's range [min, max] onto 0..255, as TensorBoard's image summaries of floats do.
    static std::vector<std::uint8_t> to_bytes(std::span<float const> values) {
        auto [low, high] = std::minmax_element(values.begin(), values.end());
        float scale = *high > *low ? 255.0f / (*high - *low) : 0.0f;
        std::vector<std::uint8_t> bytes(values.size());
        std::transform(values.begin(), values.end(), bytes.begin(),
                       [&](float v) { return std::uint8_t(std::lround((v - *low) * scale)); });
        return bytes;
    }
};

}  // namespace est::hooks
