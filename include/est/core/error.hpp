// The exception est throws at run time: every message names the thing (file, field, layer) and
// where it is, so a user can act on it without a debugger.
#pragma once

#include <stdexcept>
#include <string>

namespace est {

/// A run-time error in est: bad input data, a wrong path, a non-finite loss.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {
template <class...>
inline constexpr bool always_false = false;
}  // namespace detail

}  // namespace est
