// A string usable as a template argument: feature, label, metric and spec field names are types,
// so a misspelt name is found by the compiler.
#pragma once

#include <cstddef>
#include <string_view>

namespace est {

/// A compile-time string of up to `capacity` characters, usable as a non-type template parameter:
/// `template <fixed_string Name>` takes "image" directly. It is one class, not a template over the
/// length, because nvcc 13's front end cannot deduce a class template placeholder in a template
/// parameter (`template <fixed_string Name> f(field_name<Name>)` matched nothing under nvcc).
/// g++ prints it as `est::fixed_string{"image"}`.
struct fixed_string {
    static constexpr std::size_t capacity = 63;

    char value[capacity + 1]{};

    template <std::size_t N>
    constexpr fixed_string(char const (&text)[N]) {
        static_assert(N - 1 <= capacity, "est: a field name has at most 63 characters");
        for (std::size_t i = 0; i + 1 < N; ++i) value[i] = text[i];
    }
    constexpr std::size_t size() const {
        std::size_t n = 0;
        while (n < capacity && value[n] != '\0') ++n;
        return n;
    }
    constexpr std::string_view view() const { return {value, size()}; }

    constexpr bool operator==(fixed_string const&) const = default;
};

}  // namespace est
