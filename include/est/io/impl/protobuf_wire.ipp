// Definitions of est/io/protobuf_wire.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/io/protobuf_wire.hpp>

#include <bit>
#include <cstring>

namespace est::io::protobuf {

EST_DECL bool reader::next_field(std::uint32_t& number, wire_type& type) {
    if (done())
        return false;
    std::uint64_t key = varint();
    number = static_cast<std::uint32_t>(key >> 3);
    type = static_cast<wire_type>(key & 7);
    if (number == 0)
        fail("field number 0");
    return true;
}

EST_DECL std::uint64_t reader::varint() {
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

EST_DECL std::uint32_t reader::fixed32() {
    std::uint32_t v;
    std::memcpy(&v, take(4).data(), 4);  // the wire format is little-endian, like this host
    return v;
}

EST_DECL std::uint64_t reader::fixed64() {
    std::uint64_t v;
    std::memcpy(&v, take(8).data(), 8);
    return v;
}

EST_DECL float reader::float32() {
    std::uint32_t bits = fixed32();
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
}

EST_DECL void reader::skip(wire_type type) {
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

EST_DECL std::string_view reader::take(std::size_t n) {
    if (n > data_.size() - position_)
        fail("field of " + std::to_string(n) + " bytes runs past the end of the message");
    std::string_view out = data_.substr(position_, n);
    position_ += n;
    return out;
}

EST_DECL void reader::fail(std::string const& what) const {
    throw error("protocol buffer: " + what + " at byte " + std::to_string(position_));
}

EST_DECL void writer::varint(std::uint64_t value) {
    while (value >= 0x80) {
        out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
}

EST_DECL void writer::bytes_field(std::uint32_t number, std::string_view bytes) {
    key(number, wire_type::length_delimited);
    varint(bytes.size());
    out_.append(bytes);
}

EST_DECL void writer::varint_field(std::uint32_t number, std::uint64_t value) {
    key(number, wire_type::varint);
    varint(value);
}

EST_DECL void writer::packed_doubles(std::uint32_t number, std::span<double const> values) {
    key(number, wire_type::length_delimited);
    varint(values.size() * 8);
    for (double d : values) fixed64(std::bit_cast<std::uint64_t>(d));
}

EST_DECL void writer::float32(float value) {
    std::uint32_t bits;
    std::memcpy(&bits, &value, 4);
    fixed32(bits);
}

}  // namespace est::io::protobuf
