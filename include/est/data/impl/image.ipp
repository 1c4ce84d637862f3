// Definitions of est/data/image.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/data/image.hpp>

#include <algorithm>
#include <string>

namespace est::data {

EST_DECL image<float> to_float(image<std::uint8_t> const& in, float scale) {
    image<float> out{in.height, in.width, in.channels, std::vector<float>(in.pixels.size())};
    std::transform(in.pixels.begin(), in.pixels.end(), out.pixels.begin(),
                   [&](std::uint8_t v) { return float(v) * scale; });
    return out;
}

EST_DECL image<float> resize_bilinear(image<float> const& in, std::size_t height, std::size_t width) {
    if (in.height == 0 || in.width == 0)
        throw error("resize_bilinear: the image is empty");
    if (height == 0 || width == 0 || height > io::max_image_pixels / width)
        throw error("resize_bilinear: a " + std::to_string(height) + "x" + std::to_string(width) +
                    " output is empty or more than the " + std::to_string(io::max_image_pixels) +
                    " pixels est decodes");
    image<float> out{height, width, in.channels, std::vector<float>(height * width * in.channels)};
    float sy = float(in.height) / float(height), sx = float(in.width) / float(width);
    for (std::size_t y = 0; y < height; ++y) {
        float fy = std::clamp((float(y) + 0.5f) * sy - 0.5f, 0.0f, float(in.height - 1));
        auto y0 = std::size_t(fy);
        std::size_t y1 = std::min(y0 + 1, in.height - 1);
        float wy = fy - float(y0);
        for (std::size_t x = 0; x < width; ++x) {
            float fx = std::clamp((float(x) + 0.5f) * sx - 0.5f, 0.0f, float(in.width - 1));
            auto x0 = std::size_t(fx);
            std::size_t x1 = std::min(x0 + 1, in.width - 1);
            float wx = fx - float(x0);
            for (std::size_t c = 0; c < in.channels; ++c) {
                float top = in.at(y0, x0, c) * (1 - wx) + in.at(y0, x1, c) * wx;
                float bottom = in.at(y1, x0, c) * (1 - wx) + in.at(y1, x1, c) * wx;
                out.at(y, x, c) = top * (1 - wy) + bottom * wy;
            }
        }
    }
    return out;
}

EST_DECL image<float> subtract_mean(image<float> in, std::span<float const> means) {
    if (means.size() != in.channels)
        throw error("subtract_mean: " + std::to_string(means.size()) + " means for " + std::to_string(in.channels) +
                    " channels");
    for (std::size_t i = 0; i < in.pixels.size(); ++i) in.pixels[i] -= means[i % in.channels];
    return in;
}

}  // namespace est::data
