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
    estimator.model().for_each_parameter(
        [&](std::string_view, est::parameter_ref const& p) { all.insert(all.end(), p.value.begin(), p.value.end()); });
    return all;
}

}  // namespace test
