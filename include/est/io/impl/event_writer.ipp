// Definitions of est/io/event_writer.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/io/event_writer.hpp>

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <chrono>
#include <limits>

namespace est::io {

EST_DECL event_writer::event_writer(std::filesystem::path const& directory)
    : path_(make_path(directory)), file_(path_.string(), compression::none) {
    protobuf::writer event;
    event.key(1, protobuf::wire_type::fixed64);
    event.fixed64(std::bit_cast<std::uint64_t>(now()));
    event.bytes_field(3, "brain.Event:2");
    file_.write(event.data());
    file_.flush();
}

EST_DECL void event_writer::scalar(std::string_view tag, float value, std::int64_t step) {
    protobuf::writer summary_value;
    summary_value.bytes_field(1, tag);
    summary_value.key(2, protobuf::wire_type::fixed32);
    summary_value.float32(value);
    write_summary(summary_value, step);
}

EST_DECL void event_writer::image(std::string_view tag, std::string const& png, std::size_t height, std::size_t width,
                                  std::size_t channels, std::int64_t step) {
    protobuf::writer image;
    image.varint_field(1, height);
    image.varint_field(2, width);
    image.varint_field(3, channels);
    image.bytes_field(4, png);
    protobuf::writer summary_value;
    summary_value.bytes_field(1, tag);
    summary_value.bytes_field(4, image.data());
    write_summary(summary_value, step);
}

EST_DECL void event_writer::histogram(std::string_view tag, std::span<float const> values, std::int64_t step) {
    static std::vector<double> const limits = default_bucket_limits();
    std::vector<double> counts(limits.size(), 0.0);
    double low = values.empty() ? 0.0 : double(values[0]), high = low, sum = 0.0, squares = 0.0;
    for (float f : values) {
        double v = f;
        low = std::min(low, v);
        high = std::max(high, v);
        sum += v;
        squares += v * v;
        counts[std::size_t(std::lower_bound(limits.begin(), limits.end(), v) - limits.begin())] += 1.0;
    }
    // A run of empty buckets becomes one bucket, as TensorFlow encodes them.
    std::vector<double> kept_limits, kept_counts;
    for (std::size_t i = 0; i < limits.size(); ++i) {
        if (counts[i] == 0.0 && !kept_counts.empty() && kept_counts.back() == 0.0) {
            kept_limits.back() = limits[i];
            continue;
        }
        kept_limits.push_back(limits[i]);
        kept_counts.push_back(counts[i]);
    }
    protobuf::writer histo;
    auto fixed_double = [&](std::uint32_t field, double value) {
        histo.key(field, protobuf::wire_type::fixed64);
        histo.fixed64(std::bit_cast<std::uint64_t>(value));
    };
    fixed_double(1, low);
    fixed_double(2, high);
    fixed_double(3, double(values.size()));
    fixed_double(4, sum);
    fixed_double(5, squares);
    auto packed = [&](std::uint32_t field, std::span<double const> doubles) {
        std::string bytes;
        for (double d : doubles) {
            auto bits = std::bit_cast<std::uint64_t>(d);
            bytes.append(reinterpret_cast<char const*>(&bits), 8);
        }
        histo.bytes_field(field, bytes);
    };
    packed(6, kept_limits);
    packed(7, kept_counts);
    protobuf::writer summary_value;
    summary_value.bytes_field(1, tag);
    summary_value.bytes_field(5, histo.data());
    write_summary(summary_value, step);
}

EST_DECL void event_writer::write_summary(protobuf::writer const& value, std::int64_t step) {
    protobuf::writer summary;
    summary.bytes_field(1, value.data());
    protobuf::writer event;
    event.key(1, protobuf::wire_type::fixed64);
    event.fixed64(std::bit_cast<std::uint64_t>(now()));
    event.varint_field(2, static_cast<std::uint64_t>(step));
    event.bytes_field(5, summary.data());
    file_.write(event.data());
}

EST_DECL std::vector<double> event_writer::default_bucket_limits() {
    std::vector<double> positive;
    for (double v = 1e-12; v < 1e20; v *= 1.1) positive.push_back(v);
    std::vector<double> limits(positive.rbegin(), positive.rend());
    for (double& v : limits) v = -v;
    limits.push_back(0.0);
    limits.insert(limits.end(), positive.begin(), positive.end());
    limits.push_back(std::numeric_limits<double>::max());
    return limits;
}

EST_DECL double event_writer::now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

EST_DECL std::filesystem::path event_writer::make_path(std::filesystem::path const& directory) {
    std::error_code failed;
    std::filesystem::create_directories(directory, failed);
    if (failed)
        throw error("event directory '" + directory.string() + "' cannot be created: " + failed.message());
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto path = directory / ("events.out.tfevents." + std::to_string(seconds) + "." + host);
    for (int suffix = 1; std::filesystem::exists(path); ++suffix)  // two writers in one second
        path =
            directory / ("events.out.tfevents." + std::to_string(seconds) + "." + host + "." + std::to_string(suffix));
    return path;
}

}  // namespace est::io
