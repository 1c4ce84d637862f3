// tf.train.Example, the record format of TFRecord datasets: a map from feature name to a list of
// bytes, floats or int64s. Parsed from and serialized to the protocol-buffer wire format (packed
// and unpacked lists both read), so tools can read and make the files TensorFlow reads.
#pragma once

#include <est/core/error.hpp>
#include <est/io/protobuf_wire.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace est::data {

/// One feature of an Example: exactly one of its lists is used, named by `kind`.
struct feature {
    enum class kind { none, bytes_list, float_list, int64_list };

    kind type = kind::none;
    std::vector<std::string> bytes;
    std::vector<float> floats;
    std::vector<std::int64_t> int64s;

    std::size_t size() const {
        return type == kind::bytes_list ? bytes.size() : type == kind::float_list ? floats.size() : int64s.size();
    }
    /// "bytes_list", "float_list", "int64_list" (TensorFlow's names), or "none".
    std::string_view type_name() const {
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
};

/// A tf.train.Example: features by name.
class tf_example {
public:
    std::map<std::string, feature, std::less<>> features;

    tf_example& set(std::string name, std::vector<std::string> values) {
        features[std::move(name)] = feature{feature::kind::bytes_list, std::move(values), {}, {}};
        return *this;
    }
    tf_example& set(std::string name, std::vector<float> values) {
        features[std::move(name)] = feature{feature::kind::float_list, {}, std::move(values), {}};
        return *this;
    }
    tf_example& set(std::string name, std::vector<std::int64_t> values) {
        features[std::move(name)] = feature{feature::kind::int64_list, {}, {}, std::move(values)};
        return *this;
    }

    /// The feature `name`; an error names it and the features there are.
    feature const& operator[](std::string_view name) const {
        auto it = features.find(name);
        if (it == features.end()) {
            std::string known;
            for (auto const& [n, f] : features) known += (known.empty() ? "" : ", ") + n;
            throw error("tf.train.Example has no feature '" + std::string(name) + "' (it has: " + known + ")");
        }
        return it->second;
    }

    /// Parses the wire format; a malformed message is an error saying where.
    static tf_example parse(std::string_view serialized) {
        tf_example example;
        io::protobuf::reader message(serialized);
        std::uint32_t number;
        io::protobuf::wire_type type;
        while (message.next_field(number, type)) {
            if (number != 1 || type != io::protobuf::wire_type::length_delimited) {
                message.skip(type);
                continue;
            }
            io::protobuf::reader features(message.bytes());
            while (features.next_field(number, type)) {
                if (number != 1 || type != io::protobuf::wire_type::length_delimited) {
                    features.skip(type);
                    continue;
                }
                parse_entry(features.bytes(), example);
            }
        }
        return example;
    }

    /// The wire format, features in name order (deterministic output).
    std::string serialize() const {
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

private:
    static void parse_entry(std::string_view bytes, tf_example& example) {
        io::protobuf::reader entry(bytes);
        std::string name;
        std::string_view value;
        std::uint32_t number;
        io::protobuf::wire_type type;
        while (entry.next_field(number, type)) {
            if (number == 1 && type == io::protobuf::wire_type::length_delimited)
                name = std::string(entry.bytes());
            else if (number == 2 && type == io::protobuf::wire_type::length_delimited)
                value = entry.bytes();
            else
                entry.skip(type);
        }
        example.features[name] = parse_feature(value, name);
    }

    static feature parse_feature(std::string_view bytes, std::string const& name) {
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

    static void read_values(io::protobuf::reader& list, io::protobuf::wire_type type, feature& f,
                            std::string const& name) {
        using io::protobuf::wire_type;
        auto wrong = [&] {
            throw error("tf.train.Example feature '" + name + "': a " + std::string(f.type_name()) +
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
                        throw error("tf.train.Example feature '" + name +
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
};

}  // namespace est::data
