// Definitions of est/estimator/hooks/summary_saver.hpp (see est/core/config.hpp).
#pragma once

#include <est/estimator/hooks/summary_saver.hpp>
#include <est/io/png.hpp>

#include <algorithm>
#include <cmath>

namespace est::hooks {

EST_DECL void summary_saver::after_run(run_context& context, run_values const& values) {
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

EST_DECL std::vector<std::uint8_t> summary_saver::to_bytes(std::span<float const> values) {
    auto [low, high] = std::minmax_element(values.begin(), values.end());
    float scale = *high > *low ? 255.0f / (*high - *low) : 0.0f;
    std::vector<std::uint8_t> bytes(values.size());
    std::transform(values.begin(), values.end(), bytes.begin(),
                   [&](float v) { return std::uint8_t(std::lround((v - *low) * scale)); });
    return bytes;
}

}  // namespace est::hooks
