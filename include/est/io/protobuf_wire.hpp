// The protocol-buffer wire format, as far as tf.train.Example and TensorBoard's Event need it:
// varints, fixed 32/64-bit values and length-delimited fields, read from a byte range with bounds
// checks and written to a string.
#pragma once

#include <est/core/config.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace est::io::protobuf {

enum class wire_type : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

/// Reads fields from a serialized message; every read is checked against the end of the data.
class reader {
public:
    explicit reader(std::string_view data) : data_(data) {}

    bool done() const { return position_ >= data_.size(); }

    /// Reads a field key; returns false at the end of the message.
    bool next_field(std::uint32_t& number, wire_type& type);

    std::uint64_t varint();
    std::uint32_t fixed32();
    std::uint64_t fixed64();
    float float32();
    std::string_view bytes() { return take(static_cast<std::size_t>(varint())); }

    /// Skips a field of the given type (fields a reader does not know).
    void skip(wire_type type);

private:
    std::string_view take(std::size_t n);
    [[noreturn]] void fail(std::string const& what) const;

    std::string_view data_;
    std::size_t position_ = 0;
};

/// Appends fields of a message to a string.
class writer {
public:
    void varint(std::uint64_t value);
    void key(std::uint32_t number, wire_type type) { varint((std::uint64_t(number) << 3) | std::uint64_t(type)); }
    void bytes_field(std::uint32_t number, std::string_view bytes);
    void varint_field(std::uint32_t number, std::uint64_t value);
    void fixed32(std::uint32_t value) { out_.append(reinterpret_cast<char const*>(&value), 4); }
    void fixed64(std::uint64_t value) { out_.append(reinterpret_cast<char const*>(&value), 8); }
    void float32(float value);
    /// A packed repeated double field.
    void packed_doubles(std::uint32_t number, std::span<double const> values);

    std::string const& data() const { return out_; }
    std::string take() { return std::move(out_); }
    /// Empties the message, keeping its memory for the next.
    void clear() { out_.clear(); }
    /// Keeps memory for a message of `bytes` bytes.
    void reserve(std::size_t bytes) { out_.reserve(bytes); }

private:
    std::string out_;
};

}  // namespace est::io::protobuf

#if defined(EST_DEFINITIONS)
#include <est/io/impl/protobuf_wire.ipp>
#endif
