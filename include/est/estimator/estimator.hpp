// est::estimator: trains, evaluates and predicts with a model_fn, as tf.estimator.Estimator.
// `est::make_estimator<Model, Input>(model_fn, config, params, hooks...)` makes one; its type holds
// the model, the input's element spec, the model_fn, its params and the hooks, so the model_fn's
// spec for each mode is checked when the type is formed, and evaluate() and predict() return
// records of the fields the model_fn produced. The model_fn is called eagerly once per batch with
// the mode as a type. A TRAIN step runs the forward pass (in the model_fn), then the spec's
// train_op (backward pass and update).
#pragma once

#include <est/core/config.hpp>
#include <est/core/denormals.hpp>
#include <est/core/error.hpp>
#include <est/core/mode.hpp>
#include <est/core/record.hpp>
#include <est/core/tensor.hpp>
#include <est/data/batch.hpp>
#include <est/data/dataset.hpp>
#include <est/data/element_spec.hpp>
#include <est/data/from_tensor_slices.hpp>
#include <est/estimator/batch_stager.hpp>
#include <est/estimator/checkpoint.hpp>
#include <est/estimator/evaluation.hpp>
#include <est/estimator/hook.hpp>
#include <est/estimator/hooks/step_counter.hpp>
#include <est/estimator/hooks/summary_saver.hpp>
#include <est/estimator/model_fn_check.hpp>
#include <est/estimator/prediction.hpp>
#include <est/estimator/run_config.hpp>
#include <est/estimator/session.hpp>
#include <est/estimator/spec.hpp>
#include <est/estimator/warm_start.hpp>
#include <est/io/atomic_file.hpp>
#include <est/io/event_writer.hpp>
#include <est/nn/sequential.hpp>
#include <est/train/metrics.hpp>
#include <est/train/optimizer.hpp>

#include <xtensor/xeval.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace est {

/// How long train() runs: `steps` more steps, or until global step `max_steps`; without either,
/// until the input is exhausted.
struct train_options {
    std::optional<std::uint64_t> steps;
    std::optional<std::uint64_t> max_steps;
    /// After a restart from a checkpoint written in the middle of a train() call (a crash), the
    /// next train() skips the batches that call had consumed, so that the resumed run sees the
    /// same data as an uninterrupted one. Requires the same, seeded input_fn.
    bool resume_input = true;
};

/// How long evaluate() runs: `steps` batches, or the whole input.
struct eval_options {
    std::optional<std::uint64_t> steps;
};

namespace detail {
/// tf.estimator's checks, made before the input is built: steps and max_steps are exclusive, and
/// neither is 0.
inline void check_options(train_options const& options) {
    if (options.steps && options.max_steps)
        throw error(
            "train: steps and max_steps cannot both be given (steps counts from the current global step, "
            "max_steps is the global step to stop at)");
    if (options.steps == 0u)
        throw error("train: steps must be at least 1, not 0");
    if (options.max_steps == 0u)
        throw error("train: max_steps must be at least 1, not 0");
}
inline void check_options(eval_options const& options) {
    if (options.steps == 0u)
        throw error("evaluate: steps must be at least 1, not 0 (leave it unset for the whole input)");
}
}  // namespace detail

/// Throughput of the last train() call.
struct train_statistics {
    std::uint64_t steps = 0;
    std::uint64_t examples = 0;
    double seconds = 0.0;
    double examples_per_second() const { return seconds > 0.0 ? double(examples) / seconds : 0.0; }
};

/// The params of a model_fn that takes none.
struct no_params {};

namespace detail {
template <class Features>
std::size_t batch_size_of(Features const& features) {
    std::size_t size = 0;
    bool first = true;
    features.for_each([&](auto, auto const& batch) {
        if (first)
            size = as_view(batch).batch;
        first = false;
    });
    return size;
}

/// What the model_fn of a TRAIN step returned, before its train_op runs.
struct train_forward {
    float loss = 0.0f;
    float learning_rate = 0.0f;
    std::size_t batch_size = 0;
    hook_list const* hooks = nullptr;  ///< the spec's training_hooks, if it has them
};

template <class... Metrics>
void accumulate_metrics(record<Metrics...>& total, record<Metrics...> const& batch) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((std::get<I>(total.entries).value += std::get<I>(batch.entries).value), ...);
    }
    (std::index_sequence_for<Metrics...>{});
}

template <class Spec, bool HasMetrics>
struct metrics_of {
    using type = record<>;
};
template <class Spec>
struct metrics_of<Spec, true> {
    using type = std::remove_cvref_t<decltype(std::declval<Spec&>()[eval_metric_ops])>;
};

/// Reads any field as a double: the results of an estimator whose model_fn failed its checks, so
/// that the code reading them adds no errors to the one that names the mistake.
struct unchecked_results {
    double value = 0.0;
    template <fixed_string Name>
    double& operator[](field_name<Name>) {
        return value;
    }
    template <fixed_string Name>
    double operator[](field_name<Name>) const {
        return value;
    }
    friend metric_values by_name(unchecked_results const&) { return {}; }
};

