// TensorBoard event files: `events.out.tfevents.<seconds>.<host>` holding TFRecord-framed
// tensorflow.Event protocol buffers. The first event names the file version; summaries are
// Summary values in TF 1 style (simple_value, image, histo), which TensorBoard reads as scalars,
// images and histograms.
#pragma once

#include <est/core/config.hpp>
#include <est/io/png.hpp>
#include <est/io/protobuf_wire.hpp>
#include <est/io/tfrecord.hpp>

#include <bit>
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
    void image(std::string_view tag, std::string_view png, std::size_t height, std::size_t width, std::size_t channels,
               std::int64_t step);

    /// A histogram summary of `values` (HistogramProto) with TensorFlow's default bucket limits:
    /// powers of 1.1 from 1e-12 up, mirrored for negatives, around zero. A value goes to the first
    /// bucket whose limit exceeds it, as in TensorFlow; +inf and NaN to the last.
    void histogram(std::string_view tag, std::span<float const> values, std::int64_t step);

    /// Makes everything written visible to TensorBoard.
    void flush() { file_.flush(); }

    /// TensorFlow's default bucket limits and the bucket of a float, found from a table over its
    /// 16 high bits (sign, exponent, 7 bits of mantissa): such a range of normal floats spans a ratio
    /// of at most 1 + 2^-7, less than the buckets' 1.1, so it meets at most one limit (subnormals lie
    /// below the smallest).
    class buckets {
    public:
        buckets();
        std::span<double const> limits() const { return limits_; }
        std::size_t of(float value) const {
            if (value != value)
                return limits_.size() - 1;
            std::size_t i = first_[std::bit_cast<std::uint32_t>(value) >> 16];
            while (i + 1 < limits_.size() && !(double(value) < limits_[i])) ++i;
            return i;
        }

    private:
        std::vector<double> limits_;
        std::vector<std::uint16_t> first_;  ///< the bucket of the smallest float of each 16 high bits
    };

private:
    void write_summary(std::int64_t step);  // of value_

    static double now();
    static std::filesystem::path make_path(std::filesystem::path const& directory);

    std::filesystem::path path_;
    tfrecord_writer file_;
    // Kept from one summary to the next, so that a summary step allocates nothing after the first.
    std::vector<double> counts_, kept_limits_, kept_counts_;
    protobuf::writer content_, value_, summary_, event_;  // a histogram's or image's, Summary.Value...
};

}  // namespace est::io

#if defined(EST_DEFINITIONS)
#include <est/io/impl/event_writer.ipp>
#endif
