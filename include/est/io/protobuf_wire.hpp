// The protocol-buffer wire format, as far as tf.train.Example and TensorBoard's Event need it:
// varints, fixed 32/64-bit values and length-delimited fields, read from a byte range with bounds
// checks and written to a string.
#pragma once

#include <est/core/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
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
    bool next_field(std::uint32_t& number, wire_type& type) {
        if (done())
            return false;
        std::uint64_t key = varint();
        number = static_cast<std::uint32_t>(key >> 3);
        type = static_cast<wire_type>(key & 7);
        if (number == 0)
            fail("field number 0");
        return true;
    }

    std::uint64_t varint() {
        std::uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (done())
                fail("truncated varint");
            auto byte = static_cast<std::uint8_t>(data_[position_++]);
            value |= std::uint64_t(byte & 0x7f) << shift;
            if (!(byte & 0x80))
                return value;
        }
        fail("varint longer than 10 bytes");
    }
    std::uint32_t fixed32() {
        std::uint32_t v;
        std::memcpy(&v, take(4).data(), 4);  // the wire format is little-endian, like this host
        return v;
    }
    std::uint64_t fixed64() {
        std::uint64_t v;
        std::memcpy(&v, take(8).data(), 8);
        return v;
    }
    float float32() {
        std::uint32_t bits = fixed32();
        float v;
        std::memcpy(&v, &bits, 4);
        return v;
    }
    std::string_view bytes() { return take(static_cast<std::size_t>(varint())); }

    /// Skips a field of the given type (fields a reader does not know).
    void skip(wire_type type) {
        switch (type) {
            case wire_type::varint:
                varint();
                return;
            case wire_type::fixed64:
                take(8);
                return;
            case wire_type::length_delimited:
                bytes();
                return;
            case wire_type::fixed32:
                take(4);
                return;
        }
        fail("unsupported wire type " + std::to_string(int(type)));
    }

private:
    std::string_view take(std::size_t n) {
        if (n > data_.size() - position_)
            fail("field of " + std::to_string(n) + " bytes runs past the end of the message");
        std::string_view out = data_.substr(position_, n);
        position_ += n;
        return out;
    }
    [[noreturn]] void fail(std::string const& what) const {
        throw error("protocol buffer: " + what + " at byte " + std::to_string(position_));
    }

    std::string_view data_;
    std::size_t position_ = 0;
};

/// Appends fields of a message to a string.
class writer {
public:
    void varint(std::uint64_t value) {
        while (value >= 0x80) {
            out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
            value >>= 7;
        }
        out_.push_back(static_cast<char>(value));
    }
    void key(std::uint32_t number, wire_type type) { varint((std::uint64_t(number) << 3) | std::uint64_t(type)); }
    void bytes_field(std::uint32_t number, std::string_view bytes) {
        key(number, wire_type::length_delimited);
        varint(bytes.size());
        out_.append(bytes);
    }
    void varint_field(std::uint32_t number, std::uint64_t value) {
        key(number, wire_type::varint);
        varint(value);
    }
    void fixed32(std::uint32_t value) { out_.append(reinterpret_cast<char const*>(&value), 4); }
    void fixed64(std::uint64_t value) { out_.append(reinterpret_cast<char const*>(&value), 8); }
    void float32(float value) {
        std::uint32_t bits;
        std::memcpy(&bits, &value, 4);
        fixed32(bits);
    }

    std::string const& data() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

}  // namespace est::io::protobuf