/// Calls the model_fn in each mode and keeps what the estimator needs between calls: the TRAIN
/// spec from the forward pass to the update, the optimizer's slots, the metrics of an evaluation.
template <class Model, class Features, class Labels, class ModelFn, class Params>
class typed_runner {
    using train_spec_type =
        std::invoke_result_t<ModelFn&, Features const&, Labels const&, mode<mode_key::train>, Model&, Params const&>;
    using eval_spec_type =
        std::invoke_result_t<ModelFn&, Features const&, Labels const&, mode<mode_key::eval>, Model&, Params const&>;
    using predict_spec_type = std::invoke_result_t<ModelFn&, Features const&, record<> const&, mode<mode_key::predict>,
                                                   Model&, Params const&>;
    using train_op_type = std::remove_cvref_t<decltype(std::declval<train_spec_type&>()[est::train_op])>;
    static constexpr bool has_metrics = eval_spec_type::has(eval_metric_ops);
    using metrics_type = typename metrics_of<eval_spec_type, has_metrics>::type;
    using predictions_type = std::remove_cvref_t<decltype(std::declval<predict_spec_type&>()[est::predictions])>;

public:
    /// What evaluate() returns: every metric's result, "loss" and "global_step".
    using evaluation_type = evaluation_result<metrics_type>;
    /// What predict() yields per example: the PREDICT spec's predictions.
    using prediction_type = prediction<predictions_type>;

    typed_runner(ModelFn fn, Params params) : fn_(std::move(fn)), params_(std::move(params)) {}

    /// Calls the model_fn in TRAIN mode (the forward pass and the loss) and keeps its spec.
    train_forward forward(Model& net, Features const& features, Labels const& labels, std::uint64_t step) {
        net.begin_step(step);
        spec_.emplace(fn_(features, labels, est::train, net, std::as_const(params_)));
        train_forward result{(*spec_)[est::loss].value(), (*spec_)[est::train_op].learning_rate(step),
                             batch_size_of(features), nullptr};
        if constexpr (train_spec_type::has(training_hooks))
            result.hooks = &(*spec_)[training_hooks];
        return result;
    }

    /// Back-propagates the kept spec's loss.
    void backward() { (*spec_)[est::train_op].backward(); }

    /// Applies the kept spec's optimizer update of `step`, then drops the spec.
    void update(std::uint64_t step) {
        (*spec_)[est::train_op].update(slots_, step);
        spec_.reset();
    }

    void begin_evaluation() {
        metrics_.reset();
        eval_spec_.reset();
    }

    /// One EVAL batch: returns its loss; `hooks` receives the spec's evaluation_hooks, if any.
    float eval_step(Model& net, Features const& features, Labels const& labels, hook_list const*& hooks) {
        eval_spec_.emplace(fn_(features, labels, est::eval, net, std::as_const(params_)));
        auto const& spec = *eval_spec_;
        if constexpr (has_metrics) {
            auto const& batch_metrics = spec[eval_metric_ops];
            if (metrics_)
                accumulate_metrics(*metrics_, batch_metrics);
            else
                metrics_ = batch_metrics;
        }
        if constexpr (eval_spec_type::has(evaluation_hooks))
            hooks = &spec[evaluation_hooks];
        return spec[est::loss].value();
    }

    /// The metrics over the batches evaluated so far, by name.
    void metrics_so_far(metric_values& out) const {
        if (metrics_)
            metrics_->for_each([&](std::string_view name, auto const& m) { out.set(name, m.result()); });
    }
    /// The metrics over the batches evaluated so far into the first fields of a result.
    void metrics_so_far(evaluation_type& out) const {
        if (metrics_)
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((std::get<I>(out.entries).value = std::get<I>(metrics_->entries).value.result()), ...);
            }
        (std::make_index_sequence<metrics_type::size>{});
    }

    /// One PREDICT batch: each example's predictions into `out`; returns the spec's prediction_hooks.
    hook_list const* predict_batch(Model& net, Features const& features, std::vector<prediction_type>& out) {
        predict_spec_.emplace(fn_(features, record<>{}, est::predict, net, std::as_const(params_)));
        auto const& fields = (*predict_spec_)[est::predictions];
        out.resize(batch_size_of(features));
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (detail::scatter_prediction<typename Model::backend_type, I>(std::get<I>(fields.entries).value, out), ...);
        }
        (std::make_index_sequence<predictions_type::size>{});
        if constexpr (predict_spec_type::has(prediction_hooks))
            return &(*predict_spec_)[prediction_hooks];
        else
            return nullptr;
    }

    /// The optimizer's state as checkpoint tensors ("optimizer/<parameter>/<slot>"), canonical.
    void optimizer_tensors(Model const& net, checkpoint_tensors& out) {
        slots_.for_each_kind([&](std::string_view kind, auto& state) {
            if (state.values.size() != net.trainable_size())
                return;  // no step has run yet
            for (auto const& p : net.parameters())
                if (p.spec.trainable()) {
                    std::vector<float> values(p.spec.size);
                    net.read(p, state.values.data(), values);
                    out.add("optimizer/" + p.name + "/" + std::string(kind), std::move(values));
                }
        });
    }

    /// Restores the optimizer's state from a checkpoint (state it lacks stays as it is).
    void restore_optimizer(Model const& net, io::safetensors_content const& content) {
        slots_.for_each_kind([&](std::string_view kind, auto& state) {
            float* values = state.sized(net.trainable_size());
            for (auto const& p : net.parameters()) {
                auto it = content.tensors.find("optimizer/" + p.name + "/" + std::string(kind));
                if (p.spec.trainable() && it != content.tensors.end() && it->second.values.size() == p.spec.size)
                    net.write(p, it->second.values, values);
            }
        });
    }

