// Hooks observe and steer a run at fixed points. A hook implements only the points it needs;
// the estimator dispatches statically, and a point declared with the wrong signature fails to
// compile with the expected signature in the message. Hooks also come at run time, as
// est::hook_list in a spec's training_hooks / evaluation_hooks / prediction_hooks.
//
// When the points fire in train() (docs/hooks.md has the full timeline):
//   begin                 once, before the first step of this train() call
//   after_create_session  once, after the parameters are initialised or restored (and after a
//                         scaffold's warm start and init_fn)
//   before_run            before each step; global_step is the step about to run; may request
//                         tensors for after_run
//   after_run             after each step's update, after its TensorBoard summaries and after
//                         the checkpoint that run_config schedules for it; global_step counts
//                         that step; may request_stop()
//   end                   once, after the final checkpoint of the call is written
// Hooks from a spec join when the first step's model_fn returns: their begin,
// after_create_session and before_run fire then, before that step's update.
// evaluate() fires the same points with mode eval (per batch), predict() with mode predict.
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/evaluation.hpp>
#include <est/core/mode.hpp>
#include <est/estimator/run_config.hpp>
#include <est/estimator/session.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace est {

/// The state of a run that hooks see.
struct run_context {
    mode_key mode = mode_key::train;
    std::uint64_t global_step = 0;
    run_config const* config = nullptr;
    ::est::session* session = nullptr;
    /// train: the global step this call stops at if the input lasts; eval: the batch count, if known.
    std::optional<std::uint64_t> last_step;
    /// The most recent evaluation of this estimator (also one made during train_and_evaluate).
    metric_values const* latest_evaluation = nullptr;
    /// How many evaluations this estimator has made; a hook sees a new one when it grows.
    std::uint64_t evaluations = 0;
    bool stop_requested = false;
    /// Names of tensors ("<layer>/<parameter>" or "<layer>/output") the next after_run receives.
    std::vector<std::string> requested_tensors;

    /// Asks the estimator to stop after the current step.
    void request_stop() { stop_requested = true; }
    /// From before_run: hands the tensor's values to this step's after_run in run_values::tensors.
    void request_tensor(std::string name) { requested_tensors.push_back(std::move(name)); }
};

/// Wall time of one training step's phases, in seconds.
struct phase_times {
    double input = 0.0;     ///< waiting for the input pipeline's batch
    double forward = 0.0;   ///< the model_fn: forward pass and loss
    double backward = 0.0;  ///< back-propagation
    double update = 0.0;    ///< the optimizer's update
    double hooks = 0.0;     ///< every hook point of the previous step
};

/// What one step produced, handed to after_run.
struct run_values {
    float loss = 0.0f;
    float learning_rate = 0.0f;
    std::size_t batch_size = 0;
    double step_seconds = 0.0;
    /// The loss was not finite, so the step's update was not applied and global_step did not
    /// advance; unless a hook requests a stop, train() then fails naming the step.
    bool update_skipped = false;
    /// eval: every metric over the batches so far.
    metric_values metrics;
    /// The tensors requested in before_run, by name.
    std::map<std::string, std::vector<float>> tensors;
    phase_times phases;
};

/// The mistake of a hook that declares a point with the wrong signature.
template <class Hook, class Point>
struct hook_signature_mismatch {
    static_assert(detail::always_false<Hook>,
                  "est::Hook: a hook point has the wrong signature; expected void begin(est::run_context&), "
                  "after_create_session(est::run_context&), before_run(est::run_context&), "
                  "after_run(est::run_context&, est::run_values const&), end(est::run_context&); "
                  "hook_signature_mismatch<hook, point> names it");
    static constexpr bool reported = true;
};

namespace hook_points {
struct begin {};
struct after_create_session {};
struct before_run {};
struct after_run {};
struct end {};
}  // namespace hook_points

