// Every parameter value of an estimator's model, in a stable order: what tests compare to say two
// runs or a restore gave the same model.
#pragma once

#include <est/est.hpp>

#include <string_view>
#include <vector>

namespace test {

template <class Estimator>
std::vector<float> weights_of(Estimator& estimator) {
    std::vector<float> all;
    for (auto const& p : estimator.model().parameters()) {
        auto values = estimator.model().read(p);
        all.insert(all.end(), values.begin(), values.end());
    }
    return all;
}

}  // namespace test