private:
    ModelFn fn_;
    Params params_;
    typename train_op_type::slots_type slots_;
    std::optional<metrics_type> metrics_;
    std::optional<train_spec_type> spec_;  // between forward() and update()
    std::optional<eval_spec_type> eval_spec_;
    std::optional<predict_spec_type> predict_spec_;
};

/// Stands in for typed_runner where the model_fn failed its checks: the estimator's members
/// compile against it, so that the mistake gives one error.
template <class Model, class Features, class Labels>
struct unchecked_runner {
    using evaluation_type = unchecked_results;
    using prediction_type = unchecked_results;
    template <class ModelFn, class Params>
    unchecked_runner(ModelFn&&, Params&&) {}
    train_forward forward(Model&, Features const&, Labels const&, std::uint64_t) { return {}; }
    void backward() {}
    void update(std::uint64_t) {}
    void begin_evaluation() {}
    float eval_step(Model&, Features const&, Labels const&, hook_list const*&) { return 0.0f; }
    template <class Out>
    void metrics_so_far(Out&) const {}
    hook_list const* predict_batch(Model&, Features const&, std::vector<prediction_type>&) { return nullptr; }
    void optimizer_tensors(Model const&, checkpoint_tensors&) {}
    void restore_optimizer(Model const&, io::safetensors_content const&) {}
};

/// A new, empty directory under the system's temporary directory.
EST_DECL std::string make_temporary_model_dir();
}  // namespace detail

template <class Estimator, class Dataset>
class prediction_range;

namespace detail {
template <class Features>
struct slices_of_features;
template <fixed_string... Names, class... T, class... S>
struct slices_of_features<record<named<Names, batch_tensor<T, S>>...>> {
    /// The tensors of `given` (a record of references to xtensor expressions) sliced into the
    /// features' shapes and value types, in the features' order.
    template <class Given>
    static auto of(Given const& given) {
        return fields(field_name<Names>{} =
                          data::slices<S>(xt::eval(xt::cast<T>(given[field_name<Names>{}].get())))...);
    }
};
template <class Features, class Given>
auto slices_for(Given const& given) {
    return slices_of_features<Features>::of(given);
}
}  // namespace detail

/// The mistake of an input_fn whose dataset yields other batches (names, value types or shapes)
/// than the estimator's Input: both element types, or both features types for predict().
template <class Expected, class Given>
struct input_element_mismatch {
    static_assert(detail::always_false<Expected>,
                  "est::estimator: the input_fn's dataset yields other batches than the estimator's Input (names, "
                  "value types or shapes); input_element_mismatch<expected, given> names both");
    static constexpr bool reported = true;
};

/// Trains, evaluates and predicts `Model` on batches shaped as `Input` (an est::element_spec) with
/// `model_fn(features, labels, mode, model, params)`, `Hooks` dispatched statically. Made by
/// est::make_estimator, which deduces the model_fn's, the params' and the hooks' types.
template <class Model, data::Input Input, class ModelFn, class Params, class... Hooks>
class estimator : private session {
    using element_type = typename Input::element_type;

public:
    using model_type = Model;
    using features_type = typename element_type::features_type;
    using labels_type = typename element_type::labels_type;
    /// What the model_fn is given: the batch's features and labels in the model's memory space.
    using model_features_type = typename detail::batch_stager<typename Model::backend_type, features_type>::type;
    using model_labels_type = typename detail::batch_stager<typename Model::backend_type, labels_type>::type;

private:
    // The hooks, then the model_fn in each mode: a mistake is reported once, and the members compile
    // against unchecked_runner so that it is the only error.
    static constexpr bool hooks_checked = hooks_are_well_formed<Hooks...>();
    static constexpr bool model_fn_checked =
        hooks_checked && detail::check_model_fn<ModelFn, model_features_type, model_labels_type, Model, Params>();
    using runner_type =
        std::conditional_t<model_fn_checked,
                           detail::typed_runner<Model, model_features_type, model_labels_type, ModelFn, Params>,
                           detail::unchecked_runner<Model, model_features_type, model_labels_type>>;

public:
    /// What evaluate() returns: a record of the EVAL spec's metrics, "loss" and "global_step".
    using evaluation_type = typename runner_type::evaluation_type;
    /// What predict() yields for each example: a record of the PREDICT spec's predictions.
    using prediction_type = typename runner_type::prediction_type;

    /// With a checkpoint in model_dir, the latest readable one is restored; without one, the
    /// parameters are initialised from the seed and the scaffold runs (warm start, init_fn).
    explicit estimator(ModelFn model_fn, run_config config = {}, Params params = {}, Hooks... hooks)
        : estimator(std::move(model_fn), std::move(config), std::move(params),
                    std::tuple<Hooks...>(std::move(hooks)...)) {}

    /// An estimator on a model_dir that an earlier process trained, for evaluate() and predict():
    /// the run_config comes from its run.json and the latest checkpoint is restored. A model_dir
    /// of another model, or one without a checkpoint, is an error.
    static estimator from_disk(std::filesystem::path const& model_dir, ModelFn model_fn, Params params = {},
                               Hooks... hooks) {
        auto config = detail::read_run_config(model_dir);
        if (!std::filesystem::exists(model_dir / "checkpoint_index.json"))
            throw error("'" + model_dir.string() + "' has no checkpoint to restore");
        return estimator(std::move(model_fn), std::move(config), std::move(params),
                         std::tuple<Hooks...>(std::move(hooks)...));
    }

