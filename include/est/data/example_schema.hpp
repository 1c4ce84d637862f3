// Typed parsing of tf.train.Example: a schema is a type listing the features to read, so the
// parsed record's field types follow from it at compile time (tf.io.parse_single_example with
// FixedLenFeature / VarLenFeature). Only the schema's features are parsed: the values of others are
// skipped unread, as TensorFlow's fast Example parsing skips them. A missing feature without a
// default, a wrong type or a wrong length is an error that names the feature and the record.
#pragma once

#include <est/core/error.hpp>
#include <est/core/fixed_string.hpp>
#include <est/core/record.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/data/tf_example.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace est::data {

namespace detail {
template <class T>
constexpr feature::kind feature_kind_of() {
    if constexpr (std::is_same_v<T, std::string>)
        return feature::kind::bytes_list;
    else if constexpr (std::is_same_v<T, float>)
        return feature::kind::float_list;
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return feature::kind::int64_list;
    else
        static_assert(sizeof(T) == 0, "tf.train.Example features are std::string, float or std::int64_t");
}

template <class T>
auto& values_of(feature& f) {
    if constexpr (std::is_same_v<T, std::string>)
        return f.bytes;
    else if constexpr (std::is_same_v<T, float>)
        return f.floats;
    else
        return f.int64s;
}

inline std::string_view kind_name(feature::kind k) { return feature{k, {}, {}, {}}.type_name(); }

/// The values of feature `name` as T; an error when the feature holds another type.
template <class T>
auto& checked_values(feature& f, std::string_view name, std::string_view where) {
    if (f.type != feature_kind_of<T>())
        throw error(std::string(where) + ": feature '" + std::string(name) + "' is a " + std::string(f.type_name()) +
                    ", the schema reads a " + std::string(kind_name(feature_kind_of<T>())));
    return values_of<T>(f);
}
}  // namespace detail

/// A feature of fixed length: `Shape::size` values of type T (std::string, float, std::int64_t),
/// parsed to a scalar for shape<> and to a fixed-size tensor otherwise (strings: shape<> only).
/// An optional `Default` fills every value when the feature is missing.
template <fixed_string Name, class T, Shape S = shape<>, auto... Default>
struct fixed_len {
    static_assert(sizeof...(Default) <= 1, "est::data::fixed_len takes at most one default value");
    static_assert(!std::is_same_v<T, std::string> || S::size == 1, "string features are parsed one per example");
    static constexpr std::string_view name = Name.view();
    using value_type = std::conditional_t<std::is_same_v<T, std::string>, std::string, example_value_t<T, S>>;
    using named_type = named<Name, value_type>;

    /// The value of feature `f` (nullptr: missing), whose lists it may take.
    static value_type parse(feature* f, std::string_view where) {
        value_type out{};
        if (!f) {
            if constexpr (sizeof...(Default) == 1) {
                if constexpr (S::rank == 0 || std::is_same_v<T, std::string>)
                    out = value_type((Default, ...));
                else
                    out.fill(T((Default, ...)));
                return out;
            } else {
                throw error(std::string(where) + ": feature '" + std::string(name) + "' is missing and has no default");
            }
        }
        auto& values = detail::checked_values<T>(*f, name, where);
        if (values.size() != S::size)
            throw error(std::string(where) + ": feature '" + std::string(name) + "' has " +
                        std::to_string(values.size()) + " values, the schema expects " + std::to_string(S::size) +
                        " (shape " + S::to_string() + ")");
        if constexpr (S::rank == 0 || std::is_same_v<T, std::string>)
            out = std::move(values[0]);
        else
            std::copy(values.begin(), values.end(), out.begin());
        return out;
    }
};

/// A feature of any length (possibly missing: an empty list), parsed to a std::vector<T>.
template <fixed_string Name, class T>
struct var_len {
    static constexpr std::string_view name = Name.view();
    using value_type = std::vector<T>;
    using named_type = named<Name, value_type>;

    /// The values of feature `f` (nullptr: missing), whose lists it may take.
    static value_type parse(feature* f, std::string_view where) {
        if (!f)
            return {};
        return std::move(detail::checked_values<T>(*f, name, where));
    }
};

/// The features to read from each Example, as types.
template <class... Features>
struct example_schema {
    using record_type = record<typename Features::named_type...>;

    /// Parses one serialized Example; `where` names the record in errors ("file.tfrecord record 3").
    /// Only the schema's features are read: the values of others are skipped unparsed.
    static record_type parse(std::string_view serialized, std::string_view where = "tf.train.Example") {
        return parse(serialized, where, std::index_sequence_for<Features...>{});
    }

private:
    template <std::size_t... I>
    static record_type parse(std::string_view serialized, std::string_view where, std::index_sequence<I...>) {
        std::array<feature, sizeof...(Features)> found{};
        std::array<bool, sizeof...(Features)> present{};
        tf_example::for_each_feature(serialized, [&]([[maybe_unused]] std::string_view name,
                                                     [[maybe_unused]] std::string_view value) {
            ((Features::name == name ? void((found[I] = tf_example::parse_feature(value, name), present[I] = true))
                                     : void()),
             ...);
        });
        return record_type{
            {typename Features::named_type{Features::parse(present[I] ? &found[I] : nullptr, where)}...}};
    }
};

}  // namespace est::data
