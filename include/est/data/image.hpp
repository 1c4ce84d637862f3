// Images in an input pipeline, as tf.image: conversion to float, bilinear resize, central and
// random crops, random left-right flips, per-channel mean subtraction, and conversion to a
// fixed-shape example tensor; plus one_hot. The image type and the PNG/JPEG decoders are io/'s.
// Random operations take a seed (e.g. derived from the element index that map passes), so a
// pipeline is deterministic for any number of threads.
#pragma once

#include <est/core/config.hpp>
#include <est/core/error.hpp>
#include <est/core/random.hpp>
#include <est/core/record.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/io/decode_image.hpp>
#include <est/io/image.hpp>
#include <est/io/jpeg.hpp>
#include <est/io/png.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace est::data {

// The image type and its decoders live in io/ (io/image.hpp, io/png.hpp, io/jpeg.hpp,
// io/decode_image.hpp); tf.image offers them with its transforms, so est::data does too.
using io::decode_image;
using io::decode_jpeg;
using io::decode_png;
using io::image;

namespace detail {
/// decode(record[field]), and an error names the feature: "feature 'image/encoded': ...".
template <class Record, fixed_string Name, class Decode>
image<std::uint8_t> decode_feature(Record const& record, field_name<Name> field, Decode decode) {
    try {
        return decode(record[field]);
    } catch (error const& e) {
        throw error("feature '" + std::string(Name.view()) + "': " + e.what());
    }
}
}  // namespace detail

/// Decodes the PNG bytes of a parsed record's string feature; an error names the feature (and,
/// in a map over a TFRecord dataset, map adds the file and the record).
template <class Record, fixed_string Name>
image<std::uint8_t> decode_png(Record const& record, field_name<Name> field, std::size_t channels = 0) {
    return detail::decode_feature(record, field,
                                  [&](std::string_view bytes) { return io::decode_png(bytes, channels); });
}
/// decode_png's twin for JPEG.
template <class Record, fixed_string Name>
image<std::uint8_t> decode_jpeg(Record const& record, field_name<Name> field, std::size_t channels = 0) {
    return detail::decode_feature(record, field,
                                  [&](std::string_view bytes) { return io::decode_jpeg(bytes, channels); });
}
/// decode_png's twin for PNG or JPEG, told apart by their first bytes.
template <class Record, fixed_string Name>
image<std::uint8_t> decode_image(Record const& record, field_name<Name> field, std::size_t channels = 0) {
    return detail::decode_feature(record, field,
                                  [&](std::string_view bytes) { return io::decode_image(bytes, channels); });
}

/// 8-bit samples to floats times `scale` (1/255: [0, 1], as tf.image.convert_image_dtype).
EST_DECL image<float> to_float(image<std::uint8_t> const& in, float scale = 1.0f / 255.0f);

/// Bilinear resize with half-pixel centers (tf.image.resize, method bilinear).
EST_DECL image<float> resize_bilinear(image<float> const& in, std::size_t height, std::size_t width);

/// The height x width window at (top, left).
template <class T>
image<T> crop(image<T> const& in, std::size_t top, std::size_t left, std::size_t height, std::size_t width) {
    if (height > in.height || top > in.height - height || width > in.width || left > in.width - width)
        throw error("crop: a " + std::to_string(height) + "x" + std::to_string(width) + " window at (" +
                    std::to_string(top) + ", " + std::to_string(left) + ") does not fit a " +
                    std::to_string(in.height) + "x" + std::to_string(in.width) + " image");
    image<T> out{height, width, in.channels, std::vector<T>(height * width * in.channels)};
    for (std::size_t y = 0; y < height; ++y)
        std::copy_n(&in.at(top + y, left, 0), width * in.channels, &out.at(y, 0, 0));
    return out;
}

/// The central `fraction` of each side (tf.image.central_crop).
template <class T>
image<T> central_crop(image<T> const& in, float fraction) {
    if (!(fraction > 0.0f && fraction <= 1.0f))
        throw error("central_crop: the fraction must be in (0, 1], not " + std::to_string(fraction));
    auto height = std::max<std::size_t>(1, std::size_t(std::lround(float(in.height) * fraction)));
    auto width = std::max<std::size_t>(1, std::size_t(std::lround(float(in.width) * fraction)));
    return crop(in, (in.height - height) / 2, (in.width - width) / 2, height, width);
}

/// A height x width window at a position drawn from `seed` (tf.image.stateless_random_crop).
template <class T>
image<T> random_crop(image<T> const& in, std::size_t height, std::size_t width, std::uint64_t seed) {
    if (height > in.height || width > in.width)
        return crop(in, 0, 0, height, width);  // reports the misfit
    random_engine engine(seed);
    std::size_t top = engine.below(in.height - height + 1);
    std::size_t left = engine.below(in.width - width + 1);
    return crop(in, top, left, height, width);
}

/// Mirrors the image left-right with probability 1/2, drawn from `seed`.
template <class T>
image<T> random_flip_left_right(image<T> in, std::uint64_t seed) {
    random_engine engine(seed);
    if (engine.below(2) == 0)
        return in;
    for (std::size_t y = 0; y < in.height; ++y)
        for (std::size_t x = 0; x < in.width / 2; ++x)
            for (std::size_t c = 0; c < in.channels; ++c) std::swap(in.at(y, x, c), in.at(y, in.width - 1 - x, c));
    return in;
}

/// Subtracts a mean per channel (e.g. the dataset's channel means).
EST_DECL image<float> subtract_mean(image<float> in, std::span<float const> means);

/// The image as a per-example tensor of static shape (H, W, C); another size is an error.
template <Shape S>
example_value_t<float, S> to_example(image<float> const& in) {
    static_assert(S::rank == 3, "to_example<shape<H, W, C>>: images are rank 3");
    constexpr auto e = S::extents;
    if (in.height != e[0] || in.width != e[1] || in.channels != e[2])
        throw error("to_example: a " + std::to_string(in.height) + "x" + std::to_string(in.width) + "x" +
                    std::to_string(in.channels) + " image does not fit " + S::to_string() + "; resize or crop it");
    example_value_t<float, S> out;
    std::copy(in.pixels.begin(), in.pixels.end(), out.begin());
    return out;
}

/// A one-hot vector of N classes (tf.one_hot); a label outside [0, N) is an error.
template <std::size_t N, class Label>
example_value_t<float, shape<N>> one_hot(Label label) {
    if (label < 0 || std::size_t(label) >= N)
        throw error("one_hot: label " + std::to_string(label) + " is outside [0, " + std::to_string(N) + ")");
    example_value_t<float, shape<N>> out;
    out.fill(0.0f);
    out(std::size_t(label)) = 1.0f;
    return out;
}

}  // namespace est::data

#if defined(EST_DEFINITIONS)
#include <est/data/impl/image.ipp>
#endif
