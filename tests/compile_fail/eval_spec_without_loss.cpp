// An EVAL spec needs loss; metrics alone are not enough. The twin adds the loss.
#include <est/est.hpp>

using namespace est::literals;
using model = est::sequential<est::input<4>, est::dense<2>>;

// expect: a field the mode requires is missing
// names: missing_spec_field<
// names: mode_key::eval
// names: "loss"
// names: "eval_metric_ops"

int main() {
    model net;
    est::batch_tensor<float, est::shape<4>> x(1);
    est::batch_tensor<std::int32_t, est::shape<>> y(1);
    auto logits = net(x, est::eval);
    auto metrics = est::fields("accuracy"_f = est::metrics::accuracy(y, logits));
#ifdef EST_COMPILE_FAIL
    auto spec = est::spec(est::eval, est::eval_metric_ops = metrics);
#else
    auto spec =
        est::spec(est::eval, est::eval_metric_ops = metrics, est::loss = est::sparse_softmax_cross_entropy(y, logits));
#endif
    (void)spec;
}
