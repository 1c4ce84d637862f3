// A misspelt spec field is rejected by name; the twin spells it right.
#include <est/est.hpp>

using namespace est::literals;
using model = est::sequential<est::input<4>, est::dense<2>>;

// expect: est::spec: unknown field
// names: unknown_spec_field<
// names: mode_key::eval
// names: "eval_metrics"

int main() {
    model net;
    est::batch_tensor<float, est::shape<4>> x(1);
    est::batch_tensor<std::int32_t, est::shape<>> y(1);
    auto logits = net(x, est::eval);
    auto loss = est::sparse_softmax_cross_entropy(y, logits);
    auto metrics = est::fields("accuracy"_f = est::metrics::accuracy(y, logits));
#ifdef EST_COMPILE_FAIL
    auto spec = est::spec(est::eval, est::loss = loss, "eval_metrics"_f = metrics);
#else
    auto spec = est::spec(est::eval, est::loss = loss, "eval_metric_ops"_f = metrics);
#endif
    (void)spec;
}
