// One example's predictions, as estimator.predict() yields them: the PREDICT spec's fields by
// name, each an array of that example's values (a 0-d array for a scalar such as a class index).
#pragma once

#include <est/core/xtensor_config.hpp>

#include <est/core/error.hpp>

#include <xtensor/xarray.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace est {

/// The predictions for one example, like one dict of TF's predict() generator.
class prediction {
public:
    void set(std::string_view name, xt::xarray<double> values) {
        for (auto& [n, v] : fields_)
            if (n == name) {
                v = std::move(values);
                return;
            }
        fields_.emplace_back(std::string(name), std::move(values));
    }

    /// The values of field `name`; an error names the fields there are.
    xt::xarray<double> const& operator[](std::string_view name) const {
        for (auto const& [n, v] : fields_)
            if (n == name)
                return v;
        std::string known;
        for (auto const& [n, v] : fields_) known += (known.empty() ? "" : ", ") + n;
        throw error("prediction has no field '" + std::string(name) + "' (it has: " + known + ")");
    }

    /// The single value of a scalar field, e.g. `p.scalar("classes")`.
    double scalar(std::string_view name) const {
        auto const& v = (*this)[name];
        if (v.size() != 1)
            throw error("prediction field '" + std::string(name) + "' is not a scalar");
        return *v.begin();
    }

    std::vector<std::pair<std::string, xt::xarray<double>>> const& fields() const { return fields_; }

private:
    std::vector<std::pair<std::string, xt::xarray<double>>> fields_;
};

}  // namespace est