/// The mistake of passing, where a hook goes, a type that declares none of the hook points.
template <class Given>
struct not_a_hook {
    static_assert(detail::always_false<Given>,
                  "est::Hook: a hook declares at least one of begin, after_create_session, before_run, after_run, "
                  "end; not_a_hook<given> names what was passed");
    static constexpr bool reported = true;
};

namespace detail {
template <class H, class Point>
constexpr bool declares_hook_point() {
    if constexpr (std::is_same_v<Point, hook_points::begin>)
        return requires { &H::begin; };
    else if constexpr (std::is_same_v<Point, hook_points::after_create_session>)
        return requires { &H::after_create_session; };
    else if constexpr (std::is_same_v<Point, hook_points::before_run>)
        return requires { &H::before_run; };
    else if constexpr (std::is_same_v<Point, hook_points::after_run>)
        return requires { &H::after_run; };
    else
        return requires { &H::end; };
}

template <class H, class Point>
constexpr bool hook_point_callable() {
    if constexpr (std::is_same_v<Point, hook_points::begin>)
        return requires(H h, run_context & c) { h.begin(c); };
    else if constexpr (std::is_same_v<Point, hook_points::after_create_session>)
        return requires(H h, run_context & c) { h.after_create_session(c); };
    else if constexpr (std::is_same_v<Point, hook_points::before_run>)
        return requires(H h, run_context & c) { h.before_run(c); };
    else if constexpr (std::is_same_v<Point, hook_points::after_run>)
        return requires(H h, run_context & c, run_values const& v) { h.after_run(c, v); };
    else
        return requires(H h, run_context & c) { h.end(c); };
}

/// Whether H declares the point with its signature, or not at all.
template <class H, class Point>
constexpr bool hook_point_fits() {
    return !declares_hook_point<H, Point>() || hook_point_callable<H, Point>();
}

template <class H>
inline constexpr bool declares_a_hook_point =
    declares_hook_point<H, hook_points::begin>() || declares_hook_point<H, hook_points::after_create_session>() ||
    declares_hook_point<H, hook_points::before_run>() || declares_hook_point<H, hook_points::after_run>() ||
    declares_hook_point<H, hook_points::end>();

template <class H, class Point>
constexpr bool hook_point_is_well_formed() {
    if constexpr (!hook_point_fits<H, Point>())
        return !hook_signature_mismatch<H, Point>::reported;
    else
        return true;
}

/// Reports the first mistake of H as a hook: no point at all, or a point of the wrong signature.
template <class H>
constexpr bool hook_is_well_formed() {
    if constexpr (!declares_a_hook_point<H>)
        return !not_a_hook<H>::reported;
    else
        return hook_point_is_well_formed<H, hook_points::begin>() &&
               hook_point_is_well_formed<H, hook_points::after_create_session>() &&
               hook_point_is_well_formed<H, hook_points::before_run>() &&
               hook_point_is_well_formed<H, hook_points::after_run>() &&
               hook_point_is_well_formed<H, hook_points::end>();
}
}  // namespace detail

/// Hook: what an estimator calls at the points of a run (est::hooks has the standard ones).
///
/// Minimal complete definition: a move-constructible type that declares at least one of
///   void begin(run_context&);   void after_create_session(run_context&);
///   void before_run(run_context&);   void after_run(run_context&, run_values const&);
///   void end(run_context&);
/// each with that signature. Points it does not declare are skipped at no cost.
template <class H>
concept Hook = std::move_constructible<H> && detail::declares_a_hook_point<H> &&
               detail::hook_point_fits<H, hook_points::begin>() &&
               detail::hook_point_fits<H, hook_points::after_create_session>() &&
               detail::hook_point_fits<H, hook_points::before_run>() &&
               detail::hook_point_fits<H, hook_points::after_run>() && detail::hook_point_fits<H, hook_points::end>();

/// Checks every hook, reporting the first mistake in each.
template <class... Hooks>
constexpr bool hooks_are_well_formed() {
    return (detail::hook_is_well_formed<Hooks>() && ...);
}

