// A string usable as a template argument: feature, label, metric and spec field names are types,
// so a misspelt name is found by the compiler.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace est {

/// A compile-time string literal, usable as a non-type template parameter.
template <std::size_t N>
struct fixed_string {
    char value[N]{};

    constexpr fixed_string(char const (&text)[N]) { std::copy_n(text, N, value); }
    constexpr std::string_view view() const { return {value, N - 1}; }
    constexpr std::size_t size() const { return N - 1; }

    template <std::size_t M>
    constexpr bool operator==(fixed_string<M> const& other) const {
        return view() == other.view();
    }
};

}  // namespace est
