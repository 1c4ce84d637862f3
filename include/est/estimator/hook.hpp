// Hooks observe and steer a run at fixed points. A hook implements only the points it needs;
// the estimator dispatches statically, and a point declared with the wrong signature fails to
// compile with the expected signature in the message.
//
// When the points fire, for train():
//   begin                 once, before the first step of this train() call
//   after_create_session  once, after the parameters are initialised (or, later, restored)
//   before_run            before each step, global_step is the step about to run
//   after_run             after each step and after that step's TensorBoard summary (every
//                         save_summary_steps) is written; global_step counts that step; may
//                         request_stop()
//   end                   once, after the last step (also after a stop request)
// evaluate() and predict() fire the same points with their mode in the context.
#pragma once

#include <est/core/error.hpp>
#include <est/estimator/mode.hpp>
#include <est/estimator/run_config.hpp>

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

namespace est {

/// The state of a run that hooks see.
struct run_context {
    mode_key mode = mode_key::train;
    std::uint64_t global_step = 0;
    run_config const* config = nullptr;
    bool stop_requested = false;

    /// Asks the estimator to stop after the current step.
    void request_stop() { stop_requested = true; }
};

/// What one step produced, handed to after_run.
struct run_values {
    float loss = 0.0f;
    float learning_rate = 0.0f;
    std::size_t batch_size = 0;
    double step_seconds = 0.0;
};

/// Named in the first error line when a hook declares a point with the wrong signature.
template <class Hook, class Point>
struct hook_signature_mismatch;

namespace hook_points {
struct begin {};
struct after_create_session {};
struct before_run {};
struct after_run {};
struct end {};
}  // namespace hook_points

namespace detail {
template <class H, class Point>
constexpr bool hook_point_is_well_formed() {
    constexpr bool declared = [] {
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
    }();
    constexpr bool callable = [] {
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
    }();
    if constexpr (declared && !callable) {
        static_assert(always_false<H>,
                      "est::Hook: a hook point has the wrong signature; expected void begin(est::run_context&), "
                      "after_create_session(est::run_context&), before_run(est::run_context&), "
                      "after_run(est::run_context&, est::run_values const&), end(est::run_context&); "
                      "hook_signature_mismatch<hook, point> names it");
        [[maybe_unused]] std::size_t report = sizeof(hook_signature_mismatch<H, Point>);
        return false;
    } else {
        return true;
    }
}
}  // namespace detail

/// Hook: a default-constructible type with any of
///   void begin(run_context&);  void after_create_session(run_context&);
///   void before_run(run_context&);  void after_run(run_context&, run_values const&);
///   void end(run_context&);
/// Points it does not declare are skipped at no cost.
template <class H>
concept Hook = std::is_default_constructible_v<H>;

/// Checks every point of every hook, reporting the first mistake in each.
template <class... Hooks>
constexpr bool hooks_are_well_formed() {
    return ((detail::hook_point_is_well_formed<Hooks, hook_points::begin>() &&
             detail::hook_point_is_well_formed<Hooks, hook_points::after_create_session>() &&
             detail::hook_point_is_well_formed<Hooks, hook_points::before_run>() &&
             detail::hook_point_is_well_formed<Hooks, hook_points::after_run>() &&
             detail::hook_point_is_well_formed<Hooks, hook_points::end>()) &&
            ...);
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

}  // namespace est
