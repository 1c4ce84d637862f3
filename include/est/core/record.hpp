// Named values known to the compiler: `"image"_f = tensor` makes a named value, `est::fields(...)`
// a record of them. Features, labels, predictions and metrics are records, so reading a name that
// is not there fails to compile and says which names there are.
#pragma once

#include <est/core/error.hpp>
#include <est/core/fixed_string.hpp>

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace est {

template <fixed_string Name, class V>
struct named;

/// The name of a field as a type: `"image"_f`, `est::loss`.
template <fixed_string Name>
struct field_name {
    static constexpr std::string_view name() { return Name.view(); }

    /// `name = value` makes a named value.
    template <class V>
    constexpr named<Name, std::decay_t<V>> operator=(V&& value) const {
        return {std::forward<V>(value)};
    }
};

/// A value with a compile-time name.
template <fixed_string Name, class V>
struct named {
    using key_type = field_name<Name>;
    using value_type = V;
    static constexpr std::string_view name() { return Name.view(); }
    V value;
};

template <class T>
inline constexpr bool is_named_v = false;
template <fixed_string Name, class V>
inline constexpr bool is_named_v<named<Name, V>> = true;

/// A named value that stands for a reported mistake (est::invalid_value).
template <class T>
inline constexpr bool holds_invalid_v = false;
template <fixed_string Name>
inline constexpr bool holds_invalid_v<named<Name, invalid_value>> = true;

/// The mistake of reading a field that a record lacks: `Field` is the name asked for, `Available`
/// the record's names.
template <class Field, class... Available>
struct no_such_field {
    static_assert(detail::always_false<Field>,
                  "est: reading a field that is not in this record (the input's features or labels, a "
                  "predictions or metrics record, or a result); no_such_field<asked, available...> names them");
    static constexpr bool reported = true;
};

/// A fixed set of named values, looked up by name at compile time.
template <class... Named>
struct record {
    static_assert((is_named_v<Named> && ...), "est::record holds named values: write \"name\"_f = value");

    std::tuple<Named...> entries;

    static constexpr std::size_t size = sizeof...(Named);

    template <fixed_string Name>
    static constexpr std::size_t index_of() {
        std::size_t index = 0;
        bool found = ((std::is_same_v<typename Named::key_type, field_name<Name>> ? true : (++index, false)) || ...);
        return found ? index : size;
    }
    template <fixed_string Name>
    static constexpr bool contains(field_name<Name> = {}) {
        return index_of<Name>() < size;
    }

    template <fixed_string Name>
    constexpr decltype(auto) operator[](field_name<Name> key) const& {
        return lookup<Name>(*this, key);
    }
    template <fixed_string Name>
    constexpr decltype(auto) operator[](field_name<Name> key) & {
        return lookup<Name>(*this, key);
    }

    /// Calls `f(name, value)` for each field in order.
    template <class F>
    constexpr void for_each(F&& f) const {
        std::apply([&](auto const&... entry) { (f(entry.name(), entry.value), ...); }, entries);
    }
    template <class F>
    constexpr void for_each(F&& f) {
        std::apply([&](auto&... entry) { (f(entry.name(), entry.value), ...); }, entries);
    }

private:
    template <fixed_string Name, class Self>
    static constexpr decltype(auto) lookup(Self& self, field_name<Name>) {
        constexpr std::size_t index = index_of<Name>();
        if constexpr (index < size) {
            return (std::get<index>(self.entries).value);
        } else {
            static_assert(no_such_field<field_name<Name>, typename Named::key_type...>::reported);
            return invalid_value{};
        }
    }
};

/// Makes a record: `est::fields("image"_f = x, "label"_f = y)`. A value whose mistake was reported
/// makes the record an est::invalid_value.
template <class... Named>
constexpr auto fields(Named&&... values) {
    if constexpr ((holds_invalid_v<std::decay_t<Named>> || ...))
        return invalid_value{};
    else
        return record<std::decay_t<Named>...>{{std::forward<Named>(values)...}};
}

/// The mistake of joining records that share a field name.
template <class Field>
struct duplicate_field {
    static_assert(detail::always_false<Field>,
                  "est: two records joined into one both have a field of this name; duplicate_field<name> names it");
    static constexpr bool reported = true;
};

/// The fields of `a` followed by those of `b`, whose names must differ.
template <class... A, class... B>
constexpr auto concat(record<A...> const& a, record<B...> const& b) {
    constexpr bool shared = (record<A...>::contains(typename B::key_type{}) || ...);
    if constexpr (shared) {
        using first = std::tuple_element_t<
            [] {
                std::size_t index = 0;
                ((record<A...>::contains(typename B::key_type{}) ? false : (++index, true)) && ...);
                return index;
            }(),
            std::tuple<B...>>;
        static_assert(duplicate_field<typename first::key_type>::reported);
        return invalid_value{};
    } else {
        return record<A..., B...>{std::tuple_cat(a.entries, b.entries)};
    }
}
template <class... A>
constexpr invalid_value concat(record<A...> const&, invalid_value) {
    return {};
}

template <class T>
inline constexpr bool is_record_v = false;
template <class... Named>
inline constexpr bool is_record_v<record<Named...>> = true;

/// A type that is an `est::record<...>`.
template <class T>
concept Record = is_record_v<std::remove_cvref_t<T>>;

namespace literals {
/// `"image"_f` is the field name "image".
template <fixed_string Name>
constexpr field_name<Name> operator""_f() {
    return {};
}
}  // namespace literals

}  // namespace est
