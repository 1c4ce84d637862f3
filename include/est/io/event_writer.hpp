// TensorBoard event files: `events.out.tfevents.<seconds>.<host>` holding TFRecord-framed
// tensorflow.Event protocol buffers. The first event names the file version; summaries are
// Summary values in TF 1 style (simple_value, image, histo), which TensorBoard reads as scalars,
// images and histograms.
#pragma once

#include <est/core/config.hpp>
#include <est/io/png.hpp>
#include <est/io/protobuf_wire.hpp>
#include <est/io/tfrecord.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <span>
#include <string_view>
#include <vector>

namespace est::io {

/// Appends events to a new event file in `directory` (created if missing).
class event_writer {
public:
    explicit event_writer(std::filesystem::path const& directory);

    std::filesystem::path const& path() const { return path_; }

    /// A scalar summary `tag` = `value` at `step`.
    void scalar(std::string_view tag, float value, std::int64_t step);

    /// An image summary: PNG bytes of a height x width image with `channels` (Summary.Image).
    void image(std::string_view tag, std::string const& png, std::size_t height, std::size_t width,
               std::size_t channels, std::int64_t step);

    /// A histogram summary of `values` (HistogramProto) with TensorFlow's default bucket limits:
    /// powers of 1.1 from 1e-12 up, mirrored for negatives, around zero.
    void histogram(std::string_view tag, std::span<float const> values, std::int64_t step);

    /// Makes everything written visible to TensorBoard.
    void flush() { file_.flush(); }

private:
    void write_summary(protobuf::writer const& value, std::int64_t step);

    static std::vector<double> default_bucket_limits();

    static double now();
    static std::filesystem::path make_path(std::filesystem::path const& directory);

    std::filesystem::path path_;
    tfrecord_writer file_;
};

}  // namespace est::io

#if defined(EST_DEFINITIONS)
#include <est/io/impl/event_writer.ipp>
#endif
