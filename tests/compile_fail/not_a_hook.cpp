// Where a hook goes, the failing program passes a run_config (a type with none of the hook points);
// the twin passes it as the config and a standard hook as the hook.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::Hook: a hook declares at least one of begin, after_create_session
// names: not_a_hook<
// names: run_config

int main() {
#ifdef EST_COMPILE_FAIL
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(
        fixture::classifier, est::run_config{}, est::no_params{}, est::run_config{});
#else
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(
        fixture::classifier, est::run_config{}, est::no_params{}, est::hooks::stop_at_step({.num_steps = 3}));
#endif
    return estimator.global_step() == 0 ? 0 : 1;
}