    /// Trains on `input_fn()` (a dataset of Input's element type).
    template <class InputFn>
    estimator& train(InputFn&& input_fn, train_options options = {}) {
        detail::check_options(options);
        auto dataset = input_fn();
        if constexpr (input_fits<decltype(dataset)>())
            train_on(dataset, options, [](run_context&) {});
        return *this;
    }

    /// Trains on `dataset`, calling `between_steps(context)` after each step's checkpoint and before
    /// its after_run hooks (train_and_evaluate evaluates there).
    template <class Dataset, class BetweenSteps>
    void train_on(Dataset const& dataset, train_options const& options, BetweenSteps&& between_steps) {
        detail::check_options(options);
        if constexpr (input_fits<Dataset>())
            train_steps(dataset, options, between_steps);
    }

private:
    template <class Dataset, class BetweenSteps>
    void train_steps(Dataset const& dataset, train_options const& options, BetweenSteps& between_steps) {
        denormals_flushed flushed;  // as TensorFlow's CPU threads
        constexpr std::uint64_t forever = std::numeric_limits<std::uint64_t>::max();
        std::uint64_t target = options.steps       ? global_step_ + std::min(*options.steps, forever - global_step_)
                               : options.max_steps ? *options.max_steps
                                                   : forever;
        statistics_ = {};
        run_context context = make_context(mode_key::train, target);
        hook_list spec_hooks;
        phase_times phases;
        auto clock = std::chrono::steady_clock::now;
        auto seconds_since = [&](auto start) { return std::chrono::duration<double>(clock() - start).count(); };
        auto hooks_start = clock();
        call_hooks<hook_points::begin>(hooks_, context);
        call_hooks<hook_points::after_create_session>(hooks_, context);
        builtin_.begin(config_, context);
        phases.hooks = seconds_since(hooks_start);

        auto iterator = dataset.make_iterator();
        input_position_ = 0;
        if (options.resume_input && resumed_input_position_ > 0)
            for (; input_position_ < resumed_input_position_ && iterator.next(batch_); ++input_position_) {
            }
        resumed_input_position_ = 0;
        training_ = true;
        auto start = clock();
        double outside_training = 0.0;  // evaluations between steps do not count as training time
        bool first = true;
        while (global_step_ < target && !context.stop_requested) {
            auto input_start = clock();
            if (!iterator.next(batch_))
                break;
            ++input_position_;
            phases.input = seconds_since(input_start);
            context.global_step = global_step_;
            context.requested_tensors.clear();
            hooks_start = clock();
            call_hooks<hook_points::before_run>(hooks_, context);
            call_hooks<hook_points::before_run>(spec_hooks, context);
            phases.hooks += seconds_since(hooks_start);

            auto forward_start = clock();
            auto result = runner_.forward(*model_, features_stager_.stage(batch_.features),
                                          labels_stager_.stage(batch_.labels), global_step_);
            phases.forward = seconds_since(forward_start);
            if (first && result.hooks && !result.hooks->empty()) {
                spec_hooks = *result.hooks;
                call_hooks<hook_points::begin>(spec_hooks, context);
                call_hooks<hook_points::after_create_session>(spec_hooks, context);
                call_hooks<hook_points::before_run>(spec_hooks, context);
            }
            first = false;
            run_values values{result.loss, result.learning_rate, result.batch_size, 0.0};
            values.update_skipped = !std::isfinite(result.loss);
            if (!values.update_skipped) {
                auto backward_start = clock();
                runner_.backward();
                phases.backward = seconds_since(backward_start);
                auto update_start = clock();
                runner_.update(global_step_);
                phases.update = seconds_since(update_start);
                context.global_step = ++global_step_;
                ++statistics_.steps;
                statistics_.examples += values.batch_size;
            }
            values.step_seconds = phases.forward + phases.backward + phases.update;
            values.phases = phases;
            collect_tensors(context.requested_tensors, values.tensors);

            hooks_start = clock();
            if (!values.update_skipped) {
                builtin_.after_run(context, values);
                if (checkpoint_due())
                    save_checkpoint();
                auto between_start = clock();
                between_steps(context);
                outside_training += seconds_since(between_start);
                context.evaluations = evaluations_;
                context.latest_evaluation = evaluations_ ? &latest_evaluation_ : nullptr;
            }
            call_hooks<hook_points::after_run>(hooks_, context, values);
            call_hooks<hook_points::after_run>(spec_hooks, context, values);
            phases = {};
            phases.hooks = seconds_since(hooks_start);
            if (values.update_skipped && !context.stop_requested)
                throw error("training loss is " + std::to_string(result.loss) + " at global step " +
                            std::to_string(global_step_) + "; the update of this step was not applied");
        }
        statistics_.seconds = seconds_since(start) - outside_training;
        training_ = false;
        write_checkpoint();  // marks the call complete: a restart does not skip input after it
        call_hooks<hook_points::end>(hooks_, context);
        call_hooks<hook_points::end>(spec_hooks, context);
    }

public:
    /// Evaluates on `input_fn()`: every eval_metric_op over the whole input, the mean loss
    /// (weighted by batch size) and the global step, as `result["accuracy"_f]`. The result goes to
    /// TensorBoard (model_dir/eval) and to the checkpoint index, if the current step has a checkpoint.
    template <class InputFn>
    evaluation_type evaluate(InputFn&& input_fn, eval_options options = {}) {
        detail::check_options(options);
        auto dataset = input_fn();
        if constexpr (!input_fits<decltype(dataset)>())
            return evaluation_type{};
        else
            return evaluate_on(dataset, options);
    }

private:
    template <class Dataset>
    evaluation_type evaluate_on(Dataset const& dataset, eval_options const& options) {
        denormals_flushed flushed;
        run_context context = make_context(mode_key::eval, options.steps);
        hook_list spec_hooks;
        call_hooks<hook_points::begin>(hooks_, context);
        call_hooks<hook_points::after_create_session>(hooks_, context);
        runner_.begin_evaluation();
        auto iterator = dataset.make_iterator();
        element_type batch;
        double loss_sum = 0.0;
        std::size_t examples = 0;
        for (std::uint64_t batches = 0;
             (!options.steps || batches < *options.steps) && !context.stop_requested && iterator.next(batch);
             ++batches) {
            context.requested_tensors.clear();
            call_hooks<hook_points::before_run>(hooks_, context);
            call_hooks<hook_points::before_run>(spec_hooks, context);
            std::size_t size = detail::batch_size_of(batch.features);
            hook_list const* hooks = nullptr;
            float loss = runner_.eval_step(*model_, features_stager_.stage(batch.features),
                                           labels_stager_.stage(batch.labels), hooks);
            if (batches == 0 && hooks && !hooks->empty()) {
                spec_hooks = *hooks;
                call_hooks<hook_points::begin>(spec_hooks, context);
                call_hooks<hook_points::after_create_session>(spec_hooks, context);
                call_hooks<hook_points::before_run>(spec_hooks, context);
            }
            loss_sum += double(loss) * double(size);
            examples += size;
            run_values values{loss, 0.0f, size, 0.0};
            runner_.metrics_so_far(values.metrics);
            values.metrics.set("loss", loss_sum / double(examples));
            collect_tensors(context.requested_tensors, values.tensors);
            call_hooks<hook_points::after_run>(hooks_, context, values);
            call_hooks<hook_points::after_run>(spec_hooks, context, values);
        }
        if (examples == 0)
            throw error("evaluate: the input produced no examples");
        evaluation_type result{};
        runner_.metrics_so_far(result);
        result[field_name<"loss">{}] = loss_sum / double(examples);
        result[field_name<"global_step">{}] = global_step_;
        metric_values values = by_name(result);
        write_eval_summaries(values);
        checkpoints_->record_evaluation(global_step_, values, config_.keep_checkpoint_max);
        latest_evaluation_ = std::move(values);
        latest_result_ = result;
        ++evaluations_;
        context.latest_evaluation = &latest_evaluation_;
        context.evaluations = evaluations_;
        call_hooks<hook_points::end>(hooks_, context);
        call_hooks<hook_points::end>(spec_hooks, context);
        return result;
    }

public:
    /// A lazy range of per-example predictions over `input_fn()` (prediction_type records),
    /// computed a batch at a time.
    template <class InputFn>
    requires std::invocable<InputFn&>
    auto predict(InputFn&& input_fn) {
        auto dataset = input_fn();
        using dataset_type = decltype(dataset);
        using given = typename dataset_type::element_type::features_type;
        if constexpr (!std::is_same_v<given, features_type>) {
            static_assert(input_element_mismatch<features_type, given>::reported);
            return std::array<prediction_type, 0>{};
        } else {
            return prediction_range<estimator, dataset_type>(this, std::move(dataset));
        }
    }

