// TensorBoard event files: `events.out.tfevents.<seconds>.<host>` holding TFRecord-framed
// tensorflow.Event protocol buffers. The first event names the file version; scalars are
// Summary values with a tag and a simple_value, as tf.summary.scalar writes them (TF 1 style,
// which TensorBoard reads as scalars).
#pragma once

#include <est/core/error.hpp>
#include <est/data/tfrecord.hpp>
#include <est/io/protobuf_wire.hpp>

#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace est::io {

/// Appends events to a new event file in `directory` (created if missing).
class event_writer {
public:
    explicit event_writer(std::filesystem::path const& directory)
        : path_(make_path(directory)), file_(path_.string(), data::compression::none) {
        protobuf::writer event;
        event.key(1, protobuf::wire_type::fixed64);
        event.fixed64(std::bit_cast<std::uint64_t>(now()));
        event.bytes_field(3, "brain.Event:2");
        file_.write(event.data());
        file_.flush();
    }

    std::filesystem::path const& path() const { return path_; }

    /// A scalar summary `tag` = `value` at `step`.
    void scalar(std::string_view tag, float value, std::int64_t step) {
        protobuf::writer summary_value;
        summary_value.bytes_field(1, tag);
        summary_value.key(2, protobuf::wire_type::fixed32);
        summary_value.float32(value);
        protobuf::writer summary;
        summary.bytes_field(1, summary_value.data());
        protobuf::writer event;
        event.key(1, protobuf::wire_type::fixed64);
        event.fixed64(std::bit_cast<std::uint64_t>(now()));
        event.varint_field(2, static_cast<std::uint64_t>(step));
        event.bytes_field(5, summary.data());
        file_.write(event.data());
    }

    /// Makes everything written visible to TensorBoard.
    void flush() { file_.flush(); }

private:
    static double now() {
        return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    }
    static std::filesystem::path make_path(std::filesystem::path const& directory) {
        std::error_code failed;
        std::filesystem::create_directories(directory, failed);
        if (failed)
            throw error("event directory '" + directory.string() + "' cannot be created: " + failed.message());
        char host[256] = "localhost";
        gethostname(host, sizeof host - 1);
        auto seconds =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        auto path = directory / ("events.out.tfevents." + std::to_string(seconds) + "." + host);
        for (int suffix = 1; std::filesystem::exists(path); ++suffix)  // two writers in one second
            path = directory /
                   ("events.out.tfevents." + std::to_string(seconds) + "." + host + "." + std::to_string(suffix));
        return path;
    }

    std::filesystem::path path_;
    data::tfrecord_writer file_;
};

}  // namespace est::io
