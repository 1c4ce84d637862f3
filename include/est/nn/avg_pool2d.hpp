// Average pooling over square windows of (height, width, channels) input.
#pragma once

#include <est/nn/pool2d.hpp>

#include <string_view>

namespace est {

/// `avg_pool2d<Pool, Stride = Pool, Padding = valid>`, as tf.keras.layers.AveragePooling2D: the mean
/// over the part of each window inside the input (TensorFlow's `same` excludes the padding).
template <std::size_t Pool, std::size_t Stride = Pool, Padding Pad = valid>
struct avg_pool2d : detail::pool2d<pooling_kind::mean, Pool, Stride, Pad> {
    static constexpr std::string_view kind = "avg_pool2d";
};

}  // namespace est
