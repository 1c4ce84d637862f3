// Definitions of est/data/tf_example.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/data/tf_example.hpp>
#include <est/io/protobuf_wire.hpp>

namespace est::data {

EST_DECL std::string_view feature::type_name() const {
    switch (type) {
        case kind::bytes_list:
            return "bytes_list";
        case kind::float_list:
            return "float_list";
        case kind::int64_list:
            return "int64_list";
        case kind::none:
            return "none";
    }
    return "none";
}

EST_DECL feature const& tf_example::operator[](std::string_view name) const {
    auto it = features.find(name);
    if (it == features.end()) {
        std::string known;
        for (auto const& [n, f] : features) known += (known.empty() ? "" : ", ") + n;
        throw error("tf.train.Example has no feature '" + std::string(name) + "' (it has: " + known + ")");
    }
    return it->second;
}

EST_DECL tf_example tf_example::parse(std::string_view serialized) {
    tf_example example;
    for_each_feature(serialized, [&](std::string_view name, std::string_view value) {
        example.features[std::string(name)] = parse_feature(value, name);
    });
    return example;
}

EST_DECL std::string tf_example::serialize() const {
    io::protobuf::writer entries;
    for (auto const& [name, f] : features) {  // std::map: name order
        io::protobuf::writer list;
        switch (f.type) {
            case feature::kind::bytes_list:
                for (auto const& b : f.bytes) list.bytes_field(1, b);
                break;
            case feature::kind::float_list: {
                io::protobuf::writer packed;
                for (float v : f.floats) packed.float32(v);
                list.bytes_field(1, packed.data());
                break;
            }
            case feature::kind::int64_list: {
                io::protobuf::writer packed;
                for (std::int64_t v : f.int64s) packed.varint(static_cast<std::uint64_t>(v));
                list.bytes_field(1, packed.data());
                break;
            }
            case feature::kind::none:
                break;
        }
        io::protobuf::writer value;
        if (f.type != feature::kind::none)
            value.bytes_field(static_cast<std::uint32_t>(f.type), list.data());
        io::protobuf::writer entry;
        entry.bytes_field(1, name);
        entry.bytes_field(2, value.data());
        entries.bytes_field(1, entry.data());
    }
    io::protobuf::writer example;
    example.bytes_field(1, entries.data());
    return example.take();
}

EST_DECL feature tf_example::parse_feature(std::string_view bytes, std::string_view name) {
    feature f;
    io::protobuf::reader message(bytes);
    std::uint32_t number;
    io::protobuf::wire_type type;
    while (message.next_field(number, type)) {
        if (number < 1 || number > 3 || type != io::protobuf::wire_type::length_delimited) {
            message.skip(type);
            continue;
        }
        f = feature{static_cast<feature::kind>(number), {}, {}, {}};
        io::protobuf::reader list(message.bytes());
        std::uint32_t value_number;
        io::protobuf::wire_type value_type;
        while (list.next_field(value_number, value_type)) {
            if (value_number != 1) {
                list.skip(value_type);
                continue;
            }
            read_values(list, value_type, f, name);
        }
    }
    return f;
}

EST_DECL void tf_example::read_values(io::protobuf::reader& list, io::protobuf::wire_type type, feature& f,
                                      std::string_view name) {
    using io::protobuf::wire_type;
    auto wrong = [&] {
        throw error("tf.train.Example feature '" + std::string(name) + "': a " + std::string(f.type_name()) +
                    " value has wire type " + std::to_string(int(type)));
    };
    switch (f.type) {
        case feature::kind::bytes_list:
            if (type != wire_type::length_delimited)
                wrong();
            f.bytes.emplace_back(list.bytes());
            return;
        case feature::kind::float_list:
            if (type == wire_type::fixed32) {
                f.floats.push_back(list.float32());
            } else if (type == wire_type::length_delimited) {
                std::string_view packed = list.bytes();
                if (packed.size() % 4)
                    throw error("tf.train.Example feature '" + std::string(name) +
                                "': packed floats are not a multiple of 4 bytes");
                io::protobuf::reader values(packed);
                while (!values.done()) f.floats.push_back(values.float32());
            } else {
                wrong();
            }
            return;
        case feature::kind::int64_list:
            if (type == wire_type::varint) {
                f.int64s.push_back(static_cast<std::int64_t>(list.varint()));
            } else if (type == wire_type::length_delimited) {
                io::protobuf::reader values(list.bytes());
                while (!values.done()) f.int64s.push_back(static_cast<std::int64_t>(values.varint()));
            } else {
                wrong();
            }
            return;
        case feature::kind::none:
            list.skip(type);
            return;
    }
}

}  // namespace est::data
