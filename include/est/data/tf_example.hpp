// tf.train.Example, the record format of TFRecord datasets: a map from feature name to a list of
// bytes, floats or int64s. Parsed from and serialized to the protocol-buffer wire format (packed
// and unpacked lists both read), so tools can read and make the files TensorFlow reads.
#pragma once

#include <est/core/config.hpp>
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
    EST_DECL std::string_view type_name() const;
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
    EST_DECL feature const& operator[](std::string_view name) const;

    /// Parses the wire format; a malformed message is an error saying where.
    EST_DECL static tf_example parse(std::string_view serialized);

    /// Calls `visit(name, value)` for each entry of a serialized Example's feature map, in wire
    /// order and duplicates too, `value` being the entry's Feature message, unparsed
    /// (parse_feature reads it): a reader of a few features skips the others' values, as
    /// TensorFlow's fast Example parsing does. A later entry of a name should replace an earlier
    /// one, as in protobuf's maps.
    template <class Visit>
    static void for_each_feature(std::string_view serialized, Visit&& visit) {
        using io::protobuf::wire_type;
        io::protobuf::reader message(serialized);
        std::uint32_t number;
        wire_type type;
        while (message.next_field(number, type)) {
            if (number != 1 || type != wire_type::length_delimited) {
                message.skip(type);
                continue;
            }
            io::protobuf::reader features(message.bytes());
            while (features.next_field(number, type)) {
                if (number != 1 || type != wire_type::length_delimited) {
                    features.skip(type);
                    continue;
                }
                io::protobuf::reader entry(features.bytes());
                std::string_view name, value;
                while (entry.next_field(number, type)) {
                    if (number == 1 && type == wire_type::length_delimited)
                        name = entry.bytes();
                    else if (number == 2 && type == wire_type::length_delimited)
                        value = entry.bytes();
                    else
                        entry.skip(type);
                }
                visit(name, value);
            }
        }
    }

    /// A serialized Feature message's values (kind none when it holds no list); `name` names the
    /// feature in errors.
    EST_DECL static feature parse_feature(std::string_view bytes, std::string_view name);

    /// The wire format, features in name order (deterministic output).
    EST_DECL std::string serialize() const;

private:
    EST_DECL static void read_values(io::protobuf::reader& list, io::protobuf::wire_type type, feature& f,
                                     std::string_view name);
};

}  // namespace est::data

#if defined(EST_DEFINITIONS)
#include <est/data/impl/tf_example.ipp>
#endif
