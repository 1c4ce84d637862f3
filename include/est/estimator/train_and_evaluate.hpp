// train_and_evaluate: trains and evaluates on a schedule of its own (every N steps or seconds,
// independent of checkpoint timing, and always at the end), as tf.estimator.train_and_evaluate.
// Each evaluation evaluates the weights of that exact step: a checkpoint of the step is written
// first, so its metrics land in the checkpoint index (which tracks the best) and in TensorBoard's
// eval run; exporters then keep copies of the best and the latest.
#pragma once

#include <est/core/config.hpp>
#include <est/core/error.hpp>
#include <est/estimator/checkpoint.hpp>
#include <est/estimator/estimator.hpp>
#include <est/estimator/evaluation.hpp>
#include <est/nn/model_description.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace est {

/// What an exporter sees of one evaluation.
struct export_event {
    std::filesystem::path model_dir;
    std::filesystem::path checkpoint;  ///< the checkpoint of the evaluated step
    std::uint64_t global_step = 0;
    metric_values metrics;
    model_description model;  ///< the model's description
};

/// Called after every evaluation of train_and_evaluate (tf.estimator.Exporter).
class exporter {
public:
    virtual ~exporter() = default;
    virtual void export_model(export_event const& event) = 0;
};

namespace detail {
/// model_dir/export/<name>/<global step>/ with model.safetensors, model.json and metrics.json;
/// keeps the newest `keep` of them (by their order in `kept`).
EST_DECL void write_export(export_event const& event, std::string const& name, std::vector<std::uint64_t>& kept,
                           std::size_t keep);
}  // namespace detail

/// Exports the model after every evaluation, keeping the newest `keep` (TF's LatestExporter).
class latest_exporter final : public exporter {
public:
    explicit latest_exporter(std::string name = "latest", std::size_t keep = 2) : name_(std::move(name)), keep_(keep) {}
    void export_model(export_event const& event) override { detail::write_export(event, name_, kept_, keep_); }

private:
    std::string name_;
    std::size_t keep_;
    std::vector<std::uint64_t> kept_;
};

/// Exports the model when an evaluation is the best so far by `by` (TF's BestExporter).
class best_exporter final : public exporter {
public:
    explicit best_exporter(metric_goal by = {}, std::string name = "best", std::size_t keep = 1)
        : by_(std::move(by)), name_(std::move(name)), keep_(keep) {}
    void export_model(export_event const& event) override {
        auto value = event.metrics.find(by_.metric);
        if (!value)
            throw error("best_exporter: the evaluation has no metric '" + by_.metric + "'");
        if (best_ && !by_.improves(*value, *best_))
            return;
        best_ = *value;
        detail::write_export(event, name_, kept_, keep_);
    }
    std::optional<double> best() const { return best_; }

private:
    metric_goal by_;
    std::string name_;
    std::size_t keep_;
    std::optional<double> best_;
    std::vector<std::uint64_t> kept_;
};

/// The training side of train_and_evaluate: `est::train_spec{.input_fn = f, .max_steps = 5000}`.
template <class InputFn>
struct train_spec {
    InputFn input_fn;
    std::optional<std::uint64_t> max_steps;  ///< without it, until the input is exhausted
};

/// The evaluation side: evaluate `steps` batches (or the whole input) every `every_steps` steps
/// or `every_secs` seconds of training (neither: only at the end), then run the exporters.
template <class InputFn>
struct eval_spec {
    InputFn input_fn;
    std::optional<std::uint64_t> steps;
    std::uint64_t every_steps = 0;
    double every_secs = 0.0;
    std::vector<std::shared_ptr<exporter>> exporters = {};
};

/// Trains `estimator` and evaluates it during and at the end of training; returns the final
/// evaluation (the estimator's evaluation_type). A hook's stop request (early_stopping) ends
/// training; the final evaluation runs.
template <class Estimator, class TrainInputFn, class EvalInputFn>
typename Estimator::evaluation_type train_and_evaluate(Estimator& estimator, train_spec<TrainInputFn> const& train,
                                                       eval_spec<EvalInputFn> const& eval) {
    detail::check_options(train_options{.max_steps = train.max_steps});  // before either input is built
    detail::check_options(eval_options{.steps = eval.steps});
    std::optional<std::uint64_t> evaluated_step;
    typename Estimator::evaluation_type last{};
    auto evaluate_now = [&] {
        auto checkpoint = estimator.save_checkpoint();
        last = estimator.evaluate(eval.input_fn, eval_options{.steps = eval.steps});
        evaluated_step = estimator.global_step();
        export_event event{estimator.config().model_dir, checkpoint, estimator.global_step(), by_name(last),
                           Estimator::model_type::description()};
        for (auto const& e : eval.exporters) e->export_model(event);
    };
    auto last_time = std::chrono::steady_clock::now();
    auto dataset = train.input_fn();
    estimator.train_on(dataset, train_options{.max_steps = train.max_steps}, [&](run_context& context) {
        bool due =
            (eval.every_steps && context.global_step % eval.every_steps == 0) ||
            (eval.every_secs > 0.0 &&
             std::chrono::duration<double>(std::chrono::steady_clock::now() - last_time).count() >= eval.every_secs);
        if (!due)
            return;
        evaluate_now();
        last_time = std::chrono::steady_clock::now();
    });
    if (evaluated_step != estimator.global_step())
        evaluate_now();
    return last;
}

}  // namespace est

#if defined(EST_DEFINITIONS)
#include <est/estimator/impl/train_and_evaluate.ipp>
#endif
