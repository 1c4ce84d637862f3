// Image datasets as sharded TFRecord files, in the layout TensorFlow's image models read:
// tf.train.Examples with the PNG-encoded image ("image/encoded", "image/format"), its size
// ("image/height", "image/width", "image/channels") and an int64 label ("image/class/label").
#pragma once

#include <est/core/config.hpp>
#include <est/core/error.hpp>
#include <est/data/example_schema.hpp>
#include <est/data/tf_example.hpp>
#include <est/io/png.hpp>
#include <est/io/tfrecord.hpp>

#include <xtensor/xarray.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace est::data {

/// What a reader of those files parses: the encoded image and the label.
using image_example_schema =
    example_schema<fixed_len<"image/encoded", std::string>, fixed_len<"image/class/label", std::int64_t>>;

/// "<prefix>-<index>-of-<count>.tfrecord", TensorFlow's shard naming.
EST_DECL std::string shard_file_name(std::string const& prefix, std::size_t index, std::size_t count);

/// Writes `images` (n, rows, cols) or (n, rows, cols, channels) of 8-bit samples and their
/// `labels` (n) into `shards` files in `directory`, examples dealt round-robin; returns the paths.
template <class Labels>
std::vector<std::string> write_image_shards(xt::xarray<std::uint8_t> const& images, Labels const& labels,
                                            std::filesystem::path const& directory, std::string const& prefix,
                                            std::size_t shards, io::compression c = io::compression::none) {
    if (shards == 0)
        throw error("write_image_shards: the number of shards must be positive");
    if (images.dimension() != 3 && images.dimension() != 4)
        throw error("write_image_shards: images must be (n, rows, cols) or (n, rows, cols, channels)");
    std::size_t count = images.shape()[0], rows = images.shape()[1], cols = images.shape()[2];
    std::size_t channels = images.dimension() == 4 ? images.shape()[3] : 1;
    if (labels.size() != count)
        throw error("write_image_shards: " + std::to_string(count) + " images but " + std::to_string(labels.size()) +
                    " labels");
    if (shards > std::max<std::size_t>(count, 1))  // checked before any file is made
        throw error("write_image_shards: " + std::to_string(shards) + " shards for " + std::to_string(count) +
                    " images; at most one shard an image");
    std::filesystem::create_directories(directory);
    std::vector<std::string> paths;
    std::vector<std::unique_ptr<io::tfrecord_writer>> writers;
    for (std::size_t i = 0; i < shards; ++i) {
        paths.push_back((directory / shard_file_name(prefix, i, shards)).string());
        writers.push_back(std::make_unique<io::tfrecord_writer>(paths.back(), c));
    }
    std::size_t size = rows * cols * channels;
    for (std::size_t i = 0; i < count; ++i) {
        std::span<std::uint8_t const> pixels(images.data() + i * size, size);
        tf_example example;
        example.set("image/encoded", std::vector<std::string>{io::encode_png(pixels, rows, cols, channels)});
        example.set("image/format", std::vector<std::string>{"png"});
        example.set("image/class/label", std::vector<std::int64_t>{std::int64_t(labels.data()[i])});
        example.set("image/height", std::vector<std::int64_t>{std::int64_t(rows)});
        example.set("image/width", std::vector<std::int64_t>{std::int64_t(cols)});
        example.set("image/channels", std::vector<std::int64_t>{std::int64_t(channels)});
        writers[i % shards]->write(example.serialize());
    }
    for (auto& w : writers) w->flush();
    return paths;
}

}  // namespace est::data

#if defined(EST_DEFINITIONS)
#include <est/data/impl/image_shards.ipp>
#endif
