// Definitions of est/estimator/hooks/summary_saver.hpp (see est/core/config.hpp).
#pragma once

#include <est/estimator/hooks/summary_saver.hpp>
#include <est/io/png.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace est::hooks {

EST_DECL void summary_saver::after_run(run_context& context, run_values const& values) {
    bool first = std::exchange(first_step_, false);
    if (context.mode != mode_key::train || values.update_skipped || !options_.every_steps ||
        (!first && context.global_step % options_.every_steps != 0))
        return;
    auto& events = context.session->train_summaries();
    auto step = std::int64_t(context.global_step);
    if (options_.scalars) {
        events.scalar("loss", values.loss, step);
        events.scalar("learning_rate", values.learning_rate, step);
    }
    // The visitors below capture one pointer, which std::function holds without allocating.
    struct summary {
        summary_saver& saver;
        io::event_writer& events;
        std::int64_t step;
    } now{*this, events, step};
    if (options_.max_images)
        context.session->for_each_input_image([s = &now](std::string_view feature, image_batch const& images) {
            std::size_t size = images.height * images.width * images.channels;
            for (std::size_t i = 0; i < std::min(s->saver.options_.max_images, images.count); ++i) {
                s->saver.to_bytes(images.values.subspan(i * size, size));
                auto& tag = s->saver.tag_;
                tag.assign("input/").append(feature).append("/image/");
                char digits[24];
                tag.append(digits, std::size_t(std::snprintf(digits, sizeof digits, "%zu", i)));
                s->events.image(tag, s->saver.png_.encode(s->saver.pixels_, images.height, images.width, images.channels),
                                images.height, images.width, images.channels, s->step);
            }
        });
    if (options_.histograms) {
        context.session->for_each_parameter(
            [s = &now](std::string_view name, std::span<float> v) { s->events.histogram(name, v, s->step); });
        context.session->for_each_activation(
            [s = &now](std::string_view name, std::span<float const> v) { s->events.histogram(name, v, s->step); });
    }
    events.flush();
}

EST_DECL void summary_saver::to_bytes(std::span<float const> values) {
    auto [low, high] = std::minmax_element(values.begin(), values.end());
    float scale = *high > *low ? 255.0f / (*high - *low) : 0.0f;
    pixels_.resize(values.size());
    std::transform(values.begin(), values.end(), pixels_.begin(),
                   [&](float v) { return std::uint8_t(std::lround((v - *low) * scale)); });
}

}  // namespace est::hooks
