// after_run must take (run_context&, run_values const&); the failing hook forgets the values.
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est::Hook: a hook point has the wrong signature
// names: hook_signature_mismatch<
// names: step_printer
// names: hook_points::after_run

struct step_printer {
#ifdef EST_COMPILE_FAIL
    void after_run(est::run_context& context) { last = context.global_step; }
#else
    void after_run(est::run_context& context, est::run_values const&) { last = context.global_step; }
#endif
    std::uint64_t last = 0;
};

int main() {
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(
        fixture::model_fn_reading("image"_f), est::run_config{}, est::no_params{}, step_printer{});
    return estimator.global_step() == 0 ? 0 : 1;
}
