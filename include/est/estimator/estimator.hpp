// est::estimator<Model, Input, Hooks...>: trains, evaluates and predicts with a model_fn, as
// tf.estimator.Estimator. The model_fn is called eagerly once per batch with the mode as a type;
// its spec for each mode is checked when the estimator is constructed. A TRAIN step runs the
// forward pass (in the model_fn), then the spec's train_op (backward pass and update).
#pragma once

#include <est/core/error.hpp>
#include <est/core/record.hpp>
#include <est/core/tensor.hpp>
#include <est/data/dataset.hpp>
#include <est/estimator/checkpoint.hpp>
#include <est/estimator/hook.hpp>
#include <est/estimator/mode.hpp>
#include <est/estimator/prediction.hpp>
#include <est/estimator/run_config.hpp>
#include <est/estimator/spec.hpp>
#include <est/io/event_writer.hpp>
#include <est/nn/sequential.hpp>
#include <est/train/metrics.hpp>
#include <est/train/optimizer.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
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
};

/// How long evaluate() runs: `steps` batches, or the whole input.
struct eval_options {
    std::optional<std::uint64_t> steps;
};

/// Every metric of an evaluation by name, plus "loss" and "global_step".
using evaluation = std::map<std::string, double>;

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
            size = batch.batch_size();
        first = false;
    });
    return size;
}

/// What the estimator needs of a model_fn, independent of its type.
template <class Model, class Features, class Labels>
struct model_runner {
    virtual ~model_runner() = default;
    virtual run_values train_step(Model& net, Features const& features, Labels const& labels, std::uint64_t step) = 0;
    virtual void begin_evaluation() = 0;
    virtual float eval_step(Model& net, Features const& features, Labels const& labels) = 0;
    virtual void end_evaluation(evaluation& result) = 0;
    virtual void predict_batch(Model& net, Features const& features, std::vector<prediction>& out) = 0;
    /// The optimizer's state as checkpoint tensors ("optimizer/<parameter>/<slot>").
    virtual void optimizer_tensors(std::vector<std::string> const& names, std::vector<io::tensor_to_save>& out) = 0;
    /// Restores the optimizer's state from a checkpoint (state it lacks stays as it is).
    virtual void restore_optimizer(std::vector<std::string> const& names, io::safetensors_content const& content) = 0;
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

template <class Model, class Features, class Labels, class ModelFn, class Params>
class typed_runner final : public model_runner<Model, Features, Labels> {
    using train_spec_type =
        std::invoke_result_t<ModelFn&, Features const&, Labels const&, mode<mode_key::train>, Model&, Params const&>;
    using eval_spec_type =
        std::invoke_result_t<ModelFn&, Features const&, Labels const&, mode<mode_key::eval>, Model&, Params const&>;
    using predict_spec_type = std::invoke_result_t<ModelFn&, Features const&, record<> const&, mode<mode_key::predict>,
                                                   Model&, Params const&>;
    using train_op_type = std::remove_cvref_t<decltype(std::declval<train_spec_type&>()[est::train_op])>;
    static constexpr bool has_metrics = eval_spec_type::has(eval_metric_ops);
    using metrics_type = typename metrics_of<eval_spec_type, has_metrics>::type;

public:
    typed_runner(ModelFn fn, Params params) : fn_(std::move(fn)), params_(std::move(params)) {}

    run_values train_step(Model& net, Features const& features, Labels const& labels, std::uint64_t step) override {
        net.begin_step(step);
        auto spec = fn_(features, labels, est::train, net, std::as_const(params_));
        float loss = spec[est::loss].value;
        if (!std::isfinite(loss))
            throw error("training loss is " + std::to_string(loss) + " at global step " + std::to_string(step) +
                        "; the update of this step was not applied");
        auto const& op = spec[est::train_op];
        op.run(slots_, step);
        return {loss, op.learning_rate(step), batch_size_of(features), 0.0};
    }

    void begin_evaluation() override { metrics_.reset(); }

    float eval_step(Model& net, Features const& features, Labels const& labels) override {
        auto spec = fn_(features, labels, est::eval, net, std::as_const(params_));
        if constexpr (has_metrics) {
            auto const& batch_metrics = spec[eval_metric_ops];
            if (metrics_)
                accumulate_metrics(*metrics_, batch_metrics);
            else
                metrics_ = batch_metrics;
        }
        return spec[est::loss].value;
    }

    void end_evaluation(evaluation& result) override {
        if (metrics_)
            metrics_->for_each([&](std::string_view name, auto const& m) { result[std::string(name)] = m.result(); });
    }