    /// Predictions for features in memory, without an input_fn: `predict("image"_f = images)`, one
    /// example per slice of each tensor's first dimension (xtensor expressions, cast to the element
    /// spec's value types), every feature of the element spec named once, in batches of `batch_size`.
    template <fixed_string... Names, class... Tensors>
    std::vector<prediction_type> predict(named<Names, Tensors> const&... tensors) {
        auto given = fields(field_name<Names>{} = std::cref(tensors.value)...);
        if constexpr (sizeof...(Names) != features_type::size) {
            static_assert(input_element_mismatch<features_type, decltype(given)>::reported);
            return {};
        } else {
            auto dataset = data::from_tensor_slices(detail::slices_for<features_type>(given)).batch(256);
            std::vector<prediction_type> out;
            for (auto const& p : predict([&] { return dataset; })) out.push_back(p);
            return out;
        }
    }

    std::uint64_t global_step() const override { return global_step_; }
    run_config const& config() const override { return config_; }
    Model& model() { return *model_; }
    train_statistics const& last_train_statistics() const { return statistics_; }
    /// The most recent evaluation, if there was one.
    std::optional<evaluation_type> latest_evaluation() const {
        return evaluations_ ? std::optional(latest_result_) : std::nullopt;
    }
    template <class H>
    H& hook() {
        return std::get<H>(hooks_);
    }

