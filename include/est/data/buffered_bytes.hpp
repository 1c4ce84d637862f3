// What an element costs a buffering stage in memory: prefetch's byte limit counts it, and
// interleave's readers run further ahead where it can count an element's bytes.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace est::data::detail {

/// Whether buffered_bytes sees the bytes an element holds: strings and records.
template <class T>
inline constexpr bool counts_bytes = std::is_convertible_v<T const&, std::string_view>;

/// The memory an element takes in a buffer: its object, and the bytes of a string or record (their
/// size, not their capacity); of other types only the object.
template <class T>
std::size_t buffered_bytes(T const& element) {
    if constexpr (counts_bytes<T>)
        return sizeof(T) + std::string_view(element).size();
    else
        return sizeof(T);
}

}  // namespace est::data::detail
