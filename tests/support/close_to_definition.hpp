// A kernel's float results against its definition computed in double: each within a fraction of
// the largest expected value (rounding grows with the magnitudes a sum goes through, not with each
// result's own).
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace test {

/// Every value within `relative` of the largest expected one (and 1e-6).
inline void check_close(std::vector<float> const& got, std::vector<double> const& expected, char const* what,
                        double relative = 1e-5) {
    REQUIRE(got.size() == expected.size());
    double scale = 0.0;
    for (double e : expected) scale = std::max(scale, std::abs(e));
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO(what << "[" << i << "]: " << got[i] << " against " << expected[i]);
        CHECK(std::abs(double(got[i]) - expected[i]) <= relative * scale + 1e-6);
    }
}

}  // namespace test