    /// Writes a checkpoint of the current step (done by train() on run_config's schedule and at
    /// its end) and returns its path. A write error (a full disk) is reported and leaves every
    /// earlier checkpoint and the index as they were.
    std::filesystem::path save_checkpoint() override {
        std::string file = "ckpt-" + std::to_string(global_step_) + ".safetensors";
        auto path = std::filesystem::path(config_.model_dir) / file;
        if (auto latest = checkpoints_->latest(); latest && latest->file == file && saved_step_ == global_step_)
            return path;  // this step is saved already
        return write_checkpoint();
    }
    /// The checkpoints kept in model_dir, oldest first.
    std::vector<checkpoint_entry> const& checkpoints() const { return checkpoints_->entries(); }
    /// The best kept checkpoint by run_config's best_checkpoint metric, if one was evaluated.
    std::optional<checkpoint_entry> best_checkpoint() const { return checkpoints_->best(); }

    /// Restores the latest readable checkpoint of model_dir; false if there is none. An unreadable
    /// one is reported and the one before it used; a checkpoint of another model is an error.
    bool restore_latest() {
        auto const& entries = checkpoints_->entries();
        for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
            auto path = checkpoints_->path_of(*it);
            io::safetensors_content content;
            try {
                content = io::read_safetensors(path);
            } catch (error const& e) {
                std::fprintf(stderr, "est: %s; trying the checkpoint before it\n", e.what());
                continue;
            }
            restore_content(content, path);
            return true;
        }
        if (!entries.empty())
            throw error("no checkpoint in '" + config_.model_dir + "' is readable");
        return false;
    }

    /// Restores the kept checkpoint with the best evaluated value of `by.metric`.
    void restore_best(metric_goal const& by) {
        auto best = checkpoints_->best(by);
        if (!best)
            throw error("restore_best: no checkpoint in '" + config_.model_dir + "' was evaluated with metric '" +
                        by.metric + "'");
        restore(checkpoints_->path_of(*best));
    }
    /// Restores the best checkpoint by run_config's best_checkpoint metric.
    void restore_best() { restore_best(config_.best_checkpoint); }

    /// Restores a checkpoint file (parameters, optimizer state, global step).
    void restore(std::filesystem::path const& file) { restore_content(io::read_safetensors(file), file); }

