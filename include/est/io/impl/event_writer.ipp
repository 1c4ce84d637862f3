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
    value_.clear();
    value_.bytes_field(1, tag);
    value_.key(2, protobuf::wire_type::fixed32);
    value_.float32(value);
    write_summary(step);
}

EST_DECL void event_writer::image(std::string_view tag, std::string_view png, std::size_t height, std::size_t width,
                                  std::size_t channels, std::int64_t step) {
    content_.clear();
    content_.varint_field(1, height);
    content_.varint_field(2, width);
    content_.varint_field(3, channels);
    content_.bytes_field(4, png);
    value_.clear();
    value_.bytes_field(1, tag);
    value_.bytes_field(4, content_.data());
    write_summary(step);
}

EST_DECL void event_writer::histogram(std::string_view tag, std::span<float const> values, std::int64_t step) {
    static buckets const bucket;
    auto limits = bucket.limits();
    // Memory for the largest histogram, every bucket kept (25 KB encoded), from the first on: the
    // values spread as a model trains, and a later histogram keeps more buckets than the first.
    if (kept_limits_.capacity() < limits.size()) {
        kept_limits_.reserve(limits.size());
        kept_counts_.reserve(limits.size());
        std::size_t largest = 2 * limits.size() * sizeof(double) + 128;  // the packed doubles, the rest
        content_.reserve(largest);
        for (auto* message : {&value_, &summary_, &event_}) message->reserve(largest += 256);  // + tag, keys
    }
    counts_.assign(limits.size(), 0.0);
    double low = values.empty() ? 0.0 : double(values[0]), high = low, sum = 0.0, squares = 0.0;
    for (float f : values) {
        double v = f;
        low = std::min(low, v);
        high = std::max(high, v);
        sum += v;
        squares += v * v;
        counts_[bucket.of(f)] += 1.0;
    }
    // A run of empty buckets becomes one bucket, as TensorFlow encodes them.
    kept_limits_.clear();
    kept_counts_.clear();
    for (std::size_t i = 0; i < limits.size(); ++i) {
        if (counts_[i] == 0.0 && !kept_counts_.empty() && kept_counts_.back() == 0.0) {
            kept_limits_.back() = limits[i];
            continue;
        }
        kept_limits_.push_back(limits[i]);
        kept_counts_.push_back(counts_[i]);
    }
    content_.clear();
    for (auto [field, v] : {std::pair{1u, low}, {2u, high}, {3u, double(values.size())}, {4u, sum}, {5u, squares}}) {
        content_.key(field, protobuf::wire_type::fixed64);
        content_.fixed64(std::bit_cast<std::uint64_t>(v));
    }
    content_.packed_doubles(6, kept_limits_);
    content_.packed_doubles(7, kept_counts_);
    value_.clear();
    value_.bytes_field(1, tag);
    value_.bytes_field(5, content_.data());
    write_summary(step);
}

EST_DECL void event_writer::write_summary(std::int64_t step) {
    summary_.clear();
    summary_.bytes_field(1, value_.data());
    event_.clear();
    event_.key(1, protobuf::wire_type::fixed64);
    event_.fixed64(std::bit_cast<std::uint64_t>(now()));
    event_.varint_field(2, static_cast<std::uint64_t>(step));
    event_.bytes_field(5, summary_.data());
    file_.write(event_.data());
}

EST_DECL event_writer::buckets::buckets() : first_(std::size_t(1) << 16) {
    std::vector<double> positive;
    for (double v = 1e-12; v < 1e20; v *= 1.1) positive.push_back(v);
    limits_.assign(positive.rbegin(), positive.rend());
    for (double& v : limits_) v = -v;
    limits_.push_back(0.0);
    limits_.insert(limits_.end(), positive.begin(), positive.end());
    limits_.push_back(std::numeric_limits<double>::max());
    for (std::uint32_t high = 0; high < first_.size(); ++high) {
        // The smallest float of these high bits: low bits 0 for a positive, all ones for a negative
        // (whose NaNs leave -inf, 0xff800000, the smallest of its range).
        bool negative = high >> 15;
        float smallest = std::bit_cast<float>(high << 16 | (negative && high != 0xff80 ? 0xffffu : 0u));
        std::size_t i = std::upper_bound(limits_.begin(), limits_.end(), double(smallest)) - limits_.begin();
        first_[high] = std::uint16_t(smallest != smallest ? limits_.size() - 1 : std::min(i, limits_.size() - 1));
    }
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