    void predict_batch(Model& net, Features const& features, std::vector<prediction>& out) override {
        auto spec = fn_(features, record<>{}, est::predict, net, std::as_const(params_));
        auto const& fields = spec[est::predictions];
        std::size_t batch = batch_size_of(features);
        out.resize(batch);
        fields.for_each([&](std::string_view name, auto const& value) {
            auto v = values_of(value);
            using S = typename decltype(v)::shape_type;
            std::vector<std::size_t> extents(S::extents.begin(), S::extents.end());
            for (std::size_t b = 0; b < batch; ++b) {
                auto values = xt::xarray<double>::from_shape(extents);
                std::copy_n(v.data + b * S::size, S::size, values.begin());
                out[b].set(name, std::move(values));
            }
        });
    }

    void optimizer_tensors(std::vector<std::string> const& names, std::vector<io::tensor_to_save>& out) override {
        if constexpr (requires { slots_.for_each_kind([](std::string_view, parameter_slots&) {}); })
            slots_.for_each_kind([&](std::string_view kind, parameter_slots& state) {
                for (std::size_t i = 0; i < state.buffers.size() && i < names.size(); ++i)
                    out.push_back({"optimizer/" + names[i] + "/" + std::string(kind),
                                   {state.buffers[i].size()},
                                   {state.buffers[i].data(), state.buffers[i].size()}});
            });
    }

    void restore_optimizer(std::vector<std::string> const& names, io::safetensors_content const& content) override {
        if constexpr (requires { slots_.for_each_kind([](std::string_view, parameter_slots&) {}); })
            slots_.for_each_kind([&](std::string_view kind, parameter_slots& state) {
                for (std::size_t i = 0; i < names.size(); ++i) {
                    auto it = content.tensors.find("optimizer/" + names[i] + "/" + std::string(kind));
                    if (it == content.tensors.end())
                        continue;
                    auto buffer = state.at(i, it->second.values.size());
                    std::copy(it->second.values.begin(), it->second.values.end(), buffer.begin());
                }
            });
    }

private:
    ModelFn fn_;
    Params params_;
    typename train_op_type::slots_type slots_;
    std::optional<metrics_type> metrics_;
};

/// The summaries TensorFlow's Estimator writes by default: every save_summary_steps the training
/// loss, the learning rate and global_step/sec in model_dir; every evaluation's metrics in
/// model_dir/eval. Event files are opened on first use.
class default_summaries {
public:
    void after_train_step(run_config const& config, std::uint64_t step, run_values const& values) {
        if (!config.save_summary_steps || step % config.save_summary_steps != 0)
            return;
        auto now = std::chrono::steady_clock::now();
        if (!train_)
            train_.emplace(config.model_dir);
        train_->scalar("loss", values.loss, std::int64_t(step));
        train_->scalar("learning_rate", values.learning_rate, std::int64_t(step));
        if (last_step_ && step > *last_step_) {
            double seconds = std::chrono::duration<double>(now - last_time_).count();
            if (seconds > 0.0)
                train_->scalar("global_step/sec", float(double(step - *last_step_) / seconds), std::int64_t(step));
        }
        train_->flush();
        last_step_ = step;
        last_time_ = now;
    }
    void after_evaluation(run_config const& config, evaluation const& result) {
        if (!eval_)
            eval_.emplace(std::filesystem::path(config.model_dir) / "eval");
        auto step = std::int64_t(result.at("global_step"));
        for (auto const& [name, value] : result)
            if (name != "global_step")
                eval_->scalar(name, float(value), step);
        eval_->flush();
    }

private:
    std::optional<io::event_writer> train_, eval_;
    std::optional<std::uint64_t> last_step_;
    std::chrono::steady_clock::time_point last_time_;
};

/// Writes model_dir/run.json: the run_config and the model's description, so that a run can be
/// reproduced and compared with another.
inline void write_run_description(run_config const& config, nlohmann::ordered_json model) {
    nlohmann::ordered_json run = {{"run_config",
                                   {{"model_dir", config.model_dir},
                                    {"seed", config.seed},
                                    {"save_summary_steps", config.save_summary_steps},
                                    {"save_checkpoints_steps", config.save_checkpoints_steps},
                                    {"save_checkpoints_secs", config.save_checkpoints_secs},
                                    {"keep_checkpoint_max", config.keep_checkpoint_max},
                                    {"log_step_count_steps", config.log_step_count_steps}}},
                                  {"model", std::move(model)}};
    auto path = std::filesystem::path(config.model_dir) / "run.json";
    std::ofstream out(path);
    out << run.dump(2) << '\n';
    if (!out)
        throw error("cannot write '" + path.string() + "'");
}

inline std::string make_temporary_model_dir() {
    auto base = std::filesystem::temp_directory_path();
    std::random_device entropy;
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto dir = base / ("est-model-" + std::to_string(entropy()));
        if (std::filesystem::create_directory(dir))
            return dir.string();
    }
    throw error("cannot create a temporary model_dir under " + base.string());
}
}  // namespace detail