private:
    template <class, class>
    friend class prediction_range;

    estimator(ModelFn model_fn, run_config config, Params params, std::tuple<Hooks...> hooks)
        : config_(std::move(config)), runner_(std::move(model_fn), params), hooks_(std::move(hooks)) {
        if (config_.model_dir.empty())
            config_.model_dir = detail::make_temporary_model_dir();
        std::filesystem::create_directories(config_.model_dir);
        checkpoints_.emplace(config_.model_dir, config_.best_checkpoint);
        model_->initialize(config_.seed);
        if (!restore_latest()) {
            if (config_.scaffold.warm_start)
                warm_start(*model_, *config_.scaffold.warm_start);
            if (config_.scaffold.init_fn)
                config_.scaffold.init_fn(*this);
        }
        detail::write_run_description(config_, detail::params_as_json(params), Model::description());
    }

    std::filesystem::path write_checkpoint() {
        std::string file = "ckpt-" + std::to_string(global_step_) + ".safetensors";
        auto path = std::filesystem::path(config_.model_dir) / file;
        auto tensors = model_tensors(*model_);
        runner_.optimizer_tensors(*model_, tensors);
        try {
            io::write_safetensors(path, tensors.tensors,
                                  {{"global_step", std::to_string(global_step_)},
                                   {"model", Model::description().to_json()},
                                   {"input_position", std::to_string(training_ ? input_position_ : 0)}});
            checkpoints_->add({file, global_step_}, config_.keep_checkpoint_max);
        } catch (error const& e) {
            throw error("cannot save the checkpoint of global step " + std::to_string(global_step_) + " in '" +
                        config_.model_dir + "': " + e.what());
        }
        saved_step_ = global_step_;
        saved_time_ = std::chrono::steady_clock::now();
        return path;
    }

    run_context make_context(mode_key mode, std::optional<std::uint64_t> last_step) {
        run_context context{mode, global_step_, &config_, this, last_step, nullptr, evaluations_};
        if (evaluations_)
            context.latest_evaluation = &latest_evaluation_;
        return context;
    }

    void restore_content(io::safetensors_content const& content, std::filesystem::path const& path) {
        auto model = content.metadata.find("model");
        if (model == content.metadata.end() || model->second != Model::description().to_json())
            throw error("checkpoint '" + path.string() +
                        "' was written by a different model than this estimator's; use another model_dir");
        restore_model(*model_, content, path);
        runner_.restore_optimizer(*model_, content);
        global_step_ = saved_step_ = std::stoull(content.metadata.at("global_step"));
        auto position = content.metadata.find("input_position");
        resumed_input_position_ = position == content.metadata.end() ? 0 : std::stoull(position->second);
    }

    bool checkpoint_due() const {
        if (config_.save_checkpoints_steps)
            return global_step_ % config_.save_checkpoints_steps == 0;
        // In double seconds: a period as long as "never" (2^64 - 1 s) overflows integer durations.
        return config_.save_checkpoints_secs &&
               std::chrono::duration<double>(std::chrono::steady_clock::now() - saved_time_).count() >=
                   double(config_.save_checkpoints_secs);
    }

    void write_eval_summaries(metric_values const& result) {
        if (!eval_summaries_)
            eval_summaries_.emplace(std::filesystem::path(config_.model_dir) / "eval");
        auto step = std::int64_t(global_step_);
        for (auto const& [name, value] : result)
            if (name != "global_step")
                eval_summaries_->scalar(name, float(value), step);
        eval_summaries_->flush();
    }

    /// Copies the requested tensors (parameters or layer outputs); an unknown name is an error
    /// that lists the known ones.
    void collect_tensors(std::vector<std::string> const& names, std::map<std::string, std::vector<float>>& out) {
        if (names.empty())
            return;
        std::string known;
        auto offer = [&](std::string_view name, std::span<float const> values) {
            known += (known.empty() ? "" : ", ") + std::string(name);
            if (std::find(names.begin(), names.end(), name) != names.end())
                out[std::string(name)].assign(values.begin(), values.end());
        };
        for_each_parameter([&](std::string_view name, std::span<float> v) { offer(name, v); });
        for_each_activation(offer);
        for (auto const& name : names)
            if (!out.contains(name))
                throw error("a hook requested tensor '" + name + "', which the model does not have; it has " + known);
    }

    // The session, as hooks see it.
    est::model_description model_description() const override { return Model::description(); }
    void for_each_parameter(parameter_visitor const& visit) override {
        // Canonical copies, in buffers kept from call to call; what the visitor changes is written back.
        for (auto const& p : model_->parameters()) {
            parameter_copy_.resize(p.spec.size);
            model_->read(p, model_->values(), parameter_copy_);
            parameter_before_ = parameter_copy_;
            visit(p.name, parameter_copy_);
            if (parameter_copy_ != parameter_before_)
                model_->write(p, parameter_copy_);
        }
    }
    void for_each_activation(tensor_visitor const& visit) override {
        model_->for_each_activation([&](std::string_view layer, std::span<float const> v) {
            activation_tag_.assign(layer).append("/output");
            visit(activation_tag_, v);
        });
    }
    void for_each_input_image(image_visitor const& visit) override {
        batch_.features.for_each([&](std::string_view name, auto const& feature) {
            using F = std::remove_cvref_t<decltype(feature)>;
            if constexpr (requires { typename F::shape_type; } && std::is_same_v<typename F::value_type, float>) {
                using S = typename F::shape_type;
                if constexpr (S::rank == 3) {
                    constexpr auto e = S::extents;
                    if constexpr (e[2] == 1 || e[2] == 3 || e[2] == 4)
                        visit(name, image_batch{feature.batch_size(), e[0], e[1], e[2],
                                                std::span<float const>(feature.data(), feature.size())});
                }
            }
        });
    }
    io::event_writer& train_summaries() override {
        if (!train_summaries_)
            train_summaries_.emplace(config_.model_dir);
        return *train_summaries_;
    }

    /// Whether a dataset yields the estimator's batches; reports the mistake where it does not.
    template <class Dataset>
    static constexpr bool input_fits() {
        using given = typename Dataset::element_type;
        if constexpr (!std::is_same_v<given, element_type>)
            return !input_element_mismatch<element_type, given>::reported;
        else
            return true;
    }

    /// What TensorFlow's Estimator adds to every training run: summaries every
    /// save_summary_steps (and at the first step of the call) and global_step/sec every
    /// log_step_count_steps.
    struct builtin_hooks {
        hooks::summary_saver summaries;
        hooks::step_counter steps;
        void begin(run_config const& config, run_context& context) {
            summaries = hooks::summary_saver({.every_steps = config.save_summary_steps});
            steps = hooks::step_counter({.every_steps = config.log_step_count_steps});
            summaries.begin(context);
            steps.begin(context);
        }
        void after_run(run_context& context, run_values const& values) {
            summaries.after_run(context, values);
            steps.after_run(context, values);
        }
    };

    run_config config_;
    std::unique_ptr<Model> model_ = std::make_unique<Model>();
    runner_type runner_;
    detail::batch_stager<typename Model::backend_type, features_type> features_stager_;
    detail::batch_stager<typename Model::backend_type, labels_type> labels_stager_;
    std::tuple<Hooks...> hooks_;
    builtin_hooks builtin_;
    std::uint64_t global_step_ = 0;
    element_type batch_;
    train_statistics statistics_;
    std::optional<io::event_writer> train_summaries_, eval_summaries_;
    std::vector<float> parameter_copy_, parameter_before_;  // for_each_parameter's
    std::string activation_tag_;                            // for_each_activation's
    std::optional<checkpoint_index> checkpoints_;
    std::uint64_t saved_step_ = 0;
    std::chrono::steady_clock::time_point saved_time_ = std::chrono::steady_clock::now();
    metric_values latest_evaluation_;
    evaluation_type latest_result_{};
    std::uint64_t evaluations_ = 0;
    bool training_ = false;
    std::uint64_t input_position_ = 0;          // batches consumed by the train() call in progress
    std::uint64_t resumed_input_position_ = 0;  // of the restored checkpoint, if written mid-train()
};

/// The range estimator.predict() returns: an input range of the estimator's prediction_type, one per
/// example.
template <class Estimator, class Dataset>
class prediction_range {
public:
    prediction_range(Estimator* estimator, Dataset dataset)
        : estimator_(estimator), dataset_(std::make_shared<Dataset>(std::move(dataset))) {}

