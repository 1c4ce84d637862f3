// Modes are types: `est::train`, `est::eval`, `est::predict`. A model_fn takes the mode as a
// value of its own type, so `if constexpr (mode == est::predict)` checks each branch on its own.
#pragma once

#include <string_view>
#include <type_traits>

namespace est {

enum class mode_key { train, eval, predict };

/// A mode as a type; compares equal only to itself, at compile time.
template <mode_key Key>
struct mode {
    static constexpr mode_key key = Key;
    static constexpr std::string_view name() {
        return Key == mode_key::train ? "train" : Key == mode_key::eval ? "eval" : "predict";
    }
    template <mode_key Other>
    constexpr bool operator==(mode<Other>) const {
        return Key == Other;
    }
};

inline constexpr mode<mode_key::train> train{};
inline constexpr mode<mode_key::eval> eval{};
inline constexpr mode<mode_key::predict> predict{};

template <class T>
inline constexpr bool is_mode_v = false;
template <mode_key Key>
inline constexpr bool is_mode_v<mode<Key>> = true;

/// One of `est::train`, `est::eval`, `est::predict` (by type).
template <class T>
concept Mode = is_mode_v<std::remove_cvref_t<T>>;

}  // namespace est