template <class Estimator, class Dataset>
class prediction_range;

/// Trains, evaluates and predicts `Model` on elements of `Input` (a batched dataset type), with
/// `Hooks` dispatched statically.
template <class Model, data::Dataset Input, Hook... Hooks>
class estimator {
    using element_type = typename Input::element_type;
    static_assert(
        requires {
            typename element_type::features_type;
            typename element_type::labels_type;
        },
        "est::estimator<Model, Input>: Input's elements must be est::data::example<features, labels> batches");
    static_assert(Model::shapes_fit,
                  "est::estimator<Model, Input>: the model's layers do not fit together (see above)");
    static_assert(hooks_are_well_formed<Hooks...>(), "est::estimator: a hook is not well formed (see above)");

public:
    using model_type = Model;
    using features_type = typename element_type::features_type;
    using labels_type = typename element_type::labels_type;

    /// `model_fn(features, labels, mode, model, params)` returns est::spec(mode, ...) for each mode.
    template <class ModelFn, class Params = no_params>
    explicit estimator(ModelFn model_fn, run_config config = {}, Params params = {})
        : config_(std::move(config)),
          runner_(std::make_unique<detail::typed_runner<Model, features_type, labels_type, ModelFn, Params>>(
              std::move(model_fn), std::move(params))) {
        if (config_.model_dir.empty())
            config_.model_dir = detail::make_temporary_model_dir();
        std::filesystem::create_directories(config_.model_dir);
        model_->initialize(config_.seed);
        detail::write_run_description(config_, Model::description());
        checkpoints_.emplace(config_.model_dir);
        restore_latest();
    }

    /// Trains on `input_fn()` (a dataset of Input's element type).
    template <class InputFn>
    estimator& train(InputFn&& input_fn, train_options options = {}) {
        auto dataset = input_fn();
        check_input<decltype(dataset)>();
        std::uint64_t target = options.steps       ? global_step_ + *options.steps
                               : options.max_steps ? *options.max_steps
                                                   : std::numeric_limits<std::uint64_t>::max();
        statistics_ = {};
        run_context context{mode_key::train, global_step_, &config_};
        call_hooks<hook_points::begin>(hooks_, context);
        call_hooks<hook_points::after_create_session>(hooks_, context);
        auto iterator = dataset.make_iterator();
        auto start = std::chrono::steady_clock::now();
        while (global_step_ < target && !context.stop_requested && iterator.next(batch_)) {
            context.global_step = global_step_;
            call_hooks<hook_points::before_run>(hooks_, context);
            auto step_start = std::chrono::steady_clock::now();
            run_values values = runner_->train_step(*model_, batch_.features, batch_.labels, global_step_);
            values.step_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
            context.global_step = ++global_step_;
            ++statistics_.steps;
            statistics_.examples += values.batch_size;
            summaries_.after_train_step(config_, global_step_, values);
            if (checkpoint_due())
                save_checkpoint();
            call_hooks<hook_points::after_run>(hooks_, context, values);
        }
        statistics_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (saved_step_ != global_step_)
            save_checkpoint();
        call_hooks<hook_points::end>(hooks_, context);
        return *this;
    }

    /// Evaluates on `input_fn()`: every eval_metric_op over the whole input, the mean loss
    /// (weighted by batch size) and the global step.
    template <class InputFn>
    evaluation evaluate(InputFn&& input_fn, eval_options options = {}) {
        auto dataset = input_fn();
        check_input<decltype(dataset)>();
        run_context context{mode_key::eval, global_step_, &config_};
        call_hooks<hook_points::begin>(hooks_, context);
        call_hooks<hook_points::after_create_session>(hooks_, context);
        runner_->begin_evaluation();
        auto iterator = dataset.make_iterator();
        double loss_sum = 0.0;
        std::size_t examples = 0;
        for (std::uint64_t batches = 0;
             (!options.steps || batches < *options.steps) && !context.stop_requested && iterator.next(batch_);
             ++batches) {
            call_hooks<hook_points::before_run>(hooks_, context);
            std::size_t size = detail::batch_size_of(batch_.features);
            float loss = runner_->eval_step(*model_, batch_.features, batch_.labels);
            loss_sum += double(loss) * double(size);
            examples += size;
            run_values values{loss, 0.0f, size, 0.0};
            call_hooks<hook_points::after_run>(hooks_, context, values);
        }
        if (examples == 0)
            throw error("evaluate: the input produced no examples");
        evaluation result;
        runner_->end_evaluation(result);
        result["loss"] = loss_sum / double(examples);
        result["global_step"] = double(global_step_);
        summaries_.after_evaluation(config_, result);
        call_hooks<hook_points::end>(hooks_, context);
        return result;
    }

