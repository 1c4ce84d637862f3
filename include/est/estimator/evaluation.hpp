// The results of an evaluation: by name for hooks, exporters, JSON and TensorBoard
// (metric_values), and as a record whose fields are the EVAL spec's metrics, "loss" and
// "global_step" for the code that called evaluate() (a misspelled name does not compile). Also
// which direction of a metric is better.
#pragma once

#include <est/core/config.hpp>
#include <est/core/record.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace est {

/// An evaluation's values by name, in the order the evaluation produced them (the metrics, then
/// "loss" and "global_step"). Reading a name that is not there is an error naming those that are.
class metric_values {
public:
    using value_type = std::pair<std::string, double>;

    metric_values() = default;
    metric_values(std::initializer_list<value_type> values) {
        for (auto const& [name, value] : values) set(name, value);
    }

    /// Sets `name` to `value`, adding it at the end if it is new.
    EST_DECL void set(std::string_view name, double value);
    EST_DECL std::optional<double> find(std::string_view name) const;
    bool contains(std::string_view name) const { return find(name).has_value(); }
    EST_DECL double operator[](std::string_view name) const;
    auto begin() const { return values_.begin(); }
    auto end() const { return values_.end(); }
    std::size_t size() const { return values_.size(); }
    bool empty() const { return values_.empty(); }
    friend bool operator==(metric_values const&, metric_values const&) = default;

private:
    std::vector<value_type> values_;
};

/// As a JSON object (nlohmann's ordered_json keeps the order).
template <class Json>
void to_json(Json& json, metric_values const& values) {
    json = Json::object();
    for (auto const& [name, value] : values) json[name] = value;
}
template <class Json>
void from_json(Json const& json, metric_values& values) {
    values = {};
    for (auto it = json.begin(); it != json.end(); ++it) values.set(it.key(), it.value().template get<double>());
}

namespace detail {
template <class Metrics>
struct evaluation_fields;
template <fixed_string... Names, class... Metrics>
struct evaluation_fields<record<named<Names, Metrics>...>> {
    using type = record<named<Names, double>..., named<"loss", double>, named<"global_step", std::uint64_t>>;
};
}  // namespace detail

/// What evaluate() returns for an EVAL spec whose eval_metric_ops are the record `Metrics`: each
/// metric's result, the mean loss and the global step, read as `result["accuracy"_f]`.
template <class Metrics>
using evaluation_result = typename detail::evaluation_fields<Metrics>::type;

/// The by-name view of a typed evaluation result.
template <class... Fields>
metric_values by_name(record<Fields...> const& result) {
    metric_values values;
    result.for_each([&](std::string_view name, auto const& value) { values.set(name, double(value)); });
    return values;
}

/// Whether a smaller or a larger value of a metric is better.
enum class goal { lower, higher };

/// A metric and its direction, e.g. {"accuracy", goal::higher}.
struct metric_goal {
    std::string metric = "loss";
    goal better = goal::lower;

    bool improves(double candidate, double reference, double min_delta = 0.0) const {
        return better == goal::lower ? candidate < reference - min_delta : candidate > reference + min_delta;
    }
};

}  // namespace est

#if defined(EST_DEFINITIONS)
#include <est/estimator/impl/evaluation.ipp>
#endif
