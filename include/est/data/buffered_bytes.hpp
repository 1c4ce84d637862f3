// What an element costs a buffering stage in memory: prefetch's byte limit counts it, and
// interleave's readers run further ahead where it can count an element's bytes. Whether an element
// holds such bytes (strings and records) also tells map which elements it fetches into the cache.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace est::data::detail {

/// Whether an element is a run of bytes that buffered_bytes counts and map fetches ahead: a string
/// or a record.
template <class T>
inline constexpr bool holds_bytes = std::is_convertible_v<T const&, std::string_view>;

/// The memory an element takes in a buffer: its object, and the bytes of a string or record (their
/// size, not their capacity); of other types only the object.
template <class T>
std::size_t buffered_bytes(T const& element) {
    if constexpr (holds_bytes<T>)
        return sizeof(T) + std::string_view(element).size();
    else
        return sizeof(T);
}

}  // namespace est::data::detail