namespace detail {
template <class Point, class H, class... Args>
void call_hook(H& h, Args&... args) {
    if constexpr (std::is_same_v<Point, hook_points::begin> && requires { h.begin(args...); })
        h.begin(args...);
    else if constexpr (std::is_same_v<Point, hook_points::after_create_session> &&
                       requires { h.after_create_session(args...); })
        h.after_create_session(args...);
    else if constexpr (std::is_same_v<Point, hook_points::before_run> && requires { h.before_run(args...); })
        h.before_run(args...);
    else if constexpr (std::is_same_v<Point, hook_points::after_run> && requires { h.after_run(args...); })
        h.after_run(args...);
    else if constexpr (std::is_same_v<Point, hook_points::end> && requires { h.end(args...); })
        h.end(args...);
}

template <class Point, class Tuple, std::size_t... I, class... Args>
void call_hooks_at(Tuple& hooks, std::index_sequence<I...>, Args&... args) {
    (call_hook<Point>(std::get<I>(hooks), args...), ...);
}
}  // namespace detail

/// Calls one point on every hook that declares it, in the order the hooks were listed.
template <class Point, class... Hooks, class... Args>
void call_hooks(std::tuple<Hooks...>& hooks, Args&... args) {
    detail::call_hooks_at<Point>(hooks, std::index_sequence_for<Hooks...>{}, args...);
}

/// A hook chosen at run time (hooks in specs): the same points, as virtual functions.
class runtime_hook {
public:
    virtual ~runtime_hook() = default;
    virtual void begin(run_context&) {}
    virtual void after_create_session(run_context&) {}
    virtual void before_run(run_context&) {}
    virtual void after_run(run_context&, run_values const&) {}
    virtual void end(run_context&) {}
};

/// The value of a spec's training_hooks, evaluation_hooks and prediction_hooks.
using hook_list = std::vector<std::shared_ptr<runtime_hook>>;

namespace detail {
template <class H>
class runtime_hook_adaptor final : public runtime_hook {
public:
    explicit runtime_hook_adaptor(H hook) : hook_(std::move(hook)) {}
    void begin(run_context& c) override { call_hook<hook_points::begin>(hook_, c); }
    void after_create_session(run_context& c) override { call_hook<hook_points::after_create_session>(hook_, c); }
    void before_run(run_context& c) override { call_hook<hook_points::before_run>(hook_, c); }
    void after_run(run_context& c, run_values const& v) override { call_hook<hook_points::after_run>(hook_, c, v); }
    void end(run_context& c) override { call_hook<hook_points::end>(hook_, c); }
    H& get() { return hook_; }

private:
    H hook_;
};
}  // namespace detail

/// Wraps a hook (any type with some of the hook points) for a hook_list; the shared pointer lets
/// the caller read the hook after the run.
/// A hook with a point of the wrong signature is reported once and gives a null pointer.
template <class H>
std::shared_ptr<detail::runtime_hook_adaptor<H>> make_hook(H hook) {
    if constexpr (!hooks_are_well_formed<H>())
        return nullptr;
    else
        return std::make_shared<detail::runtime_hook_adaptor<H>>(std::move(hook));
}

/// Calls one point on every hook of a runtime list, in order.
template <class Point, class... Args>
void call_hooks(hook_list const& hooks, Args&... args) {
    for (auto const& h : hooks) {
        if constexpr (std::is_same_v<Point, hook_points::begin>)
            h->begin(args...);
        else if constexpr (std::is_same_v<Point, hook_points::after_create_session>)
            h->after_create_session(args...);
        else if constexpr (std::is_same_v<Point, hook_points::before_run>)
            h->before_run(args...);
        else if constexpr (std::is_same_v<Point, hook_points::after_run>)
            h->after_run(args...);
        else
            h->end(args...);
    }
}

}  // namespace est