    class iterator {
    public:
        using value_type = typename Estimator::prediction_type;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        iterator(Estimator* estimator, std::shared_ptr<Dataset> dataset)
            : estimator_(estimator), dataset_(std::move(dataset)), state_(std::make_shared<state>(state{[&] {
                  denormals_flushed flushed;  // the input's threads, made now, keep the setting
                  return dataset_->make_iterator();
              }()})) {
            refill();
        }
        value_type const& operator*() const { return state_->buffer[state_->position]; }
        value_type const* operator->() const { return &**this; }
        iterator& operator++() {
            if (++state_->position == state_->buffer.size())
                refill();
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(iterator const& it, std::default_sentinel_t) { return !it.state_ || it.state_->done; }

    private:
        struct state {
            typename Dataset::iterator_type input;
            typename Dataset::element_type batch{};
            std::vector<value_type> buffer{};
            std::size_t position = 0;
            bool done = false;
            run_context context{};
            hook_list spec_hooks{};
            bool begun = false;
        };
        /// Fills the buffer with the next batch's predictions, firing the hook points of predict:
        /// begin and after_create_session before the first batch, before_run and after_run around
        /// each, end when the input is exhausted.
        void refill() {
            denormals_flushed flushed;
            auto& s = *state_;
            auto& hooks = estimator_->hooks_;
            s.position = 0;
            s.buffer.clear();
            if (!s.begun) {
                s.begun = true;
                s.context = estimator_->make_context(mode_key::predict, std::nullopt);
                call_hooks<hook_points::begin>(hooks, s.context);
                call_hooks<hook_points::after_create_session>(hooks, s.context);
            }
            while (s.buffer.empty()) {
                if (s.context.stop_requested || !s.input.next(s.batch)) {
                    s.done = true;
                    call_hooks<hook_points::end>(hooks, s.context);
                    call_hooks<hook_points::end>(s.spec_hooks, s.context);
                    return;
                }
                call_hooks<hook_points::before_run>(hooks, s.context);
                call_hooks<hook_points::before_run>(s.spec_hooks, s.context);
                auto const* spec_hooks = estimator_->runner_.predict_batch(
                    *estimator_->model_, estimator_->features_stager_.stage(s.batch.features), s.buffer);
                if (spec_hooks && s.spec_hooks.empty() && !spec_hooks->empty()) {
                    s.spec_hooks = *spec_hooks;
                    call_hooks<hook_points::begin>(s.spec_hooks, s.context);
                    call_hooks<hook_points::after_create_session>(s.spec_hooks, s.context);
                    call_hooks<hook_points::before_run>(s.spec_hooks, s.context);
                }
                run_values values{0.0f, 0.0f, s.buffer.size(), 0.0};
                call_hooks<hook_points::after_run>(hooks, s.context, values);
                call_hooks<hook_points::after_run>(s.spec_hooks, s.context, values);
            }
        }
        Estimator* estimator_ = nullptr;
        std::shared_ptr<Dataset> dataset_;
        std::shared_ptr<state> state_;
    };

    iterator begin() const { return iterator(estimator_, dataset_); }
    std::default_sentinel_t end() const { return {}; }

private:
    Estimator* estimator_;
    std::shared_ptr<Dataset> dataset_;
};

/// Makes an estimator of `Model` on batches shaped as `Input` (an est::element_spec):
///   auto estimator = est::make_estimator<cnn, input>(model_fn, est::run_config{...}, params, hooks...);
/// `model_fn(features, labels, mode, model, params)` returns est::spec(mode, ...) for each mode;
/// a mistake in it, or in a spec's values, fails to compile here with one error naming it.
template <class Model, data::Input Input, class ModelFn, class Params = no_params, class... Hooks>
auto make_estimator(ModelFn model_fn, run_config config = {}, Params params = {}, Hooks... hooks) {
    if constexpr (!est::Model<Model>) {
        static_assert(not_a_model<Model>::reported);
        return invalid_value{};
    } else {
        return estimator<Model, Input, ModelFn, Params, Hooks...>(std::move(model_fn), std::move(config),
                                                                  std::move(params), std::move(hooks)...);
    }
}

/// The same, with the input's element spec taken from the dataset `input_fn()` returns.
template <class Model, class ModelFn, class InputFn, class Params = no_params, class... Hooks>
requires data::Dataset<std::invoke_result_t<InputFn&>>
auto make_estimator(ModelFn model_fn, InputFn const&, run_config config = {}, Params params = {}, Hooks... hooks) {
    return make_estimator<Model, data::element_spec_of<InputFn>>(std::move(model_fn), std::move(config),
                                                                 std::move(params), std::move(hooks)...);
}

/// An estimator on a model_dir that an earlier process trained (estimator::from_disk).
template <class Model, data::Input Input, class ModelFn, class Params = no_params, class... Hooks>
auto estimator_from_disk(std::filesystem::path const& model_dir, ModelFn model_fn, Params params = {}, Hooks... hooks) {
    return estimator<Model, Input, ModelFn, Params, Hooks...>::from_disk(model_dir, std::move(model_fn),
                                                                         std::move(params), std::move(hooks)...);
}

}  // namespace est

#if defined(EST_DEFINITIONS)
#include <est/estimator/impl/estimator.ipp>
#endif
