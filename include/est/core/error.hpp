// The exception est throws at run time: every message names the thing (file, field, layer) and
// where it is, so a user can act on it without a debugger. And how est reports a mistake at compile
// time: a class template named after the mistake, whose arguments name the types involved, holds a
// static_assert with est's words; g++ prints "In instantiation of 'struct est::<mistake><types>'"
// and then one error line. What the mistaken call returns is an est::invalid_value, which every
// est function takes without a word, so that one mistake gives one error.
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>

namespace est {

/// A run-time error in est: bad input data, a wrong path, a non-finite loss.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {
template <class...>
inline constexpr bool always_false = false;

/// Where a mistake's class template would be named for a value that has none.
struct no_mistake {
    static constexpr bool reported = true;
};

/// Reports `Mistake` (instantiates it) only where `Mistaken`; true either way, for a static_assert.
template <bool Mistaken, class Mistake>
inline constexpr bool report_if = std::conditional_t<Mistaken, Mistake, no_mistake>::reported;
}  // namespace detail

/// Stands for the result of a call whose mistake est reported at compile time. The user's code
/// around it compiles too (it converts to anything, compares, subscripts, calls), so that the
/// mistake's error is the only one.
struct invalid_value {
    template <class T>
    constexpr operator T() const {
        return T{};
    }
    template <class T>
    constexpr invalid_value operator[](T const&) const {
        return {};
    }
    template <class... T>
    constexpr invalid_value operator()(T const&...) const {
        return {};
    }
};

/// An est::invalid_value: est functions given one return one and report nothing more.
template <class T>
concept Invalid = std::is_same_v<std::remove_cvref_t<T>, invalid_value>;

template <class T>
constexpr bool operator==(invalid_value, T const&) {
    return false;
}
template <class T>
constexpr bool operator<(invalid_value, T const&) {
    return false;
}
template <class T>
constexpr bool operator>(invalid_value, T const&) {
    return false;
}
template <class T>
constexpr bool operator<=(invalid_value, T const&) {
    return false;
}
template <class T>
constexpr bool operator>=(invalid_value, T const&) {
    return false;
}
template <class T>
requires(!Invalid<T>) constexpr bool operator<(T const&, invalid_value) {
    return false;
}
template <class T>
requires(!Invalid<T>) constexpr bool operator>(T const&, invalid_value) {
    return false;
}
template <class T>
requires(!Invalid<T>) constexpr bool operator<=(T const&, invalid_value) {
    return false;
}
template <class T>
requires(!Invalid<T>) constexpr bool operator>=(T const&, invalid_value) {
    return false;
}
template <class T>
constexpr invalid_value operator+(invalid_value, T const&) {
    return {};
}
template <class T>
constexpr invalid_value operator-(invalid_value, T const&) {
    return {};
}
template <class T>
constexpr invalid_value operator*(invalid_value, T const&) {
    return {};
}
template <class T>
constexpr invalid_value operator/(invalid_value, T const&) {
    return {};
}
template <class T>
requires(!Invalid<T>) constexpr invalid_value operator+(T const&, invalid_value) {
    return {};
}
template <class T>
requires(!Invalid<T>) constexpr invalid_value operator-(T const&, invalid_value) {
    return {};
}
template <class T>
requires(!Invalid<T>) constexpr invalid_value operator*(T const&, invalid_value) {
    return {};
}
template <class T>
requires(!Invalid<T>) constexpr invalid_value operator/(T const&, invalid_value) {
    return {};
}

}  // namespace est
