// Max pooling over square windows of (height, width, channels) input.
#pragma once

#include <est/nn/pool2d.hpp>

#include <string_view>

namespace est {

/// `max_pool2d<Pool, Stride = Pool, Padding = valid>`, as tf.keras.layers.MaxPool2D. In a tie the
/// gradient goes to one of the maxima (oneDNN's choice on the host).
template <std::size_t Pool, std::size_t Stride = Pool, Padding Pad = valid>
struct max_pool2d : detail::pool2d<pooling_kind::max, Pool, Stride, Pad> {
    static constexpr std::string_view kind = "max_pool2d";
};

}  // namespace est