    /// A lazy range of per-example predictions over `input_fn()`, computed a batch at a time.
    template <class InputFn>
    auto predict(InputFn&& input_fn) {
        auto dataset = input_fn();
        using dataset_type = decltype(dataset);
        static_assert(std::is_same_v<typename dataset_type::element_type::features_type, features_type>,
                      "est::estimator::predict: the input's features differ from the estimator's Input features");
        return prediction_range<estimator, dataset_type>(this, std::move(dataset));
    }

    std::uint64_t global_step() const { return global_step_; }
    run_config const& config() const { return config_; }
    Model& model() { return *model_; }
    train_statistics const& last_train_statistics() const { return statistics_; }
    template <class H>
    H& hook() {
        return std::get<H>(hooks_);
    }

    /// Writes a checkpoint of the current step (done by train() on run_config's schedule and at
    /// its end).
    void save_checkpoint() {
        auto tensors = model_tensors(*model_);
        runner_->optimizer_tensors(trainable_names(*model_), tensors);
        std::string file = "ckpt-" + std::to_string(global_step_) + ".safetensors";
        io::write_safetensors(std::filesystem::path(config_.model_dir) / file, tensors,
                              {{"global_step", std::to_string(global_step_)}, {"model", Model::description().dump()}});
        checkpoints_->add({file, global_step_}, config_.keep_checkpoint_max);
        saved_step_ = global_step_;
        saved_time_ = std::chrono::steady_clock::now();
    }

    /// The checkpoints kept in model_dir, oldest first.
    std::vector<checkpoint_entry> const& checkpoints() const { return checkpoints_->entries(); }

private:
    template <class, class>
    friend class prediction_range;

    bool checkpoint_due() const {
        if (config_.save_checkpoints_steps)
            return global_step_ % config_.save_checkpoints_steps == 0;
        return config_.save_checkpoints_secs &&
               std::chrono::steady_clock::now() - saved_time_ >= std::chrono::seconds(config_.save_checkpoints_secs);
    }

    /// Restores the latest readable checkpoint of model_dir, if there is one. An unreadable one is
    /// reported and the one before it used; a checkpoint of another model is an error.
    void restore_latest() {
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
            auto model = content.metadata.find("model");
            if (model == content.metadata.end() || model->second != Model::description().dump())
                throw error("checkpoint '" + path.string() +
                            "' was written by a different model than this estimator's; use another model_dir");
            restore_model(*model_, content, path);
            runner_->restore_optimizer(trainable_names(*model_), content);
            global_step_ = saved_step_ = std::stoull(content.metadata.at("global_step"));
            return;
        }
        if (!entries.empty())
            throw error("no checkpoint in '" + config_.model_dir + "' is readable");
    }

    template <class Dataset>
    static void check_input() {
        static_assert(
            std::is_same_v<typename Dataset::element_type, element_type>,
            "est::estimator: the input_fn's dataset yields elements of another type than the estimator's Input");
    }

    run_config config_;
    std::unique_ptr<Model> model_ = std::make_unique<Model>();
    std::unique_ptr<detail::model_runner<Model, features_type, labels_type>> runner_;
    std::tuple<Hooks...> hooks_;
    std::uint64_t global_step_ = 0;
    element_type batch_;
    train_statistics statistics_;
    detail::default_summaries summaries_;
    std::optional<checkpoint_index> checkpoints_;
    std::uint64_t saved_step_ = 0;
    std::chrono::steady_clock::time_point saved_time_ = std::chrono::steady_clock::now();
};

/// The range estimator.predict() returns: an input range of est::prediction, one per example.
template <class Estimator, class Dataset>
class prediction_range {
public:
    prediction_range(Estimator* estimator, Dataset dataset)
        : estimator_(estimator), dataset_(std::make_shared<Dataset>(std::move(dataset))) {}

    class iterator {
    public:
        using value_type = prediction;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        iterator(Estimator* estimator, std::shared_ptr<Dataset> dataset)
            : estimator_(estimator),
              dataset_(std::move(dataset)),
              state_(std::make_shared<state>(state{dataset_->make_iterator()})) {
            refill();
        }
        prediction const& operator*() const { return state_->buffer[state_->position]; }
        prediction const* operator->() const { return &**this; }
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
            std::vector<prediction> buffer{};
            std::size_t position = 0;
            bool done = false;
        };
        void refill() {
            state_->position = 0;
            state_->buffer.clear();
            while (state_->buffer.empty()) {
                if (!state_->input.next(state_->batch)) {
                    state_->done = true;
                    return;
                }
                estimator_->runner_->predict_batch(*estimator_->model_, state_->batch.features, state_->buffer);
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

}  // namespace est
